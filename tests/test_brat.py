"""BRAT standoff attribution reader and its evaluation, on small fixtures the team wrote.

Fixtures (``tests/fixtures/brat/``, invented sentences):

- ``flat/``: ``alpha.txt`` + ``alpha.ann`` (a said-attribution, an agentless "reportedly" event
  with a discontinuous content span, a direct quote, a discontinuous cue "told … in a letter",
  a ``Discard`` and a ``Discuss`` span, note, attribute and relation lines), ``beta.txt`` with
  two annotators' files (``beta_a1.ann`` has one event, ``beta_b2.ann`` none), and a
  ``metadata.tsv`` with publishers;
- ``polnear/``: the PolNeAR layout (``dev/text``, ``dev/attributions``, ``train/…``,
  ``metadata.tsv``); ``gamma.txt`` holds decomposed accents, so offsets move under NFC;
- ``bad/``: an ``.ann`` whose cue ends beyond its text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from biaskit.brat import (
    BratAttribution,
    BratCorpus,
    evaluate_brat,
    parse_ann,
    read_brat,
    score_brat,
)
from biaskit.errors import InputError
from biaskit.segment import segment_frame

FIX = Path(__file__).parent / "fixtures" / "brat"
FLAT = FIX / "flat"
POLNEAR = FIX / "polnear"


def _text(corpus: BratCorpus, doc_id: str) -> str:
    return corpus.documents.set_index("doc_id").loc[doc_id, "text"]


def _spans(corpus: BratCorpus, ev: BratAttribution, role: str) -> list[str]:
    text = _text(corpus, ev.doc_id)
    return [text[s:e] for s, e in getattr(ev, role)]


# --------------------------------------------------------------------------- reading


def test_flat_documents_and_outlets() -> None:
    corpus = read_brat(FLAT)
    docs = corpus.documents
    assert list(docs["doc_id"]) == ["alpha", "beta"]
    assert list(docs["outlet"]) == ["harbor-gazette", "civic-broadcast"]
    assert list(docs["ann_file"]) == ["alpha.ann", "beta_a1.ann"]
    assert docs["title"].iloc[0] == "Harbor council delays ferry vote"
    assert [(e.doc_id, e.event_id) for e in corpus.attributions] == [
        ("alpha", "E1"), ("alpha", "E2"), ("alpha", "E3"), ("alpha", "E4"), ("beta", "E1")]


def test_events_spans_roles() -> None:
    corpus = read_brat(FLAT)
    e1, e2, e3, e4, b1 = corpus.attributions
    assert (e1.source, e1.cue, e1.content, e1.line) == (((34, 48),), ((49, 53),), ((54, 95),), 6)
    assert _spans(corpus, e1, "source") == ["Mayor Ana Ruiz"]
    assert _spans(corpus, e3, "source") == ["Councillor Ben Okafor"]
    assert _spans(corpus, e3, "content") == ["We need a full audit,"]
    assert _spans(corpus, b1, "cue") == ["expect"]
    assert e1.anchor == e1.cue and not e1.agentless and e1.type == "Attribution"


def test_agentless_event_and_discontinuous_content() -> None:
    e2 = read_brat(FLAT).attributions[1]
    assert e2.type == "Attribution-no-source"
    assert e2.agentless and e2.source == ()
    assert e2.cue == ((116, 126),)
    assert e2.content == ((97, 115), (127, 146))  # "The port authority" + "asked for more time"
    assert e2.cue_start == 116


def test_discontinuous_cue() -> None:
    corpus = read_brat(FLAT)
    e4 = corpus.attributions[3]
    assert e4.cue == ((237, 241), (252, 263))
    assert _spans(corpus, e4, "cue") == ["told", "in a letter"]


def test_notes_discard_discuss_and_unknown_lines_are_skipped() -> None:
    # alpha.ann has a '#' comment, an AnnotatorNotes line, a Discard and a Discuss span, an
    # attribute (A1) and a relation (R1): only the four events come out
    corpus = read_brat(FLAT)
    alpha = [e for e in corpus.attributions if e.doc_id == "alpha"]
    assert len(alpha) == 4
    text = _text(corpus, "alpha")
    starts = {s for e in alpha for role in ("cue", "source", "content")
              for s, _ in getattr(e, role)}
    assert text.index("Tickets") not in starts  # the Discard span
    assert text.index("who chairs") not in starts  # the Discuss span


def test_several_annotators_first_by_name_and_said_so() -> None:
    corpus = read_brat(FLAT)
    assert [e.ann_file for e in corpus.attributions if e.doc_id == "beta"] == ["beta_a1.ann"]
    assert corpus.notes == [
        "1 text(s) have several annotators' files; the first file by name is used: "
        "beta: 2 annotation files, used beta_a1.ann"
    ]


def test_polnear_layout_splits() -> None:
    both = read_brat(POLNEAR)
    assert list(both.documents["doc_id"]) == ["gamma", "delta"]
    assert list(both.documents["split"]) == ["dev", "train"]
    assert list(both.documents["outlet"]) == ["city-wire", "town-crier"]
    dev = read_brat(POLNEAR, split="dev")
    assert list(dev.documents["doc_id"]) == ["gamma"]
    direct = read_brat(POLNEAR / "dev")  # a split folder; metadata.tsv found in its parent
    assert list(direct.documents["outlet"]) == ["city-wire"]
    assert len(read_brat(POLNEAR, max_docs=1).documents) == 1
    train = read_brat(POLNEAR, split="train")
    assert _spans(train, train.attributions[0], "cue") == ["According to"]


def test_unknown_split_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no split 'test'"):
        read_brat(POLNEAR, split="test")


def test_offsets_follow_nfc_normalisation() -> None:
    # the raw file spells "é" as e + U+0301; biaskit.analyze sees NFC text, so gold offsets are
    # mapped onto it (the raw source span is 32..69, the NFC one 31..65)
    corpus = read_brat(POLNEAR, split="dev")
    text = _text(corpus, "gamma")
    ev = corpus.attributions[0]
    assert "\u0301" not in text
    assert ev.source == ((31, 65),)
    assert _spans(corpus, ev, "source") == ["The owner of the café, José Martín"]
    assert _spans(corpus, ev, "cue") == ["said"]


def test_bad_offset_names_file_and_line() -> None:
    with pytest.raises(InputError) as err:
        read_brat(FIX / "bad")
    msg = str(err.value)
    assert "bridge.ann:2: " in msg
    assert "span offsets 10 99 do not fit the text (35 characters" in msg
    assert err.value.line == 2


@pytest.mark.parametrize(
    ("ann", "line", "message"),
    [
        ("T1\tCue ten 14\tsaid\n", 1, "bad span offsets"),
        ("T1\tCue 9 4\tsaid\n", 1, "do not fit the text"),
        ("T1\tCue 9 13\tsaid\nE1\tAttribution:T1 Cue:T1 Source:T7\n", 2, "refers to T7"),
        ("T1\tCue 9 13\tsaid\nE1\tAttribution:T1 Cue\n", 2, "bad event argument"),
    ],
    ids=["not-a-number", "start-after-end", "undefined-span", "argument-without-id"],
)
def test_malformed_lines(ann: str, line: int, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        parse_ann(ann, "Ana Ruiz said the bridge is safe.", path="x.ann")
    assert err.value.line == line and err.value.path == "x.ann"


def test_numbered_roles_and_other_events() -> None:
    text = "“We won,” she said. “The count is final.”"
    ann = "\n".join([
        "T1\tSource 10 13\tshe", "T2\tCue 14 18\tsaid", "T3\tContent 1 7\tWe won",
        "T4\tContent 21 40\tThe count is final.", "T5\tAttribution 14 18\tsaid",
        "E1\tAttribution:T5 Source:T1 Cue:T2 Content:T3 Content2:T4",
        "E2\tOther:T1 Arg:T2",  # not an attribution event: skipped
    ])
    (ev,) = parse_ann(ann, text)
    assert ev.content == ((1, 7), (21, 40))


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_brat(tmp_path / "nope")
    with pytest.raises(InputError, match="no annotated texts"):
        read_brat(tmp_path)


# --------------------------------------------------------------------------- scoring


def _table(corpus: BratCorpus, predictions: dict[int, dict[str, tuple[int, int]]]) -> pd.DataFrame:
    """biaskit's segmentation of the fixture with hand-set predictions (row -> spans)."""
    seg = segment_frame(corpus.documents).reset_index(drop=True)
    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=True))
    atts = []
    for i, doc_id in enumerate(seg["doc_id"]):
        spans = predictions.get(i)
        if spans is None:
            atts.append([])
            continue
        rec = {role: None for role in ("source", "cue", "content")}
        for role, (s, e) in spans.items():
            rec[role] = {"start": s, "end": e, "text": texts[doc_id][s:e]}
        atts.append([rec])
    seg["attributions"] = atts
    seg["attribution"] = [i in predictions for i in range(len(seg))]
    seg["p_attribution"] = seg["attribution"].astype(float)
    return seg


