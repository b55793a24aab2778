"""Tests of biaskit.aggregate: tagged sentence table → article table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from biaskit.aggregate import articles, is_article_table, kind_mask
from biaskit.errors import InputError, SchemaError
from biaskit.schema import ARTICLE_COLUMNS, SENTENCE_COLUMNS


def sent(doc, outlet="A", sid=0, *, claim=False, attribution=False, framing=False, att=(),
         fr=(), quoted=False, qk=(), voice=None, source=None, stype=None, entity=None,
         cue=None, evidence=(), text=None, **extra):
    """One tagged sentence row with every schema column (defaults: an untagged sentence)."""
    row = {
        "doc_id": doc, "outlet": outlet, "sent_id": sid, "start": 0, "end": 10,
        "text": text or f"{doc} sentence {sid}.", "paragraph": 0, "is_headline": sid == 0,
        "in_quote": 1.0 if "direct_quote" in att else 0.0,
        "p_claim": 0.9 if claim else 0.1, "p_attribution": 0.9 if attribution else 0.1,
        "p_framing": 0.9 if framing else 0.1,
        "claim": claim, "attribution": attribution, "framing": framing,
        "attribution_kind": list(att), "framing_kind": list(fr),
        "quoted_framing": quoted, "quoted_framing_kind": list(qk), "framing_voice": voice,
        "source": source, "source_type": stype, "source_start": None, "source_end": None,
        "source_entity": entity, "cue": cue, "cue_start": None, "cue_end": None,
        "content_start": None, "content_end": None, "evidence": list(evidence),
        "model_version": "test-0",
    }
    row.update(extra)
    return row


def frame(rows):
    return pd.DataFrame(rows)


def hand_table():
    """Two documents whose article rows are worked out by hand in the tests."""
    return frame([
        sent("d1", "A", 0, claim=True, topic="economy"),
        sent("d1", "A", 1, claim=True, attribution=True, att=["direct_quote"],
             quoted=True, qk=["loaded_language"], voice="quoted", source="Jane Doe",
             stype="person", entity="Jane Doe", cue="said", topic="economy"),
        sent("d1", "A", 2, claim=True, attribution=True, att=["reported_speech"],
             source="she", stype="person", entity="Jane Doe", cue="said", topic="economy"),
        sent("d1", "A", 3, claim=True, attribution=True, att=["anonymous"],
             source="officials", stype="anonymous", entity=None, topic="economy"),
        sent("d1", "A", 4, framing=True, fr=["loaded_language", "opinion"], voice="writer",
             topic="economy"),
        sent("d1", "A", 5, claim=True, framing=True, fr=["promo"], source="Newsletter",
             stype="organisation", topic="economy"),
        sent("d1", "A", 6, claim=True, attribution=True, att=["hedged"], cue="reportedly",
             topic="economy"),
        sent("d2", "B", 0, attribution=True, att=["according_to"], source="Reuters",
             stype="organisation", topic="war"),
        sent("d2", "B", 1, claim=True, attribution=True, att=["according_to"],
             source="reuters ", stype="organisation", topic="war"),
        sent("d2", "B", 2, framing=True, fr=["speculation"], voice="writer", topic="war"),
    ])


EXPECTED = {
    "d1": dict(outlet="A", n_sentences=6, n_promo=1, n_claims=5, n_attributed_claims=4,
               n_attributed=4, n_direct_quote=1, n_reported_speech=1, n_according_to=0,
               n_hedged=1, n_anonymous=1, n_writer_framing=1, n_loaded_language=1,
               n_opinion=1, n_speculation=0, n_quoted_framing=1, n_sources=2,
               n_named_sources=1, n_anonymous_sources=1),
    "d2": dict(outlet="B", n_sentences=3, n_promo=0, n_claims=1, n_attributed_claims=1,
               n_attributed=2, n_direct_quote=0, n_reported_speech=0, n_according_to=2,
               n_hedged=0, n_anonymous=0, n_writer_framing=1, n_loaded_language=0,
               n_opinion=0, n_speculation=1, n_quoted_framing=0, n_sources=1,
               n_named_sources=1, n_anonymous_sources=0),
}


def test_hand_computed_article_table():
    out = articles(hand_table())
    assert list(out.columns) == [*ARTICLE_COLUMNS, "topic"]
    assert out["doc_id"].tolist() == ["d1", "d2"]
    for doc, expected in EXPECTED.items():
        row = out.set_index("doc_id").loc[doc]
        got = {k: (row[k] if k == "outlet" else int(row[k])) for k in expected}
        assert got == expected, doc
    assert out["topic"].tolist() == ["economy", "war"]
    for col in ARTICLE_COLUMNS[2:]:
        assert out[col].dtype == np.int64, col


def test_schema_lists_article_columns():
    assert ARTICLE_COLUMNS[:2] == ("doc_id", "outlet")
    assert len(set(ARTICLE_COLUMNS)) == len(ARTICLE_COLUMNS)
    assert {"n_sentences", "n_promo", "n_sources", "n_named_sources"} <= set(ARTICLE_COLUMNS)


def test_numpy_array_lists_and_shuffled_rows_give_same_table():
    table = hand_table()
    arrays = table.copy()
    for col in ("attribution_kind", "framing_kind", "quoted_framing_kind"):
        arrays[col] = [np.asarray(v, dtype=object) for v in arrays[col]]
    expected = articles(table)
    pd.testing.assert_frame_equal(articles(arrays), expected)
    shuffled = table.sample(frac=1.0, random_state=3)
    got = articles(shuffled).set_index("doc_id").loc[["d1", "d2"]].reset_index()
    pd.testing.assert_frame_equal(got, expected)


def test_parquet_round_trip(tmp_path):
    table = hand_table().drop(columns=["evidence"])
    path = tmp_path / "s.parquet"
    table.to_parquet(path)
    back = pd.read_parquet(path)
    assert isinstance(back["attribution_kind"].iloc[1], np.ndarray)
    pd.testing.assert_frame_equal(articles(back), articles(table), check_dtype=False)


def test_passthrough_from_first_sentence_by_sent_id():
    rows = [sent("d1", "A", 1, published="2024-01-02"), sent("d1", "A", 0, published="2024-01-01")]
    out = articles(frame(rows))
    assert out["published"].tolist() == ["2024-01-01"]


def test_passthrough_skips_gold_and_list_columns_and_can_be_chosen():
    rows = [sent("d1", "A", 0, topic="t", gold_claim=True, tokens=["a", "b"])]
    out = articles(frame(rows))
    assert "topic" in out.columns
    assert "gold_claim" not in out.columns and "tokens" not in out.columns
    only = articles(frame(rows), passthrough=[])
    assert list(only.columns) == list(ARTICLE_COLUMNS)
    with pytest.raises(SchemaError, match="nope"):
        articles(frame(rows), passthrough=["nope"])


def test_input_not_mutated():
    table = hand_table()
    before = table.copy(deep=True)
    articles(table)
    pd.testing.assert_frame_equal(table, before)


def test_missing_column_is_schema_error_naming_it():
    with pytest.raises(SchemaError, match="source_entity"):
        articles(hand_table().drop(columns=["source_entity"]))


def test_unknown_kind_is_input_error():
    table = frame([sent("d1", att=["gossip"])])
    with pytest.raises(InputError, match="gossip"):
        articles(table)
    # a CSV round trip leaves list columns as strings: caught, not silently zero
    table = frame([sent("d1")]).assign(attribution_kind=["['hedged']"])
    with pytest.raises(InputError, match="attribution_kind"):
        articles(table)


def test_document_in_two_outlets_is_input_error():
    with pytest.raises(InputError, match="d1"):
        articles(frame([sent("d1", "A", 0), sent("d1", "B", 1)]))


def test_missing_doc_id_is_input_error():
    table = frame([sent("d1"), sent(None, sid=1)])
    with pytest.raises(InputError, match="doc_id"):
        articles(table)


def test_missing_values_in_flags_and_lists_count_as_absent():
    table = frame([sent("d1", claim=True), sent("d1", sid=1)])
    table["claim"] = pd.array([True, None], dtype="boolean")
    table["attribution_kind"] = [None, np.nan]
    out = articles(table).iloc[0]
    assert int(out["n_claims"]) == 1 and int(out["n_attributed"]) == 0


def test_empty_table_gives_empty_article_table():
    empty = frame([sent("d1")]).iloc[0:0]
    out = articles(empty)
    assert len(out) == 0
    assert list(out.columns)[: len(ARTICLE_COLUMNS)] == list(ARTICLE_COLUMNS)


def test_only_promo_article_has_zero_sentences():
    out = articles(frame([sent("d1", fr=["promo"], framing=True)])).iloc[0]
    assert (int(out["n_sentences"]), int(out["n_promo"]), int(out["n_writer_framing"])) == (0, 1, 0)


def test_kind_mask_and_table_detection():
    mask = kind_mask([["b"], ("a", "c"), None, "c", np.array(["a"])], ["a", "b", "c"],
                     column="k")
    assert mask.tolist() == [2, 5, 0, 4, 1]
    assert is_article_table(articles(hand_table()))
    assert not is_article_table(hand_table())
    assert set(SENTENCE_COLUMNS) <= set(hand_table().columns)
