"""Segmentation: a golden table of news cases, offset invariants, Punkt training, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import biaskit
from biaskit.errors import InputError
from biaskit.segment import (
    NewsSegmenter,
    load_punkt,
    save_punkt,
    segment,
    segment_frame,
    train_punkt,
)

# (id, text, expected sentences) — written by the team, one rule family per block
CASES = [
    # --- plain sentences and punctuation
    ("simple", "The vote passed. The mayor left.", ["The vote passed.", "The mayor left."]),
    ("question", "Who pays? The city does.", ["Who pays?", "The city does."]),
    ("exclamation", "It worked! Crowds cheered.", ["It worked!", "Crowds cheered."]),
    ("single", "No punctuation at the end", ["No punctuation at the end"]),
    ("trailing-space", "  Two spaces before.   ", ["Two spaces before."]),
    # --- titles and ranks
    ("mr", "Mr. Lee paid the fine. He left.", ["Mr. Lee paid the fine.", "He left."]),
    ("dr", "Dr. Amara Osei led the trial.", ["Dr. Amara Osei led the trial."]),
    ("gen", "Gen. Ortiz spoke first.", ["Gen. Ortiz spoke first."]),
    (
        "lt-col",
        "Lt. Col. Dana Reyes commanded the unit.",
        ["Lt. Col. Dana Reyes commanded the unit."],
    ),
    ("sen-rep", "Sen. Hall and Rep. Ortiz disagreed.", ["Sen. Hall and Rep. Ortiz disagreed."]),
    ("gov", "Gov. Patel signed the bill on Friday.", ["Gov. Patel signed the bill on Friday."]),
    ("prof", "Prof. Lin disagreed with the panel.", ["Prof. Lin disagreed with the panel."]),
    ("mrs-ms", "Mrs. Grant met Ms. Adu.", ["Mrs. Grant met Ms. Adu."]),
    ("st", "They gathered at St. Mary's church.", ["They gathered at St. Mary's church."]),
    ("jr", "Martin Cole Jr. won the seat.", ["Martin Cole Jr. won the seat."]),
    # --- organisations, places, initialisms
    (
        "corp",
        "Acme Corp. reported a loss. Shares fell.",
        ["Acme Corp. reported a loss.", "Shares fell."],
    ),
    ("inc", "Bolt Inc. and Vale Ltd. merged.", ["Bolt Inc. and Vale Ltd. merged."]),
    ("us", "The U.S. Senate voted 52-48.", ["The U.S. Senate voted 52-48."]),
    (
        "us-end",
        "Troops returned to the U.S. The war was over.",
        ["Troops returned to the U.S.", "The war was over."],
    ),
    (
        "un-eu",
        "The U.N. and the E.U. issued a joint statement.",
        ["The U.N. and the E.U. issued a joint statement."],
    ),
    ("uk", "Prices in the U.K. rose again.", ["Prices in the U.K. rose again."]),
    (
        "dc",
        "He lives in Washington, D.C. with his family.",
        ["He lives in Washington, D.C. with his family."],
    ),
    (
        "state",
        "The plant in Austin, Tex. closed in May.",
        ["The plant in Austin, Tex. closed in May."],
    ),
    ("no", "He lives at No. 10 Downing Street.", ["He lives at No. 10 Downing Street."]),
    (
        "vs",
        "The case, Smith vs. Jones, was dismissed.",
        ["The case, Smith vs. Jones, was dismissed."],
    ),
    ("eg", "Some items, e.g. fuel, were rationed.", ["Some items, e.g. fuel, were rationed."]),
    ("etc", "Bread, milk, etc. were scarce.", ["Bread, milk, etc. were scarce."]),
    # --- months, times, numbers
    ("month", "The talks began on Jan. 5 in Geneva.", ["The talks began on Jan. 5 in Geneva."]),
    (
        "sept",
        "The law takes effect Sept. 1, officials said.",
        ["The law takes effect Sept. 1, officials said."],
    ),
    ("pm", "The polls close at 8 p.m. local time.", ["The polls close at 8 p.m. local time."]),
    (
        "pm-end",
        "The meeting ended at 5 p.m. The council then voted.",
        ["The meeting ended at 5 p.m.", "The council then voted."],
    ),
    ("am", "Shots were heard at 3 a.m. on Sunday.", ["Shots were heard at 3 a.m. on Sunday."]),
    (
        "decimal",
        "Inflation rose 3.5% in May. It was 3.1% in April.",
        ["Inflation rose 3.5% in May.", "It was 3.1% in April."],
    ),
    (
        "money",
        "The deal is worth $4.2bn. Shares rose.",
        ["The deal is worth $4.2bn.", "Shares rose."],
    ),
    ("time-colon", "The blast came at 10.45 on Monday.", ["The blast came at 10.45 on Monday."]),
    ("version", "The app's version 2.1.3 fixed it.", ["The app's version 2.1.3 fixed it."]),
    # --- URLs and e-mail
    (
        "url",
        "Details are at www.example.org/report. Read them.",
        ["Details are at www.example.org/report.", "Read them."],
    ),
    (
        "url-mid",
        "Visit https://example.com/a.b?c=1 for the data.",
        ["Visit https://example.com/a.b?c=1 for the data."],
    ),
    (
        "email",
        "Write to tips@example.com. We read everything.",
        ["Write to tips@example.com.", "We read everything."],
    ),
    # --- ellipses
    ("ellipsis-lower", "He paused... then kept walking.", ["He paused... then kept walking."]),
    ("ellipsis-upper", "Wait... The results are in.", ["Wait...", "The results are in."]),
    ("ellipsis-char", "The answer was… complicated.", ["The answer was… complicated."]),
    # --- quotations
    (
        "quote-comma",
        "“The zero hour has struck,” Haftar said.",
        ["“The zero hour has struck,” Haftar said."],
    ),
    ("quote-question", "“Why now?” she asked.", ["“Why now?” she asked."]),
    ("quote-exclaim", "“Get out!” the guard shouted.", ["“Get out!” the guard shouted."]),
    (
        "quote-question-named-speaker",
        "“Did you vote for it?” Graham asked. He did not answer.",
        ["“Did you vote for it?” Graham asked.", "He did not answer."],
    ),
    (
        "quote-exclaim-described-speaker",
        "“Enough!” The senator from Ohio shouted at the crowd.",
        ["“Enough!” The senator from Ohio shouted at the crowd."],
    ),
    (
        "quote-question-abbreviated-title",
        '"Why now?" Sen. Mara Quinn asked reporters.',
        ['"Why now?" Sen. Mara Quinn asked reporters.'],
    ),
    # a new sentence that merely contains a speech verb after a comma stays apart
    (
        "quote-question-then-sentence",
        "“Are we done?” The answer, he said, was no.",
        ["“Are we done?”", "The answer, he said, was no."],
    ),
    ("question-no-quote", "Is it over? Officials said no.", ["Is it over?", "Officials said no."]),
    # the quoted words end a sentence of the writer's: the next sentence is a new one
    (
        "quote-ends-sentence",
        "Protesters shouted “Shame!” Police said 12 people were arrested.",
        ["Protesters shouted “Shame!”", "Police said 12 people were arrested."],
    ),
    (
        "quote-title-ends-sentence",
        "She won on “Jeopardy!” Producers said she earned $50,000.",
        ["She won on “Jeopardy!”", "Producers said she earned $50,000."],
    ),
    (
        "quote-question-verb-too-far",
        "“Can we win?” That is what party leaders asked after the vote.",
        ["“Can we win?”", "That is what party leaders asked after the vote."],
    ),
    (
        "quote-question-accented-speaker",
        "“Why?” Émile asked.",
        ["“Why?” Émile asked."],
    ),
    (
        "quote-multi",
        "“The plan failed. We will try again,” she said.",
        ["“The plan failed.", "We will try again,” she said."],
    ),
    (
        "quote-period-inside",
        "They hit the group’s “bastions.” The council denied it.",
        ["They hit the group’s “bastions.”", "The council denied it."],
    ),
    ("quote-straight", '"We lost," he said. "Next year."', ['"We lost," he said.', '"Next year."']),
    (
        "quote-colon",
        "He said: “We won. The count is final.”",
        ["He said: “We won.", "The count is final.”"],
    ),
    ("quote-single", "‘Zero hour’: the army moves in.", ["‘Zero hour’: the army moves in."]),
    (
        "quote-guillemets",
        "«Nous resterons», a-t-il dit. Puis il est parti.",
        ["«Nous resterons», a-t-il dit.", "Puis il est parti."],
    ),
    (
        "quote-apostrophe",
        "The workers’ union said it won’t strike.",
        ["The workers’ union said it won’t strike."],
    ),
    (
        "quote-question-new",
        "“Is it over?” The crowd fell silent.",
        ["“Is it over?”", "The crowd fell silent."],
    ),
    (
        "paren",
        "(The vote was close.) Officials said so.",
        ["(The vote was close.)", "Officials said so."],
    ),
    (
        "quote-signature",
        "“We won big!” ― Jane Doe, May 4. Crowds left.",
        ["“We won big!” ― Jane Doe, May 4.", "Crowds left."],
    ),
    # --- lines, headlines, datelines, lists, promo
    (
        "headline",
        "Storm kills 12 in coastal towns\n\nThe storm hit at dawn.",
        ["Storm kills 12 in coastal towns", "The storm hit at dawn."],
    ),
    (
        "headline-single-nl",
        "Storm kills 12\nThe storm hit at dawn.",
        ["Storm kills 12", "The storm hit at dawn."],
    ),
    (
        "dateline",
        "BEIRUT (Reuters) - Talks resumed on Monday. They failed.",
        ["BEIRUT (Reuters) - Talks resumed on Monday.", "They failed."],
    ),
    (
        "dateline-line",
        "WASHINGTON, May 3\nThe Senate met.",
        ["WASHINGTON, May 3", "The Senate met."],
    ),
    ("byline", "By Dana Whitfield\nThe Senate met.", ["By Dana Whitfield", "The Senate met."]),
    (
        "read-more",
        "It rained.\n\nREAD MORE: Floods hit the south\n\nThe river rose.",
        ["It rained.", "READ MORE: Floods hit the south", "The river rose."],
    ),
    (
        "list-numbered",
        "Demands:\n1. Higher pay\n2. Shorter hours",
        ["Demands:", "1. Higher pay", "2. Shorter hours"],
    ),
    (
        "list-bullets",
        "Key points:\n• Rates held\n• Jobs rose",
        ["Key points:", "• Rates held", "• Jobs rose"],
    ),
    (
        "caption",
        "Firefighters at the scene on Tuesday\nThe fire spread fast.",
        ["Firefighters at the scene on Tuesday", "The fire spread fast."],
    ),
    (
        "paragraph-no-period",
        "First paragraph without a stop\n\nSecond one.",
        ["First paragraph without a stop", "Second one."],
    ),
    (
        "hard-wrap",
        "The council voted to close the\nlibrary on Monday. It reopens soon.",
        ["The council voted to close the\nlibrary on Monday.", "It reopens soon."],
    ),
    # --- unicode and whitespace
    ("crlf", "First line.\r\nSecond line.", ["First line.", "Second line."]),
    ("nbsp", "Prices rose\xa03%. Then fell.", ["Prices rose\xa03%.", "Then fell."]),
    (
        "em-dash",
        "The deal — worth $2bn — collapsed. Talks end.",
        ["The deal — worth $2bn — collapsed.", "Talks end."],
    ),
    ("zero-width", "Zero\u200bwidth here. Next one.", ["Zero\u200bwidth here.", "Next one."]),
    ("tabs", "Tabbed\tsentence. Another\there.", ["Tabbed\tsentence.", "Another\there."]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_golden_cases(text: str, expected: list[str]) -> None:
    assert [s.text for s in segment(text)] == expected


def test_case_table_is_large() -> None:
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


def _check_invariants(text: str, sents: list) -> None:
    pos = 0
    for s in sents:
        assert text[s.start : s.end] == s.text
        assert s.start >= pos
        assert s.text == s.text.strip()
        assert s.text
        # nothing but whitespace between sentences
        assert text[pos : s.start].strip() == ""
        pos = s.end
        assert 0.0 <= s.in_quote <= 1.0
    assert text[pos:].strip() == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_offsets_on_arbitrary_text(text: str) -> None:
    _check_invariants(text, segment(text))


_NEWSY = st.lists(
    st.sampled_from(
        [
            "Mr.",
            "U.S.",
            "said",
            "“",
            "”",
            "‘",
            "’",
            '"',
            "'",
            ".",
            "?",
            "!",
            "...",
            "…",
            "\n",
            "\n\n",
            "\r\n",
            " ",
            "The",
            "he",
            "3.5%",
            "p.m.",
            "(",
            ")",
            "—",
            "1.",
            "•",
            "\xa0",
            "READ MORE:",
            "\u200b",
            "\ufeff",
            "Ab",
            "cd",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_NEWSY)
def test_offsets_on_newsy_fragments(text: str) -> None:
    _check_invariants(text, segment(text))


def test_paragraph_numbers_and_order() -> None:
    text = "Head line\n\nOne. Two.\nThree.\n\n\nFour."
    sents = segment(text)
    assert [(s.text, s.paragraph) for s in sents] == [
        ("Head line", 0),
        ("One.", 1),
        ("Two.", 1),
        ("Three.", 2),
        ("Four.", 3),
    ]
    assert [s.is_headline for s in sents] == [True, False, False, False, False]


def test_in_quote_share() -> None:
    (s,) = segment("“We won,” she said.")
    assert s.in_quote == pytest.approx(9 / 19, abs=1e-4)
    first, second = segment("“The plan failed. We will try again,” she said.")
    assert first.in_quote == 1.0
    assert 0 < second.in_quote < 1


def test_empty_and_whitespace() -> None:
    assert segment("") == []
    assert segment(" \n\t \r\n") == []


def test_non_str_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="expected str"):
        segment(b"bytes")  # type: ignore[arg-type]


def test_sample_article() -> None:
    text = resources.files("biaskit.data.samples").joinpath("sample-article.txt").read_text("utf-8")
    sents = segment(text)
    _check_invariants(text, sents)
    texts = [s.text for s in sents]
    assert texts[0].startswith("‘Iron fist’: Valdoran strongman") and sents[0].is_headline
    assert sum(s.is_headline for s in sents) == 1
    assert texts[1].startswith("TORVIK, Valdora (Meridian TV) — General Anton Reyes")
    assert "“The time for talking is over,” Reyes told a rally in the capital." in texts
    assert "“Our soldiers are already inside the city limits." in texts
    assert "They will not stop until the flag flies over the harbour,” he added." in texts
    assert "READ MORE: Valdora expels two European envoys over ‘interference’" in texts
    assert "If you like this story, share it with a friend!" in texts
    assert texts[-1].startswith("Follow Meridian TV on social media")
    assert len(sents) == 19


def test_segment_frame_schema() -> None:
    frame = segment_frame(
        [{"doc_id": "a", "outlet": "x", "text": "One. Two."}, {"doc_id": "b", "text": "Three."}]
    )
    assert list(frame.columns) == list(biaskit.schema.SEGMENT_COLUMNS)
    assert frame[["doc_id", "sent_id", "text"]].values.tolist() == [
        ["a", 0, "One."],
        ["a", 1, "Two."],
        ["b", 0, "Three."],
    ]


def test_segment_frame_bad_row_names_it() -> None:
    import pandas as pd

    with pytest.raises(InputError, match="row 1"):
        segment_frame(pd.DataFrame({"doc_id": ["a", "b"], "text": ["ok.", None]}))


def test_callable_module() -> None:
    assert biaskit.segment("A. B.") == biaskit.segment.segment("A. B.")
    assert callable(biaskit.segment.train_punkt)


def test_train_punkt_learns_and_roundtrips(tmp_path) -> None:
    # "Ytt." is an invented abbreviation that appears often mid-sentence
    docs = ["The Ytt. Jones case went on. " * 20 + "It ended."] * 5
    params = train_punkt(docs)
    assert "ytt" in params.abbrev_types
    assert "u.s" in params.abbrev_types  # shipped list is kept
    path = save_punkt(params, tmp_path / "p.json")
    loaded = load_punkt(path)
    assert loaded.abbrev_types == params.abbrev_types
    seg = NewsSegmenter(path)
    assert [s.text for s in seg.segment("The Ytt. Jones case went on.")] == [
        "The Ytt. Jones case went on."
    ]


def test_load_punkt_rejects_other_files(tmp_path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    with pytest.raises(InputError, match="not a biaskit Punkt parameter file"):
        load_punkt(bad)


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "biaskit.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_segment_text_and_jsonl(tmp_path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("Head\n\nMr. Lee left. He ran.", encoding="utf-8")
    out = _cli("segment", str(f))
    assert out.returncode == 0
    assert out.stdout.splitlines() == ["Head", "Mr. Lee left.", "He ran."]
    out = _cli("segment", "-", "--format", "jsonl", stdin="One. Two.")
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [(r["start"], r["end"]) for r in rows] == [(0, 4), (5, 9)]


def test_cli_missing_file_is_one_line(tmp_path) -> None:
    out = _cli("segment", str(tmp_path / "nope.txt"))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "file not found" in out.stderr and "Traceback" not in out.stderr


def test_cli_version_and_help() -> None:
    assert _cli("--version").stdout.strip() == f"biaskit {biaskit.__version__}"
    out = _cli("--help")
    assert "segment" in out.stdout and "exit codes" in out.stdout


def test_cli_train(tmp_path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The Ytt. Jones case went on. " * 30, encoding="utf-8")
    out = _cli("segment", "--train", str(corpus), "--out", str(tmp_path / "p.json"))
    assert out.returncode == 0, out.stderr
    out = _cli("segment", "-", "--punkt", str(tmp_path / "p.json"), stdin="The Ytt. Jones left.")
    assert out.stdout.splitlines() == ["The Ytt. Jones left."]
