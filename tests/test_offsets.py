"""Offsets of ``analyze`` index the text the user passed, whatever its Unicode normalisation.

``analyze`` tags the NFC text without a leading byte order mark (lexicons and features expect
it) and maps every offset of its output back onto the text it was given (DESIGN.md: in the
sentence table ``text[start:end]`` is the sentence). ``biaskit._offsets`` builds the map; these
tests check it on its own, then every offset column of ``analyze`` on decomposed (NFD) texts,
texts with a BOM, both, and already normalised texts (their output does not change).
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import biaskit
import biaskit.analysis as analysis
from biaskit._offsets import BOM, normalise

NFC_TEXT = "“We will win,” José Nuñez said. The café reportedly closed. Officials said so."


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture(scope="module")
def model() -> Any:
    return biaskit.load_model()


def check_offsets(table: pd.DataFrame, docs: dict[str, str]) -> None:
    """Every offset of ``table`` indexes its raw document and slices to its string."""
    for row in table.itertuples(index=False):
        raw = docs[row.doc_id]
        assert 0 <= row.start <= row.end <= len(raw)
        assert raw[row.start : row.end] == row.text
        for key in ("source", "cue", "content"):
            s, e = getattr(row, f"{key}_start"), getattr(row, f"{key}_end")
            if pd.isna(s):
                continue
            assert 0 <= s <= e <= len(raw)  # a quotation's later part: its speaker is earlier
            if key != "content":
                assert raw[s:e] == getattr(row, key)
        for record in row.attributions:
            for key in ("source", "cue", "content"):
                span = record[key]
                if span is not None:
                    assert 0 <= span["start"] <= span["end"] <= len(raw)
                    assert raw[span["start"] : span["end"]] == span["text"]
        for item in row.evidence:
            if item["start"] is not None:
                assert 0 <= item["start"] <= item["end"] <= len(raw)
                assert raw[item["start"] : item["end"]] == item["term"]


def tags(table: pd.DataFrame) -> pd.DataFrame:
    """The columns that hold no offsets and no strings cut from the text."""
    cols = [
        "sent_id", "paragraph", "is_headline", "p_claim", "p_attribution", "p_framing",
        "claim", "attribution", "framing", "attribution_kind", "framing_kind",
        "quoted_framing", "quoted_framing_kind", "framing_voice", "source_type",
        "source_entity", "kind_proba",
    ]
    return table[cols].reset_index(drop=True)


def nfc_view(table: pd.DataFrame) -> list[list[Any]]:
    """Offsets and strings of every row, normalised, for comparing with the NFC text's."""
    out = []
    for row in table.itertuples(index=False):
        out.append(
            [
                unicodedata.normalize("NFC", row.text),
                None if pd.isna(row.source) else unicodedata.normalize("NFC", row.source),
                row.cue,
                [(it["tag"], it["rule"], it["weight"]) for it in row.evidence],
            ]
        )
    return out


# --------------------------------------------------------------------------- the map


def test_normalised_text_costs_nothing() -> None:
    text = "Plain ASCII. And “quotes”, é, 漢字 and emoji 😀 in NFC."
    out, offsets = normalise(text)
    assert out is text
    assert offsets is None


@pytest.mark.parametrize(
    "raw",
    ["Cafe\u0301 owners", BOM + "Café owners", BOM + "Cafe\u0301 owners", BOM, BOM + BOM + "x",
     "\u0301\u0323 marks out of order", "e\u0301\u0301\u0323", "\u0958 qa", "Ω sign \u2126", "\u1100\u1161\u11a8"],
)
def test_normalise_matches_unicodedata(raw: str) -> None:
    text, offsets = normalise(raw)
    assert text == unicodedata.normalize("NFC", raw).removeprefix(BOM)
    assert offsets is not None
    assert offsets.start(0) == offsets.end(0) == (1 if raw.startswith(BOM) else 0)
    assert offsets.end(len(text)) == len(raw)


def test_map_of_a_merged_character() -> None:
    raw = BOM + "Cafe\u0301 owners"  # BOM C a f e ◌́ ␠ o …
    text, offsets = normalise(raw)
    assert text == "Café owners"
    assert offsets is not None
    # "é" (normalised 3..4) is raw 4..6; around it everything is shifted
    assert [offsets.start(k) for k in range(len(text) + 1)] == [1, 2, 3, 4, *range(6, 14)]
    assert [offsets.end(k) for k in range(len(text) + 1)] == [1, 2, 3, 4, *range(6, 14)]
    assert raw[offsets.start(3) : offsets.end(4)] == "e\u0301"


