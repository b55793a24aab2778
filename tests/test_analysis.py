"""analyze(): the tagged sentence table on the shipped sample article, schema, evidence, view."""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd
import pytest

import biaskit
from biaskit.errors import InputError
from biaskit.schema import SENTENCE_COLUMNS

SAMPLE = resources.files("biaskit.data.samples").joinpath("sample-article.txt").read_text("utf-8")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return biaskit.analyze([{"doc_id": "sample", "outlet": "meridian-tv", "text": SAMPLE}])


def test_schema_and_offsets(table: pd.DataFrame) -> None:
    assert list(table.columns[: len(SENTENCE_COLUMNS)]) == list(SENTENCE_COLUMNS)
    assert len(table) == 19
    for _, r in table.iterrows():
        assert SAMPLE[r["start"] : r["end"]] == r["text"]
        for key in ("source", "cue"):
            if r[key] is not None and not pd.isna(r[key]):
                assert SAMPLE[int(r[f"{key}_start"]) : int(r[f"{key}_end"])] == r[key]
    assert table["model_version"].nunique() == 1


def _row(table: pd.DataFrame, i: int) -> pd.Series:
    return table.iloc[i]


# sentence index → what a careful reader sees (the team's reading of its own sample)
ATTRIBUTIONS = {
    1: ({"reported_speech"}, "General Anton Reyes", "said"),
    3: ({"direct_quote"}, "Reyes", "told"),
    4: ({"direct_quote"}, "he", "added"),
    5: ({"direct_quote"}, "he", "added"),
    6: ({"hedged"}, None, "reportedly"),
    7: ({"according_to"}, "the UN refugee agency", "According to"),
    8: ({"reported_speech", "anonymous"}, "A senior Western diplomat", "said"),
    10: ({"reported_speech"}, "Its spokesman, Lina Marsh", "denied"),
    11: ({"direct_quote"}, "she", "said"),
    16: ({"according_to"}, "figures from the central bank", "according to"),
}


@pytest.mark.parametrize("i", sorted(ATTRIBUTIONS))
def test_sample_attributions(table: pd.DataFrame, i: int) -> None:
    kinds, source, cue = ATTRIBUTIONS[i]
    r = _row(table, i)
    assert r["attribution"], r["text"]
    assert set(r["attribution_kind"]) == kinds
    assert r["cue"] == cue
    if source is None:
        assert r["source"] is None or pd.isna(r["source"])
    else:
        assert r["source"].startswith(source)


def test_sample_not_attributed(table: pd.DataFrame) -> None:
    for i in (2, 12, 13, 14, 15, 17, 18):
        assert not _row(table, i)["attribution"], _row(table, i)["text"]


def test_sample_coreference(table: pd.DataFrame) -> None:
    assert {_row(table, i)["source_entity"] for i in (1, 3, 4, 5)} == {"Anton Reyes"}
    assert _row(table, 11)["source_entity"] == "Lina Marsh"


def test_sample_framing(table: pd.DataFrame) -> None:
    head = _row(table, 0)
    assert head["is_headline"] and head["framing"] and "loaded_language" in head["framing_kind"]
    terms = {
        e["term"] for e in head["evidence"] if e["tag"] == "framing" and e["start"] is not None
    }
    assert {"strongman", "bastion"} <= terms
    assert "opinion" in _row(table, 12)["framing_kind"]  # "Sadly, the West …"
    assert "speculation" in _row(table, 13)["framing_kind"]  # "raises questions about …"
    for i in (14, 17, 18):
        assert _row(table, i)["framing_kind"] == ["promo"], _row(table, i)["text"]
        assert not _row(table, i)["claim"]
    # "a desperate regime" is inside the quotation: the source's voice, not the outlet's
    quoted = _row(table, 11)
    assert quoted["quoted_framing"] and not quoted["framing"]


def test_sample_claims(table: pd.DataFrame) -> None:
    for i in (1, 2, 7, 15, 16):
        assert _row(table, i)["claim"], _row(table, i)["text"]


