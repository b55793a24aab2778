"""The gold corpus: parser, validator (one broken fixture per defect), build and statistics."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from biaskit import corpus
from biaskit.errors import CorpusError

FIXTURE = Path(__file__).parent / "fixtures" / "corpus"
REPO_CORPUS = Path(__file__).parent.parent / "corpora"
OK = FIXTURE / "articles" / "northwire" / "northwire-test-ok.txt"


def test_parse_offsets_and_labels() -> None:
    art = corpus.parse_article(OK)
    assert art.doc_id == "northwire-test-ok" and art.topic == "economy"
    assert [s.paragraph for s in art.sentences] == [0, 1, 2, 2, 2, 2, 2]
    assert art.sentences[0].is_headline and not art.sentences[2].is_headline
    for s in art.sentences:
        for a in s.attributions:
            for span in (a.source, a.cue, a.content):
                if span is not None:
                    assert art.text[span.start : span.end] == span.text
    s2 = art.sentences[2]
    assert s2.claim and s2.attribution_kind == ["reported_speech"]
    assert s2.attributions[0].cue.text == "said"
    assert art.sentences[4].attribution_kind == ["hedged"]
    assert art.sentences[4].attributions[0].stype == "none"
    assert art.sentences[5].framing_kind == ["opinion"]
    assert art.sentences[6].framing_kind == ["promo"] and not art.sentences[6].claim
    assert art.text.startswith("Prices rise 3% in May, statistics office says\n\nBy Ada Kerr\n\n")


def _corpus_with(tmp_path: Path, body: str, header: str | None = None, name: str = "x.txt") -> Path:
    root = tmp_path / "c"
    (root / "articles" / "northwire").mkdir(parents=True)
    shutil.copy(FIXTURE / "corpus.toml", root / "corpus.toml")
    header = header or (
        "id: northwire-x\noutlet: northwire\ntopic: economy\nevent: e-x\npublished: 2026-01-01\n"
    )
    (root / "articles" / "northwire" / name).write_text(header + "---\n" + body, "utf-8")
    return root


BROKEN = [
    ("no-labels", "A sentence without labels.\n", ":7: sentence line has no labels"),
    (
        "bad-kind",
        "He said so. || att:quoted[src={He} stype=person cue={said}]\n",
        "unknown attribution kind 'quoted'",
    ),
    (
        "span-missing",
        "He said so. || att:reported_speech[src={She} stype=person cue={said}]\n",
        "src span {She}#1 not found",
    ),
    (
        "occurrence",
        "He said it. || att:reported_speech[src={He} stype=person cue={said}#2]\n",
        "it occurs 1 time(s)",
    ),
    (
        "no-cue",
        "He said it. || att:reported_speech[src={He} stype=person]\n",
        "attribution without cue",
    ),
    ("no-stype", "He said it. || att:reported_speech[src={He} cue={said}]\n", "src but no stype"),
    (
        "bad-stype",
        "He said it. || att:reported_speech[src={He} stype=human cue={said}]\n",
        "unknown stype 'human'",
    ),
    ("bad-frame", "A reckless plan. || frame:rant[term={reckless}]\n", "frame kind must be one of"),
    ("frame-no-term", "A reckless plan. || frame:opinion\n", "needs at least one term"),
    ("unknown-label", "A plan. || claimz\n", "unknown label 'claimz'"),
    (
        "next-outside",
        "“We won. || att:direct_quote[next.src={she} stype=person cue={We}]\n",
        "points outside the article",
    ),
    ("braces", "A {plan}. || claim\n", "must not contain '{'"),
    (
        "too-far",
        "“We won. || att:direct_quote[next4.src={she} stype=person cue={We}]\n",
        "unknown key 'next4.src'",
    ),
]


def test_spans_two_lines_away_label_a_three_sentence_quotation(tmp_path: Path) -> None:
    body = (
        "Vote ends || -\n\n"
        "“We won. || att:direct_quote[content={We won.} next2.src={she} next2.cue={said} "
        "stype=person]\n"
        "The count is final. || att:direct_quote[content={The count is final.} next.src={she} "
        "next.cue={said} stype=person]\n"
        "Go home,” she said. || att:direct_quote[src={she} cue={said} content={Go home} "
        "stype=person]\n"
    )
    root = _corpus_with(tmp_path, body)
    assert corpus.validate(root) == []
    (art,) = corpus.read_corpus(root)
    text = art.text
    spans = [(a.source, a.cue) for s in art.sentences for a in s.attributions]
    assert len(spans) == 3 and len(set(spans)) == 1  # one speaker, in the third sentence
    src, cue = spans[0]
    assert (text[src.start : src.end], text[cue.start : cue.end]) == ("she", "said")
    assert text.index("she said") == src.start


@pytest.mark.parametrize(("body", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_validator_catches_each_defect(tmp_path: Path, body: str, message: str) -> None:
    root = _corpus_with(tmp_path, body)
    problems = corpus.validate(root)
    assert len(problems) == 1
    assert message in problems[0]
    assert "x.txt:" in problems[0]  # names the file (and line)
    with pytest.raises(CorpusError):
        corpus.read_corpus(root)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "outlet: northwire\ntopic: economy\nevent: e\npublished: 2026-01-01\n",
            "header lacks 'id'",
        ),
        (
            "id: a\noutlet: northwire\ntopic: gossip\nevent: e\npublished: 2026-01-01\n",
            "unknown topic 'gossip'",
        ),
        ("id: a\noutlet: northwire\ntopic: economy\nevent: e\npublished: 1 May\n", "YYYY-MM-DD"),
        ("id: A B\noutlet: northwire\ntopic: economy\nevent: e\npublished: 2026-01-01\n", "bad id"),
        (
            "id: a\noutlet: elsewhere\ntopic: economy\nevent: e\npublished: 2026-01-01\n",
            "does not match its folder",
        ),
    ],
)
def test_validator_header_defects(tmp_path: Path, header: str, message: str) -> None:
    root = _corpus_with(tmp_path, "A plan. || claim\n", header=header)
    problems = corpus.validate(root)
    assert problems and message in problems[0]


def test_validator_flags_a_quote_cue_taken_from_inside_the_quotation(tmp_path: Path) -> None:
    wrong = (
        "“He said no,” she said. || att:direct_quote[src={she} stype=person cue={said} "
        "content={He said no}]\n"
    )
    problems = corpus.validate(_corpus_with(tmp_path, wrong))
    assert len(problems) == 1
    assert "x.txt:7: cue {said} is inside the quotation" in problems[0]
    right = wrong.replace("cue={said}", "cue={said}#2")
    assert corpus.validate(_corpus_with(tmp_path / "ok", right)) == []


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    root = _corpus_with(tmp_path, "A plan. || claim\n")
    shutil.copy(
        root / "articles" / "northwire" / "x.txt", root / "articles" / "northwire" / "y.txt"
    )
    problems = corpus.validate(root)
    assert len(problems) == 1 and "already used by" in problems[0]


def test_splits_are_by_event_and_outlet() -> None:
    settings = {"test_outlet": "harbor-gazette", "train_share": 0.7, "dev_share": 0.15}
    assert corpus.assign_split("anything", "harbor-gazette", settings) == "test_outlet"
    same = {corpus.assign_split("ev-1", o, settings) for o in ("northwire", "daily-blaze")}
    assert len(same) == 1


def test_shipped_corpus_validates() -> None:
    assert corpus.validate(REPO_CORPUS) == []


def test_shipped_corpus_size_and_coverage() -> None:
    arts = corpus.read_corpus(REPO_CORPUS)
    assert len(arts) >= 250
    assert sum(len(a.sentences) for a in arts) >= 5000
    assert len({a.outlet for a in arts}) >= 12
    assert len({a.topic for a in arts}) >= 15
    # no event is split across train/dev/test (the held-out outlet aside)
    splits: dict[str, set[str]] = {}
    for a in arts:
        if a.split != "test_outlet":
            splits.setdefault(a.event, set()).add(a.split)
    assert all(len(v) == 1 for v in splits.values())


def test_build_matches_committed_jsonl(tmp_path: Path) -> None:
    work = tmp_path / "corpora"
    shutil.copytree(REPO_CORPUS, work, ignore=shutil.ignore_patterns("gold"))
    corpus.build(work)
    for built in sorted((work / "gold").glob("*.jsonl")):
        committed = REPO_CORPUS / "gold" / built.name
        assert committed.exists(), f"{committed} missing: run `biaskit corpus build`"
        a = [json.loads(x) for x in built.read_text("utf-8").splitlines()]
        b = [json.loads(x) for x in committed.read_text("utf-8").splitlines()]
        for rec in a + b:
            rec.pop("source_file")
        assert a == b, f"{committed} is stale: run `biaskit corpus build`"


def test_statistics_reproduce_readme() -> None:
    readme = (REPO_CORPUS / "README.md").read_text("utf-8")
    stats = corpus.statistics(REPO_CORPUS)
    assert stats.strip() in readme, (
        "corpora/README.md statistics are stale: run `make corpus-readme`"
    )


def test_load_gold_columns() -> None:
    docs, sents = corpus.load(FIXTURE)
    assert list(docs["doc_id"]) == ["northwire-test-ok"]
    assert sents["gold_claim"].tolist() == [True, False, True, True, True, False, False]
    assert sents["gold_attribution_kind"].iloc[3] == ["direct_quote"]
    row = sents.iloc[3]
    assert docs["text"].iloc[0][row["start"] : row["end"]] == row["text"]
