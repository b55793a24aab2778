"""`biaskit analyze FILE`: HTML pages and document tables are read as `score` reads them; clear
notes and errors for empty files, missing columns and unknown encodings; no `nan` in the view."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from _helpers import call_cli  # noqa: E402 (on sys.path: conftest.py)

import biaskit
from biaskit import cli
from biaskit.io import read_documents

BATCH = Path(__file__).parent / "fixtures" / "batch"
PAGE = BATCH / "site" / "harbor-gazette" / "storm.html"


call = call_cli  # (exit code, stdout, stderr) of an in-process run


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


# --------------------------------------------------------------------------- HTML


def test_html_page_is_reduced_to_its_article_as_score_does(capsys):
    code, out, err = call(["analyze", PAGE, "--format", "jsonl"], capsys)
    assert code == 0, err
    rows = records(out)
    [doc] = list(read_documents(PAGE))  # the reader `score` uses
    expected = biaskit.analyze([{k: doc[k] for k in
                                 ("doc_id", "outlet", "title", "text", "published", "url")}])
    assert [r["text"] for r in rows] == expected["text"].tolist()
    assert rows[0]["text"] == "Storm knocks out power to 40,000 homes"
    assert not any("<" in r["text"] or "Subscribe" in r["text"] for r in rows)
    assert {r["doc_id"] for r in rows} == {"storm"}
    assert {r["outlet"] for r in rows} == {"Harbor Gazette"}
    assert {r["published"] for r in rows} == {"2026-01-19"}


def test_html_outlet_flag_wins_over_the_site_name(capsys):
    code, out, _ = call(["analyze", PAGE, "--format", "jsonl", "--outlet", "hg"], capsys)
    assert code == 0
    assert {r["outlet"] for r in records(out)} == {"hg"}


def test_html_without_article_text_is_a_clear_error(capsys, tmp_path):
    page = tmp_path / "nav.html"
    page.write_text("<html><head><title>Menu</title></head><body><script>x()</script></body>"
                    "</html>", encoding="utf-8")
    code, out, err = call(["analyze", page], capsys)
    assert code == 2 and out == ""
    assert err == (f"biaskit: error: {page}:1: no article text found in the HTML "
                   "(trafilatura extracted nothing)\n")


# --------------------------------------------------------------------------- tables


def test_jsonl_prints_every_document_with_its_id(capsys, caplog):
    path = BATCH / "docs.jsonl"
    with caplog.at_level(logging.WARNING, logger="biaskit"):
        code, out, err = call(["analyze", path], capsys)
    assert code == 0, err
    assert [ln for ln in out.splitlines() if ln.startswith("==")] == [
        "== hg-1: Seawall bond passes ==",
        "== nw-7: Strike enters second week ==",
        "== nfd-1 ==",
        f"== {path}:7 ==",
    ]
    assert '{"doc_id"' not in out  # the JSON is not read as prose
    assert out.splitlines()[1] == "[0] Seawall bond passes"
    skipped = [r.getMessage() for r in caplog.records]
    assert skipped == [
        f"{path}:4: skipped: invalid JSON (Invalid control character, column 43)",
        f"{path}:6: skipped: expected a JSON object per line, got list",
        f"{path}:8: skipped: empty text",
        f"{path}:9: skipped: 'text' is int, expected a string",
    ]
    code, out, _ = call(["analyze", path, "--format", "jsonl"], capsys)
    assert code == 0
    ids = list(dict.fromkeys(r["doc_id"] for r in records(out)))
    assert ids == ["hg-1", "nw-7", "nfd-1", f"{path}:7"]


def test_csv_is_read_with_the_column_flags_of_score(capsys, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("key,body,paper\nk1,Officials said the bridge would reopen in May.,north\n",
                    encoding="utf-8")
    argv = ["analyze", path, "--format", "jsonl", "--id-col", "key", "--text-col", "body",
            "--outlet-col", "paper"]
    code, out, err = call(argv, capsys)
    assert code == 0, err
    rows = records(out)
    assert [(r["doc_id"], r["outlet"], r["text"]) for r in rows] == [
        ("k1", "north", "Officials said the bridge would reopen in May.")]


def test_a_column_flag_naming_a_missing_column_is_an_error(capsys, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("guid,text\ng1,Prices rose.\n", encoding="utf-8")
    code, out, err = call(["analyze", path, "--id-col", "guidd", "--outlet-col", "outlet"],
                          capsys)
    assert code == 2 and out == ""
    assert err == (
        f"biaskit: error: {path}: no column 'guidd' for the id (id_col=, CLI: --id-col); no "
        "column 'outlet' for the outlet (outlet_col=, CLI: --outlet-col); the file has 'guid', "
        "'text'. Name columns the file has, or leave the option out\n"
    )


def test_html_view_of_a_table_with_several_documents_is_refused(capsys, tmp_path):
    code, _, err = call(["analyze", BATCH / "docs.csv", "--html", tmp_path / "v.html"], capsys)
    assert code == 2
    assert err == (f"biaskit: error: {BATCH / 'docs.csv'}: --html shows one article, the file "
                   "holds 3; pick one row, or run `biaskit score` and `biaskit report` for a "
                   "corpus\n")
    assert not (tmp_path / "v.html").exists()


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("argv", [
    ["analyze", "{txt}", "--encoding", "nosuchenc"],
    ["segment", "{txt}", "--encoding", "nosuchenc"],
    ["segment", "--train", "{txt}", "--out", "{tmp}/p.json", "--encoding", "nosuchenc"],
    ["analyze", "{csv}", "--encoding", "nosuchenc"],
])
def test_unknown_encoding_is_a_usage_error(argv, capsys, tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text("Prices rose.", encoding="utf-8")
    table = tmp_path / "a.csv"
    table.write_text("text\nPrices rose.\n", encoding="utf-8")
    argv = [a.format(txt=txt, csv=table, tmp=tmp_path) for a in argv]
    code, out, err = call(argv, capsys)
    assert (code, out) == (2, "")
    assert err == "biaskit: error: unknown encoding 'nosuchenc'; use e.g. 'utf-8' or 'latin-1'\n"


# --------------------------------------------------------------------------- empty input


@pytest.mark.parametrize("content", ["", "  \n\n \t\n"])
def test_empty_text_file_prints_a_note_and_valid_empty_output(content, capsys, caplog, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="biaskit"):
        assert call(["analyze", path], capsys)[:2] == (0, "")
        assert call(["analyze", path, "--format", "jsonl"], capsys)[:2] == (0, "")
        code, out, _ = call(["analyze", path, "--format", "csv"], capsys)
    assert code == 0
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert rows == [] and header[:3] == ["doc_id", "outlet", "sent_id"]
    assert [r.getMessage() for r in caplog.records] == [
        f"{path} holds no text; nothing to analyze"] * 3


def test_empty_jsonl_prints_a_note(capsys, caplog):
    with caplog.at_level(logging.WARNING, logger="biaskit"):
        code, out, _ = call(["analyze", BATCH / "empty.jsonl", "--format", "jsonl"], capsys)
    assert (code, out) == (0, "")
    assert [r.getMessage() for r in caplog.records] == [
        f"{BATCH / 'empty.jsonl'} holds no text; nothing to analyze"]


def test_the_note_reaches_stderr(tmp_path, capsys, monkeypatch):
    # cli.main configures logging as in a real run (pytest's own handlers would stop it)
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.root, "level", logging.root.level)
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf-8")
    assert call(["analyze", path], capsys) == (
        0, "", f"biaskit: {path} holds no text; nothing to analyze\n")


# --------------------------------------------------------------------------- no "nan"


def _row(**kw):
    row = {"sent_id": 0, "text": "It is said that the deal failed.", "claim": False,
           "p_claim": 0.1, "attribution": True, "p_attribution": 1.0,
           "attribution_kind": ["hedged"], "framing": False, "p_framing": 0.1,
           "framing_kind": [], "quoted_framing": False, "quoted_framing_kind": [],
           "source": float("nan"), "cue": "said", "source_type": "none",
           "source_entity": float("nan"), "content_start": 0, "content_end": 31,
           "evidence": []}
    row.update(kw)
    return row


def test_missing_source_is_shown_as_a_dash_not_nan(capsys):
    table = pd.DataFrame([_row(), _row(sent_id=1, cue=None, source_type=float("nan"))])
    cli._write_sentences(table)
    assert capsys.readouterr().out.splitlines() == [
        "[0] It is said that the deal failed.",
        "      attribution[hedged] 1.00",
        "      source: - | cue: said | type: none",
        "[1] It is said that the deal failed.",
        "      attribution[hedged] 1.00",
    ]
    cli._write_attributions(table, "It is said that the deal failed.")
    assert capsys.readouterr().out.splitlines() == [
        "[0] (no source) → said → “It is said that the deal failed”",
        "      kind: hedged; source type: none",
        "[1] (no source) → ? → “It is said that the deal failed”",
        "      kind: hedged; source type: none",
    ]


def test_no_nan_in_the_views_of_a_real_article(capsys, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("The minister reportedly resigned. It is said that the deal failed. "
                    "Sources say the plan is dead.", encoding="utf-8")
    for extra in ([], ["--attributions"]):
        code, out, _ = call(["analyze", path, *extra], capsys)
        assert code == 0 and out
        assert "nan" not in out