def test_every_positive_tag_has_evidence(table: pd.DataFrame) -> None:
    for _, r in table.iterrows():
        tags = {t for t in ("claim", "attribution", "framing", "quoted_framing") if r[t]}
        have = {e["tag"] for e in r["evidence"]}
        assert tags <= have, (r["text"], tags - have)
        for e in r["evidence"]:
            if e["start"] is not None:
                assert SAMPLE[e["start"] : e["end"]].lower() == str(e["term"]).lower()


def test_inputs_accepted() -> None:
    one = biaskit.analyze("Prices rose 3% in May, the bureau said.")
    assert len(one) == 1 and one["doc_id"].iloc[0] == "doc-0"
    frame = pd.DataFrame(
        {"doc_id": ["a", "b"], "outlet": ["x", "y"], "text": ["One.", "Two. Three."]}
    )
    out = biaskit.analyze(frame)
    assert out.groupby("doc_id").size().to_dict() == {"a": 1, "b": 2}
    empty = biaskit.analyze("   ")
    assert empty.empty and list(empty.columns[: len(SENTENCE_COLUMNS)]) == list(SENTENCE_COLUMNS)


def test_bad_inputs_are_clear() -> None:
    with pytest.raises(InputError, match="duplicate doc_id 'a'"):
        biaskit.analyze([{"doc_id": "a", "text": "x."}, {"doc_id": "a", "text": "y."}])
    with pytest.raises(InputError, match="no 'text' column"):
        biaskit.analyze(pd.DataFrame({"body": ["x"]}))


def test_html_view_escapes_and_marks(table: pd.DataFrame) -> None:
    html = biaskit.show(table, SAMPLE)._repr_html_()
    assert 'class="bk-s bk-headline' in html and "bk-frame-promo" in html
    assert "bk-att-hedged" in html and '<span class="bk-ev">bastion</span>' in html
    evil = "<script>alert(1)</script> The mayor said <b>no</b>."
    t = biaskit.analyze(evil)
    out = biaskit.show(t, evil)._repr_html_()
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert not re.search(r"<b>no</b>", out)


def test_clear_reporting_frame_decides_attribution() -> None:
    # a weak reporting verb ("note", lexicon weight 0.3) with an explicit clause: the rule
    # decides whatever the model's probability, and the record says which frame fired
    from biaskit.analysis import _certain
    from biaskit.attribution import Attribution

    att = Attribution(["reported_speech"], "reported_speech", (10, 14), (0, 9), (20, 38),
                      "role", cue_weight=0.3, frame="that")
    assert _certain(att)
    att.frame = None
    assert not _certain(att)
    out = biaskit.analyze([{"doc_id": "n", "text": "Observers note that the ferry ran late."}])
    row = out.iloc[0]
    assert row["attribution"] and row["cue"] == "note" and row["source"] == "Observers"
    assert row["attributions"][0]["frame"] == "that"
    assert row["attributions"][0]["rule"] == "reported_speech"


def test_request_verb_alone_does_not_overrule_the_model() -> None:
    # "asked regulators to raise rates": a request is as often an action reported as fact;
    # a headline speaker label before a quotation and "what critics call" are sure
    from biaskit.analysis import _certain
    from biaskit.attribution import Attribution

    att = Attribution(["reported_speech"], "reported_speech", (20, 25), (0, 19), (26, 60),
                      "organisation", cue_weight=0.8, texts={"cue": "asked"})
    assert not _certain(att)
    att.texts = {"cue": "said"}
    assert _certain(att)
    assert _certain(Attribution(["reported_speech"], "what_call", (0, 1), (0, 1), None, "role"))
    # a described source with a plain verb of saying ("Experts say …"), not "announced"
    experts = Attribution(["reported_speech"], "reported_speech", (8, 12), (0, 7), (13, 40),
                          "role", cue_weight=0.95, texts={"cue": "say"})
    assert _certain(experts)
    experts.texts, experts.cue_weight = {"cue": "announced"}, 0.9
    assert not _certain(experts)
    label = Attribution(["direct_quote"], "headline_colon", (8, 9), (0, 8), (11, 27), "role")
    assert _certain(label)
    label.kind = ["reported_speech"]  # "Peru earthquake: death toll reaches 41"
    assert not _certain(label)