# sentences of flat/: 0 alpha headline, 1 "Mayor Ana Ruiz said…", 2 "…reportedly…", 3 the
# quote "…said Councillor Ben Okafor…", 4 "Okafor told … in a letter…", 5 "Tickets…",
# 6 beta headline, 7 "Forecasters expect…", 8 "The road…"; gold-positive: 1, 2, 3, 4, 7
PREDICTED = {
    1: {"cue": (49, 53), "source": (34, 48)},  # exact cue and source
    3: {"cue": (173, 177), "source": (178, 192)},  # exact cue, source "Councillor Ben"
    5: {"cue": (288, 295)},  # a false positive sentence ("Tickets")
    7: {"cue": (27, 45)},  # "Forecasters expect": overlaps the gold cue
}


def test_score_brat_exact_values() -> None:
    corpus = read_brat(FLAT)
    res = score_brat(corpus, _table(corpus, PREDICTED))
    assert (res["n_documents"], res["n_sentences"], res["n_events"], res["n_agentless"]) == (
        2, 9, 5, 1)
    assert (res["n_gold_sentences"], res["n_pred_sentences"]) == (5, 4)
    s = res["sentence"]
    assert s["confusion"] == {"tp": 3, "fp": 1, "fn": 2, "tn": 3}
    assert (s["precision"], s["recall"], s["f1"]) == (0.75, 0.6, 0.6667)
    assert res["cue"]["exact"] == {"precision": 0.5, "recall": 0.4, "f1": 0.4444,
                                   "n_pred": 4, "n_gold": 5}
    assert res["cue"]["overlap"] == {"precision": 0.75, "recall": 0.6, "f1": 0.6667,
                                     "n_pred": 4, "n_gold": 5}
    assert res["source"]["exact"] == {"precision": 0.5, "recall": 0.25, "f1": 0.3333,
                                      "n_pred": 2, "n_gold": 4}
    assert res["source"]["overlap"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667,
                                        "n_pred": 2, "n_gold": 4}
    assert (res["cue"]["exact_f1"], res["source"]["overlap_f1"]) == (0.4444, 0.6667)
    assert res["outlet_density"] == [
        {"outlet": "civic-broadcast", "n_articles": 1, "n_sentences": 3,
         "pred_per_100": 33.33, "gold_per_100": 33.33},
        {"outlet": "harbor-gazette", "n_articles": 1, "n_sentences": 6,
         "pred_per_100": 50.0, "gold_per_100": 66.67},
    ]
    # two outlets, two articles: too few points for a rank correlation
    assert res["density_spearman_outlets"] == {"rho": None, "p_value": None, "n": 2}
    assert "start of a gold cue span" in res["mapping"]


