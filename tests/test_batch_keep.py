"""``score(..., keep=...)``: input columns of the researcher's own data (topic, section, ...)
carried onto every sentence and article row, from every table format, with one type per
column however the corpus is cut into parts, and part of what a resume must match."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from biaskit import io as bio
from biaskit.batch import ScoreOptions, score
from biaskit.errors import InputError, InterruptedRun, OutputError
from biaskit.schema import ARTICLE_COLUMNS, SENTENCE_COLUMNS

FIX = Path(__file__).parent / "fixtures" / "batch"
if str(FIX) not in sys.path:  # spawned workers inherit sys.path and import the fake scorers
    sys.path.insert(0, str(FIX))
import fakescorer  # noqa: E402

DOCS = [
    {"doc_id": "a1", "outlet": "north", "topic": "economy", "week": 12, "score": 0.5,
     "breaking": True, "tags": ["rates", "bank"], "meta": {"desk": "business"},
     "text": "The central bank raised rates on Tuesday, officials said. "
             "Critics called the move reckless."},
    {"doc_id": "a2", "outlet": "south", "topic": "health", "week": 13, "score": 1,
     "breaking": False, "tags": [], "meta": None,
     "text": "Hospitals reported 40 fewer flu cases this week."},
    # no kept key at all: JSONL has no header, so every kept value is null
    {"doc_id": "a3", "outlet": "south",
     "text": "A new clinic opened in the north of the city. Residents welcomed it."},
]
KEEP = ("topic", "week", "score", "breaking", "tags", "meta")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run(inputs, out, **kw):
    kw.setdefault("scorer", fakescorer.fake_analyze)
    kw.setdefault("jobs", 1)
    kw.setdefault("quiet", True)
    return score(inputs, out, **kw)


def columns(path: Path, names) -> dict[str, list]:
    table = pq.read_table(path)
    return {n: table.column(n).to_pylist() for n in names}


def types(path: Path, names) -> dict[str, str]:
    schema = pq.read_schema(path)
    return {n: str(schema.field(n).type) for n in names}


def test_kept_columns_follow_the_schema_columns_on_sentences_and_articles(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out"
    result = run([str(src)], out, keep=KEEP)
    assert result.closes and result.articles_scored == 3 and result.sentences == 5
    sentences, articles = out / "sentences.parquet", out / "articles.parquet"
    s_names = pq.read_schema(sentences).names
    assert s_names[: len(SENTENCE_COLUMNS)] == list(SENTENCE_COLUMNS)
    assert s_names[-len(KEEP) :] == list(KEEP)
    assert pq.read_schema(articles).names == [
        *ARTICLE_COLUMNS, "title", "published", "url", "source", "line", *KEEP
    ]
    assert columns(sentences, ["doc_id", *KEEP]) == {
        "doc_id": ["a1", "a1", "a2", "a3", "a3"],
        "topic": ["economy", "economy", "health", None, None],
        "week": [12, 12, 13, None, None],
        "score": [0.5, 0.5, 1.0, None, None],
        "breaking": [True, True, False, None, None],
        "tags": ['["rates", "bank"]', '["rates", "bank"]', "[]", None, None],
        "meta": ['{"desk": "business"}', '{"desk": "business"}', None, None, None],
    }
    assert columns(articles, ["doc_id", *KEEP]) == {
        "doc_id": ["a1", "a2", "a3"],
        "topic": ["economy", "health", None],
        "week": [12, 13, None],
        "score": [0.5, 1.0, None],
        "breaking": [True, False, None],
        "tags": ['["rates", "bank"]', "[]", None],
        "meta": ['{"desk": "business"}', None, None],
    }
    assert types(sentences, KEEP) == {
        "topic": "string", "week": "int64", "score": "double", "breaking": "bool",
        "tags": "string", "meta": "string",
    }
    assert types(articles, KEEP) == types(sentences, KEEP)
    info = json.loads((out / "run.json").read_text())
    assert info["options"]["keep"] == list(KEEP)
    assert info["manifest"]["keep"] == list(KEEP)
    assert "keep" not in info["manifest"]["columns"]


def test_without_keep_the_tables_are_as_before(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    run([str(src)], tmp_path / "out")
    assert pq.read_schema(tmp_path / "out" / "articles.parquet").names == [
        *ARTICLE_COLUMNS, "title", "published", "url", "source", "line"
    ]
    assert "topic" not in pq.read_schema(tmp_path / "out" / "sentences.parquet").names


MIXED = [
    {"doc_id": "m1", "week": 12, "flag": True, "ratio": 3.0, "note": None,
     "text": "Prices rose 3 percent in May."},
    {"doc_id": "m2", "week": "W13", "flag": 1, "ratio": "n/a", "note": "late",
     "text": "The council met on Tuesday."},
    {"doc_id": "m3", "text": "Shares fell 4 percent in early trading."},
]


@pytest.mark.parametrize("chunk_size", [1, 2, 10])
def test_mixed_values_are_text_however_the_corpus_is_cut(tmp_path, chunk_size):
    """One part per document (integers here, text there, null in a third) or all in one
    part: the same column type and the same text in the final file."""
    src = write_jsonl(tmp_path / "in.jsonl", MIXED)
    out = tmp_path / "out"
    run([str(src)], out, keep=("week", "flag", "ratio", "note"), chunk_size=chunk_size)
    for name in ("sentences.parquet", "articles.parquet"):
        assert columns(out / name, ["doc_id", "week", "flag", "ratio", "note"]) == {
            "doc_id": ["m1", "m2", "m3"],
            "week": ["12", "W13", None],
            "flag": ["true", "1", None],
            "ratio": ["3", "n/a", None],
            "note": [None, "late", None],
        }
        assert types(out / name, ["week", "flag", "ratio", "note"]) == dict.fromkeys(
            ["week", "flag", "ratio", "note"], "string"
        )


@pytest.mark.parametrize("chunk_size", [1, 10])
def test_integers_and_floats_across_parts_are_floats(tmp_path, chunk_size):
    rows = [
        {"doc_id": "n1", "share": 2, "text": "Prices rose 3 percent in May."},
        {"doc_id": "n2", "share": 2.5, "text": "The council met on Tuesday."},
        {"doc_id": "n3", "share": None, "text": "Shares fell 4 percent."},
    ]
    out = tmp_path / "out"
    run([str(write_jsonl(tmp_path / "in.jsonl", rows))], out, keep=["share"],
        chunk_size=chunk_size)
    assert columns(out / "articles.parquet", ["share"]) == {"share": [2.0, 2.5, None]}
    assert types(out / "articles.parquet", ["share"]) == {"share": "double"}


def test_a_kept_column_no_document_reaches_is_still_in_the_tables(tmp_path):
    """Every row is an error (empty texts): the tables are empty but have the kept column."""
    rows = [{"doc_id": "e1", "topic": "x", "text": " "}, {"doc_id": "e2", "text": ""}]
    out = tmp_path / "out"
    result = run([str(write_jsonl(tmp_path / "in.jsonl", rows))], out, keep=["topic"],
                 chunk_size=1)
    assert (result.articles_scored, result.errors) == (0, 2)
    for name in ("sentences.parquet", "articles.parquet"):
        assert pq.read_schema(out / name).names[-1] == "topic"
        assert pq.read_table(out / name).num_rows == 0


def test_csv_tsv_and_parquet_inputs(tmp_path):
    csv_src = tmp_path / "a.csv"
    csv_src.write_text(
        "doc_id,text,topic,section\n"
        "c1,Prices rose 3 percent in May.,economy,business\n"
        "c2,The council met on Tuesday.,,local\n",
        encoding="utf-8",
    )
    tsv_src = tmp_path / "b.tsv"
    tsv_src.write_text(
        "doc_id\ttext\ttopic\tsection\nt1\tShares fell 4 percent.\thealth\tscience\n",
        encoding="utf-8",
    )
    pq_src = tmp_path / "c.parquet"
    pq.write_table(
        pa.table({
            "doc_id": ["p1", "p2"],
            "text": ["The storm is expected to weaken.", "The museum reopened."],
            "topic": ["weather", None],
            "section": ["world", "culture"],
            "week": pa.array([14, None], pa.int64()),
            "tags": [["storm"], ["art", "city"]],
        }),
        pq_src,
    )
    out = tmp_path / "out"
    result = run([str(csv_src), str(tsv_src), str(pq_src)], out, keep=("topic", "section"))
    assert result.articles_scored == 5 and result.errors == 0
    assert columns(out / "articles.parquet", ["doc_id", "topic", "section"]) == {
        "doc_id": ["c1", "c2", "t1", "p1", "p2"],
        # CSV has no nulls: an empty cell is null, as for the document fields
        "topic": ["economy", None, "health", "weather", None],
        "section": ["business", "local", "science", "world", "culture"],
    }
    # parquet keeps its types; lists become their JSON text
    out2 = tmp_path / "out2"
    run([str(pq_src)], out2, keep=("week", "tags"))
    assert columns(out2 / "articles.parquet", ["week", "tags"]) == {
        "week": [14, None], "tags": ['["storm"]', '["art", "city"]']
    }
    assert types(out2 / "articles.parquet", ["week", "tags"]) == {
        "week": "int64", "tags": "string"
    }


def test_a_kept_column_a_table_lacks_is_an_input_error(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("doc_id,text,topic\nc1,Prices rose 3 percent.,economy\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        run([str(src)], tmp_path / "out", keep=("topic", "section", "desk"))
    assert str(err.value) == (
        f"{src}: no column 'section' to keep (keep=, CLI: --keep); no column 'desk' to keep "
        "(keep=, CLI: --keep); the file has 'doc_id', 'text', 'topic'. Name columns the file "
        "has, or leave the option out"
    )
    assert not (tmp_path / "out").exists()
    pq_src = tmp_path / "b.parquet"
    pq.write_table(pa.table({"id": ["p1"], "body": ["The museum reopened."]}), pq_src)
    with pytest.raises(InputError) as err:
        run([str(pq_src)], tmp_path / "out", keep=("topic",))
    assert str(err.value) == (
        f"{pq_src}: no column 'text' for the text (text_col=, CLI: --text-col); no column "
        "'topic' to keep (keep=, CLI: --keep); the file has 'id', 'body'. Name columns the "
        "file has, or leave the option out"
    )


def test_text_and_html_files_have_null_kept_values(tmp_path, caplog):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS[:1])
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="biaskit.batch"):
        result = run([str(src), str(FIX / "site")], out, keep=("topic",))
    assert "keep: text and HTML files have no columns; their 'topic' value(s) are null" in (
        caplog.text
    )
    topics = columns(out / "articles.parquet", ["doc_id", "topic"])
    assert len(topics["doc_id"]) == result.articles_scored == 5
    assert dict(zip(topics["doc_id"], topics["topic"], strict=True)) == {
        "a1": "economy",
        "harbor-gazette/ferry.txt": None,
        "harbor-gazette/storm.html": None,
        "northwire/2026/kelvar.txt": None,
        "top.txt": None,
    }


def test_csv_output_holds_the_kept_columns(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out"
    run([str(src)], out, keep=("topic", "week", "tags"), format="csv")
    header = (out / "articles.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",source,line,topic,week,tags")
    table = pd.read_csv(out / "articles.csv", keep_default_na=False)
    assert table[["topic", "week", "tags"]].astype(str).values.tolist() == [
        ["economy", "12", '["rates", "bank"]'],
        ["health", "13", "[]"],
        ["", "", ""],
    ]
    sentences = pd.read_csv(out / "sentences.csv", keep_default_na=False)
    assert list(sentences.columns[-3:]) == ["topic", "week", "tags"]
    assert sentences["week"].astype(str).tolist() == ["12", "12", "13", "", ""]


def test_resume_with_other_kept_columns_is_refused(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out"
    same = fakescorer.InterruptAfter(None)  # the scorer is part of what a resume must match
    with pytest.raises(InterruptedRun):
        run([str(src)], out, chunk_size=1, keep=("topic",), scorer=fakescorer.InterruptAfter(1))
    with pytest.raises(OutputError, match=r'cannot resume.*\(keep: was \["topic"\], now \[\]\)'):
        run([str(src)], out, chunk_size=1, resume=True, scorer=same)
    with pytest.raises(
        OutputError, match=r'cannot resume.*\(keep: was \["topic"\], now \["topic", "week"\]\)'
    ):
        run([str(src)], out, chunk_size=1, resume=True, scorer=same, keep=("topic", "week"))
    resumed = run([str(src)], out, chunk_size=1, resume=True, scorer=same, keep=("topic",))
    assert resumed.parts_resumed == 1 and resumed.closes
    run([str(src)], tmp_path / "full", chunk_size=1, keep=("topic",), scorer=same)
    for name in ("sentences.parquet", "articles.parquet"):
        assert pq.read_table(out / name).equals(pq.read_table(tmp_path / "full" / name))
    with pytest.raises(OutputError, match=r'finished run.*\(keep: was \["topic"\], now \[\]\)'):
        run([str(src)], out, chunk_size=1, resume=True, scorer=same)


def test_a_run_made_before_keep_existed_resumes_without_keep(tmp_path):
    """A manifest without ``keep`` (an older biaskit) kept nothing: resuming it without
    keep is allowed, with keep refused."""
    src = write_jsonl(tmp_path / "in.jsonl", DOCS)
    out = tmp_path / "out"
    same = fakescorer.InterruptAfter(None)  # the scorer is part of what a resume must match
    with pytest.raises(InterruptedRun):
        run([str(src)], out, chunk_size=1, scorer=fakescorer.InterruptAfter(1))
    manifest = out / "parts" / "manifest.json"
    old = json.loads(manifest.read_text())
    del old["keep"]
    manifest.write_text(json.dumps(old))
    with pytest.raises(OutputError, match=r'keep: was \[\], now \["topic"\]'):
        run([str(src)], out, chunk_size=1, resume=True, scorer=same, keep=("topic",))
    assert run([str(src)], out, chunk_size=1, resume=True, scorer=same).parts_resumed == 1


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (("text",), "keep: 'text' is a column of the output tables already"),
        (("title", "n_claims"), "keep: 'title', 'n_claims' are columns of the output tables"),
        (("topic", "topic"), "keep: 'topic' named more than once"),
        (("",), "keep: column names must be non-empty strings, got ''"),
        ((3,), "keep: column names must be non-empty strings, got 3"),
        (None, "keep must be a sequence of column names, got None"),
    ],
)
def test_bad_keep(keep, message):
    with pytest.raises(InputError, match=message):
        ScoreOptions(keep=keep)


def test_keep_names_are_a_tuple():
    assert ScoreOptions(keep="topic").keep == ("topic",)
    assert ScoreOptions(keep=["topic", "week"]).keep == ("topic", "week")
    assert ScoreOptions(keep=["topic"]).columns == bio.ColumnMap(keep=("topic",))
    assert ScoreOptions().keep == ()


def test_reader_values():
    assert [bio.kept_value(v) for v in (None, "", "  ", float("nan"), 0, False, 2**63, 1.5)] == [
        None, None, None, None, 0, False, "9223372036854775808", 1.5
    ]
    assert bio.kept_value("Cafe\u0301") == "Caf\u00e9"  # NFC, as the texts
    assert bio.kept_value({"k": ["\ud83d"]}) == '{"k": ["\ufffd"]}'
    import datetime as dt

    assert bio.kept_value(dt.date(2026, 5, 1)) == "2026-05-01"