def test_offset_inside_a_chunk_maps_outward() -> None:
    # U+0958 (composition exclusion) becomes two characters: offset 1 of its NFC falls
    # inside, a start goes to the chunk's start and an end to its end
    raw = "a\u0958b"
    text, offsets = normalise(raw)
    assert text == "a\u0915\u093cb"
    assert offsets is not None
    assert (offsets.start(2), offsets.end(2)) == (1, 2)
    assert (offsets.start(3), offsets.end(3)) == (2, 2)
    assert (offsets.start(4), offsets.end(4)) == (3, 3)
    # several marks: "a" + ogonek + acute composes to "ą" + acute (3 raw, 2 normalised)
    raw = "xa\u0328\u0301y"
    text, offsets = normalise(raw)
    assert text == "x\u0105\u0301y"
    assert offsets is not None
    assert (offsets.start(2), offsets.end(2)) == (1, 4)
    assert (offsets.start(3), offsets.end(3)) == (4, 4)


def test_hangul_jamo_compose_across_chunks() -> None:
    # L + V + T jamo compose into one syllable: one chunk, though each jamo has class 0
    raw = "\u1100\u1161\u11a8 x"
    text, offsets = normalise(raw)
    assert text == "\uac01 x"
    assert offsets is not None
    assert [offsets.start(k) for k in range(4)] == [0, 3, 4, 5]


@settings(deadline=None, max_examples=400)
@given(
    st.lists(
        st.sampled_from(
            ["e", "a", "o", " ", ".", "\u0301", "\u0308", "\u0323", "\u0328", "\u0345",
             "\u0344", "\u0958", "\u2126", "\uf900", "\u1100", "\u1161", "\u11a8", "\uac00",
             "\u0b47", "\u0b3e", "\u0f73", "\u0f71", BOM, "\u03b1", "\u0313", "ñ"]
        ),
        max_size=30,
    ).map("".join)
)
def test_map_is_exact_between_chunks(raw: str) -> None:
    """Where the map is exact (a start and an end agree), raw slices normalise to the text."""
    text, offsets = normalise(raw)
    assert text == unicodedata.normalize("NFC", raw).removeprefix(BOM)
    if offsets is None:
        assert text == raw
        return
    exact = [k for k in range(len(text) + 1) if offsets.start(k) == offsets.end(k)]
    assert exact[0] == 0 and exact[-1] == len(text)
    previous = (0, 0)
    for k in range(len(text) + 1):
        s, e = offsets.start(k), offsets.end(k)
        assert previous[0] <= s <= e and previous[1] <= e  # monotone, starts before ends
        previous = (s, e)
    for a in exact:
        for b in exact[exact.index(a) :]:
            piece = raw[offsets.start(a) : offsets.end(b)]
            assert unicodedata.normalize("NFC", piece) == text[a:b]


def test_chunking_never_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    every_mark = "".join(chr(c) for c in range(0x300, 0x370))
    raw = "".join(f"a{m}e{m}\u1100\u1161{m}" for m in every_mark)
    with caplog.at_level(logging.WARNING, logger="biaskit._offsets"):
        text, offsets = normalise(raw)
    assert not caplog.records
    assert offsets is not None and offsets.end(len(text)) == len(raw)


# --------------------------------------------------------------------------- analyze


def test_issue_repro_nfd_and_bom(model: Any) -> None:
    raw = "Cafe\u0301 owners said so. The mayor said it was fine."
    for text in (raw, BOM + raw, BOM + nfd(raw)):
        table = biaskit.analyze(text, model)
        assert [text[r.start : r.end] == r.text for r in table.itertuples()] == [True, True]
        check_offsets(table, {"doc-0": text})