def test_quote_sequel_is_attributed_with_the_previous_speaker() -> None:
    doc = "“The money is real,” said Ana Ruiz, a port analyst. “What the market prices is the delay.”"
    out = biaskit.analyze([{"doc_id": "q", "text": doc}])
    row = out.iloc[1]
    assert row["attribution"] and row["attribution_kind"] == ["direct_quote"]
    assert row["attributions"][0]["rule"] == "quote_sequel"
    assert row["source"] == "Ana Ruiz, a port analyst"


def test_array_rounding_matches_python_round() -> None:
    """``_round`` is the vectorised ``round(v, n)``: equal by repr, half-way values included."""
    import numpy as np

    from biaskit.analysis import _round

    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.random(20_000),
            rng.normal(scale=50.0, size=5_000),
            np.array([0.00005, 0.00015, 0.12345, 2.5e-5, 1e12 + 0.5, -0.00005, 0.0, -0.0]),
            np.array([np.nan, np.inf, -np.inf]),
        ]
    )
    for ndigits in (2, 4):
        got = _round(values.copy(), ndigits).tolist()
        want = [round(v, ndigits) for v in values.tolist()]
        assert [repr(v) for v in got] == [repr(v) for v in want]


def test_gc_paused_restores_the_collector_state() -> None:
    import gc

    from biaskit.analysis import _gc_paused

    was = gc.isenabled()
    try:
        gc.enable()
        with _gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
        with pytest.raises(RuntimeError), _gc_paused():
            raise RuntimeError("boom")
        assert gc.isenabled()
        gc.disable()
        with _gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_attitude_adjective_is_evidence_only_as_a_cue() -> None:
    # "certain" is a belief cue only in "are certain that …"; elsewhere it is not evidence
    plain = biaskit.analyze("Certain voters said the count was wrong.").iloc[0]
    terms = [e["term"] for e in plain["evidence"] if e["tag"] == "attribution"]
    assert plain["attribution"] and "said" in terms
    assert not any(str(t).lower() == "certain" for t in terms)
    cue = biaskit.analyze("Aides are confident that the governor will win.").iloc[0]
    rules = [(e["term"], e["rule"]) for e in cue["evidence"] if e["tag"] == "attribution"]
    assert ("confident", "attribution:reported_speech") in rules


def test_a_form_that_is_usually_a_noun_is_evidence_only_as_a_cue() -> None:
    # "state" (lexicon weight 0.15) and "talks" (0.15) name a government and negotiations here;
    # the evidence of the attribution is "said", not them
    row = biaskit.analyze(
        "One state regulator said the peace talks would resume under the flag of the UN."
    ).iloc[0]
    lexicon = [
        e["term"].lower()
        for e in row["evidence"]
        if e["tag"] == "attribution" and e["rule"].startswith("lexicon:")
    ]
    assert row["attribution"] and lexicon == ["said"]
    # a weak form stays where a rule took it as the cue ("report", weight 0.35)
    cue = biaskit.analyze("Witnesses report that the dam failed overnight.").iloc[0]
    rules = [(e["term"], e["rule"]) for e in cue["evidence"] if e["tag"] == "attribution"]
    assert ("report", "lexicon:reporting_verbs/speech") in rules
    assert ("report", "attribution:reported_speech") in rules


@pytest.mark.parametrize("docs", ["", [], ["   "]])
def test_empty_input_has_the_columns_of_a_table_with_rows(docs) -> None:
    # a batch of documents without sentences must concatenate with one that has them
    empty = biaskit.analyze(docs)
    assert empty.empty
    assert list(empty.columns) == list(biaskit.analyze("A sentence here.").columns)
    kept = biaskit.analyze(
        pd.DataFrame({"doc_id": ["d"], "text": [" "], "topic": ["x"]}), keep=("published", "topic")
    )
    assert list(kept.columns[-2:]) == ["published", "topic"]
    with pytest.raises(biaskit.BiaskitError, match="no column 'nope'"):
        biaskit.analyze("", keep=("nope",))