@pytest.mark.parametrize(
    ("cue", "matches"),
    [((252, 258), True), ((242, 251), False)],
    ids=["inside-second-piece", "in-the-gap"],
)
def test_discontinuous_gold_cue_overlap_counts_only_its_pieces(
    cue: tuple[int, int], matches: bool
) -> None:
    # gold cue of sentence 4 is "told" + "in a letter"; "the panel" lies between the pieces
    corpus = read_brat(FLAT)
    res = score_brat(corpus, _table(corpus, {4: {"cue": cue}}))
    assert res["cue"]["overlap"]["precision"] == (1.0 if matches else 0.0)
    assert res["cue"]["exact"]["precision"] == 0.0


def test_cue_or_content_mapping_counts_quote_sentences() -> None:
    text = "“We won. The count is final,” she said.\n"
    ann = "\n".join(["T1\tSource 30 33\tshe", "T2\tCue 34 38\tsaid",
                     "T3\tContent 1 27\tWe won. The count is final",
                     "T4\tAttribution 34 38\tsaid",
                     "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3"])
    docs = pd.DataFrame({"doc_id": ["q"], "outlet": ["o"], "text": [text]})
    corpus = BratCorpus(docs, parse_ann(ann, text, doc_id="q"))
    table = _table(corpus, {0: {"cue": (34, 38)}, 1: {"cue": (34, 38)}})
    assert len(table) == 2  # the quotation is split into its sentences
    res = score_brat(corpus, table)
    assert res["sentence"]["confusion"] == {"tp": 1, "fp": 1, "fn": 0, "tn": 0}
    assert res["sentence_cue_or_content"]["confusion"] == {"tp": 2, "fp": 0, "fn": 0, "tn": 0}
    assert res["cue"]["exact"]["precision"] == 1.0  # the shared cue is counted once


def test_evaluate_brat_runs_analyze_and_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    import biaskit.analysis
    from biaskit.persist import Model

    corpus = read_brat(FLAT)
    seen = {}

    def fake_analyze(docs: pd.DataFrame, model: object, evidence: bool = True) -> pd.DataFrame:
        seen["docs"], seen["evidence"] = list(docs["doc_id"]), evidence
        return _table(corpus, PREDICTED)

    monkeypatch.setattr(biaskit.analysis, "analyze", fake_analyze)
    model = Model(None, {"name": "fake", "sha256": "0123456789abcdef"}, Path("fake.skops"))
    res = evaluate_brat(model, FLAT)
    assert seen == {"docs": ["alpha", "beta"], "evidence": False}
    assert res["model_version"] == "fake@0123456789ab"
    assert (res["path"], res["split"]) == (str(FLAT), None)
    assert res["sentence"]["f1"] == 0.6667


def test_evaluate_brat_with_the_shipped_model_and_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from biaskit.cli import main

    res = evaluate_brat(None, FLAT)
    # model-independent counts (the shipped model is retrained as the corpus grows)
    assert (res["n_sentences"], res["n_events"], res["n_gold_sentences"]) == (9, 5, 5)
    assert 0.0 <= res["sentence"]["f1"] <= 1.0
    assert set(res["cue"]) == {"exact", "overlap", "exact_f1", "overlap_f1"}
    assert res["cue"]["overlap_f1"] == res["cue"]["overlap"]["f1"]
    assert main(["evaluate", "--data", str(FLAT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_events"] == 5 and out["sentence"] == res["sentence"]