@pytest.mark.parametrize("prefix", ["", BOM])
def test_nfd_quotation_and_source(model: Any, prefix: str) -> None:
    raw = prefix + nfd(NFC_TEXT)
    assert "\u0301" in raw and "\u0303" in raw
    table = biaskit.analyze(raw, model)
    check_offsets(table, {"doc-0": raw})
    first = table.iloc[0]
    assert first["source"] == nfd("José Nuñez")
    assert first["source_entity"] == "José Nuñez"  # a resolved name: NFC, not a slice
    assert raw[first["content_start"] : first["content_end"]] == "We will win"
    # the same tags as for the NFC text; offsets and slices are the raw text's
    expected = biaskit.analyze(NFC_TEXT, model)
    pd.testing.assert_frame_equal(tags(table), tags(expected))
    assert nfc_view(table) == nfc_view(expected)
    shift = len(raw) - len(NFC_TEXT)
    assert table["end"].iloc[-1] == expected["end"].iloc[-1] + shift


def test_marks_inside_quotation_move_later_offsets(model: Any) -> None:
    raw = nfd("“Les élèves ont réussi,” said the minister. Critics slammed the régime.")
    table = biaskit.analyze(raw, model)
    check_offsets(table, {"doc-0": raw})
    atts = table.iloc[0]["attributions"]
    assert atts and atts[0]["content"]["text"] == nfd("Les élèves ont réussi")
    loaded = [
        ev for ev in table.iloc[1]["evidence"]
        if ev["start"] is not None and ev["rule"].startswith("lexicon")
    ]
    assert loaded and all(raw[ev["start"] : ev["end"]] == ev["term"] for ev in loaded)


def test_normalised_text_output_unchanged(model: Any) -> None:
    # an NFC text without BOM never builds a map or remaps anything
    with mock.patch.object(analysis, "_to_raw_offsets", side_effect=AssertionError):
        table = biaskit.analyze(NFC_TEXT, model)
    check_offsets(table, {"doc-0": NFC_TEXT})


def test_mixed_batch_changes_only_the_changed_documents(model: Any) -> None:
    docs = pd.DataFrame(
        {
            "doc_id": ["nfc", "nfd", "bom"],
            "outlet": ["A", "B", "C"],
            "text": [NFC_TEXT, nfd(NFC_TEXT), BOM + NFC_TEXT],
        }
    )
    table = biaskit.analyze(docs, model)
    check_offsets(table, dict(zip(docs["doc_id"], docs["text"], strict=True)))
    alone = biaskit.analyze(docs.iloc[[0]], model)
    pd.testing.assert_frame_equal(
        table[table["doc_id"] == "nfc"].reset_index(drop=True), alone.reset_index(drop=True)
    )
    bom = table[table["doc_id"] == "bom"]
    assert (bom["start"].to_numpy() == alone["start"].to_numpy() + 1).all()
    assert bom["text"].tolist() == alone["text"].tolist()
    for name in ("nfd", "bom"):
        rows = table[table["doc_id"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(tags(rows), tags(alone))


def test_without_evidence(model: Any) -> None:
    raw = BOM + nfd(NFC_TEXT)
    table = biaskit.analyze(raw, model, evidence=False)
    check_offsets(table, {"doc-0": raw})
    assert table["evidence"].map(len).sum() == 0


def test_bom_only_is_empty(model: Any) -> None:
    assert biaskit.analyze(BOM, model).empty
    assert biaskit.analyze(BOM + "\u0301", model)["text"].tolist() == ["\u0301"]


# --------------------------------------------------------------------------- property

_PIECES = [
    nfd("José Nuñez"), nfd("Zoë Brontë"), "Ana Ruiz", nfd("café"), nfd("über"), nfd("résumé"),
    " said", " told reporters", " reportedly", " according to ", nfd("the régime"),
    " strongman", "“", "”", "\"", "‘", "’", "«", "»", ". ", "? ", "! ", ", ", ": ", "\n\n",
    " ", BOM, "\u0301", "\u0308", "e\u0301", "é", "The council met.", nfd("Élysée officials said"),
]


@settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_any_mix_offsets_index_the_raw_text(model: Any, raw: str) -> None:
    table = biaskit.analyze(raw, model)
    check_offsets(table, {"doc-0": raw})
    text, _ = normalise(raw)
    # a second BOM stays in the tagged text; analyze would drop it from ``text``
    assume(not text.startswith(BOM))
    expected = biaskit.analyze(text, model)
    pd.testing.assert_frame_equal(tags(table), tags(expected))
    assert [unicodedata.normalize("NFC", t) for t in table["text"]] == expected["text"].tolist()
