"""Tests of biaskit.io: every input format → document and error records."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import tracemalloc
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from biaskit.errors import InputError
from biaskit.io import (
    ColumnMap,
    expand_inputs,
    extract_html,
    finish_record,
    is_error,
    iter_records,
    read_documents,
)

FIX = Path(__file__).parent / "fixtures" / "batch"


def read(*inputs, **kw):
    return list(read_documents([str(i) for i in inputs], **kw))


def docs_of(records):
    return [r for r in records if not is_error(r)]


def errors_of(records):
    return [r for r in records if is_error(r)]


# --------------------------------------------------------------------------- JSONL


def test_jsonl_documents_errors_and_line_numbers():
    path = FIX / "docs.jsonl"
    records = read(path)
    # every non-blank line is one record, in file order
    assert [r["line"] for r in records] == [1, 2, 3, 4, 6, 7, 8, 9]
    docs = docs_of(records)
    assert [d["doc_id"] for d in docs] == ["hg-1", "nw-7", "nfd-1", f"{path}:7"]
    first = docs[0]
    assert first["outlet"] == "harbor-gazette"
    assert first["title"] == "Seawall bond passes"
    assert first["published"] == "2026-03-02"
    assert first["url"] == "https://harbor.example/seawall"
    assert first["source"] == str(path)
    assert set(first) == {"doc_id", "outlet", "title", "text", "published", "url", "source", "line"}
    assert docs[1]["url"] is None
    errors = {e["line"]: e for e in errors_of(records)}
    assert errors[4]["reason"].startswith("invalid JSON")
    assert "column" in errors[4]["reason"]
    assert errors[6]["reason"] == "expected a JSON object per line, got list"
    assert errors[7 + 1] == {"source": str(path), "line": 8, "doc_id": "empty-1", "reason": "empty text"}
    assert "expected a string" in errors[9]["reason"]
    assert set(errors[4]) == {"source", "line", "doc_id", "reason"}


def test_text_is_kept_as_read_and_offsets_index_it():
    # analyze normalises for tagging and maps offsets back: the reader must not normalise,
    # or score's offsets would index a text the user never had
    doc = next(d for d in docs_of(read(FIX / "docs.jsonl")) if d["doc_id"] == "nfd-1")
    assert doc["text"] != unicodedata.normalize("NFC", doc["text"])  # the fixture is NFD
    assert unicodedata.normalize("NFC", "Café Lumière") in unicodedata.normalize(
        "NFC", doc["text"]
    )
    import biaskit

    rows = biaskit.analyze([doc])
    assert all(doc["text"][s:e] == t for s, e, t in zip(rows["start"], rows["end"], rows["text"], strict=True))


def test_bom_and_crlf_jsonl():
    docs = docs_of(read(FIX / "bom.jsonl"))
    assert [d["doc_id"] for d in docs] == ["bom-1", "bom-2"]
    # the file's BOM is an encoding mark and is gone; a BOM inside a JSON string is the
    # field's text, kept so that offsets index the field as given (analyze skips it)
    assert docs[0]["text"].startswith("\ufeffA cholera outbreak")
    import biaskit

    assert biaskit.analyze([docs[0]])["start"].iloc[0] == 1
    assert not docs[1]["text"].endswith("\r")


def test_empty_file_is_one_error():
    assert read(FIX / "empty.jsonl") == [
        {"source": str(FIX / "empty.jsonl"), "line": None, "doc_id": None,
         "reason": "empty file: no records"}
    ]


def test_only_blank_lines_is_empty(tmp_path):
    p = tmp_path / "blank.jsonl"
    p.write_text("\n\n  \n")
    [err] = read(p)
    assert err["reason"] == "empty file: no records"


def test_binary_file_is_one_error(tmp_path):
    p = tmp_path / "image.jsonl"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    [err] = read(p)
    assert err["reason"].startswith("binary file (NUL byte at offset 8)")


def test_stdin_jsonl(monkeypatch):
    data = b'{"doc_id": "s1", "text": "From a pipe."}\n{bad\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    records = list(read_documents("-"))
    assert records[0]["doc_id"] == "s1" and records[0]["source"] == "-"
    assert records[1]["line"] == 2 and records[1]["reason"].startswith("invalid JSON")


def test_stdin_undecodable_line_is_an_error(monkeypatch):
    data = b'{"doc_id": "s1", "text": "ok"}\n{"doc_id": "s2", "text": "caf\xe9"}\n{"text": "x"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    records = list(read_documents("-"))
    assert records[0]["doc_id"] == "s1"
    assert records[1]["line"] == 2 and "cannot decode as utf-8" in records[1]["reason"]
    assert records[2]["doc_id"] == "-:3"


def test_utf16_jsonl(tmp_path):
    p = tmp_path / "u16.jsonl"
    p.write_text('{"doc_id": "u", "text": "Caf\u00e9 opened."}\n', encoding="utf-16")
    [err] = read(p)
    assert "binary file" in err["reason"] or "cannot decode" in err["reason"]
    [doc] = read(p, encoding="utf-16")
    assert doc["text"] == "Café opened."


# --------------------------------------------------------------------------- CSV / TSV


def test_csv_rows_line_numbers_and_malformed_rows():
    path = FIX / "docs.csv"
    records = read(path)
    by_line = {r["line"]: r for r in records}
    assert by_line[2]["doc_id"] == "csv-1" and by_line[2]["published"] == "2026-02-11"
    # a row with a missing text is an error naming the id
    assert by_line[3] == {"source": str(path), "line": 3, "doc_id": "csv-2", "reason": "empty text"}
    # a quoted text across lines keeps its paragraph break; the next row starts 3 lines later
    assert by_line[4]["text"].startswith("The maternity ward will close in June.\n\nNurses")
    assert by_line[4]["title"] == "Clinic closes, again"
    assert by_line[7]["reason"] == "empty text"  # short row: the text field is missing
    assert "6 fields, the header has 5" in by_line[8]["reason"]
    assert by_line[9]["doc_id"] == f"{path}:9"  # no id → FILE:LINE
    assert by_line[9]["title"] is None and by_line[9]["published"] is None


@pytest.mark.parametrize(
    ("body", "ok", "bad", "kinds"),
    [
        # the quote opened on line 3 never closes: that row is ledgered, lines 4-5 read again
        ('a-1,Fine.\na-2,"never closed\na-3,Read again.\na-4,Also fine.\n',
         {"a-1": 2, "a-3": 4, "a-4": 5}, [3], ["unterminated quote"]),
        # on the last line, without a final newline
        ('a-1,Fine.\na-2,"never closed', {"a-1": 2}, [3], ["unterminated quote"]),
        # the stray quote pairs with the opening quote of a later field, and text follows
        ('a-1,Fine.\na-2,"never closed\na-3,Read again.\na-4,"Quoted, closed."\n',
         {"a-1": 2, "a-3": 4, "a-4": 5}, [3], ["unbalanced quote"]),
        # two stray quotes: each costs its own row only
        ('a-1,"open\na-2,"open too\na-3,Fine.\n', {"a-3": 4}, [2, 3],
         ["unbalanced quote", "unterminated quote"]),
        # a quote error within one line is read leniently, as the csv module does
        ('a-1,"Said "no" twice."\na-2,Fine.\n', {"a-1": 2, "a-2": 3}, [], []),
    ],
    ids=["unterminated", "last-line", "unbalanced", "twice", "one-line"],
)
def test_csv_stray_quote_costs_one_row(tmp_path, body, ok, bad, kinds):
    p = tmp_path / "u.csv"
    p.write_text("doc_id,text\n" + body, encoding="utf-8")
    records = read(p)
    assert {d["doc_id"]: d["line"] for d in docs_of(records)} == ok
    if not bad:  # one line: csv's lenient reading, as before
        assert docs_of(records)[0]["text"] == 'Said no" twice."'
    errs = errors_of(records)
    assert [e["line"] for e in errs] == bad
    assert [e["reason"].split(":")[0] for e in errs] == kinds
    assert all("this row was skipped and the lines after it read again" in e["reason"]
               for e in errs)


def test_jsonl_nul_byte_and_undecodable_line_cost_one_line(tmp_path):
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(b'{"doc_id": "a", "text": "Fine."}\n{"doc_id": "b", "text": "raw \x00"}\n'
                  b'{"doc_id": "c", "text": "caf\xe9"}\n{"doc_id": "d", "text": "Fine."}\n')
    records = read(p)
    assert [d["doc_id"] for d in docs_of(records)] == ["a", "d"]
    assert [(e["line"], e["reason"][:12]) for e in errors_of(records)] == [
        (2, "invalid JSON"), (3, "cannot decod")]
    # a byte order mark and a blank first line do not make it look binary
    p.write_bytes(b'\xef\xbb\xbf\n{"doc_id": "a", "text": "Fine."}\n{"doc_id": "b", "text": "\x00"}\n')
    assert [r.get("doc_id") or r["reason"][:12] for r in read(p)] == ["a", "invalid JSON"]


def test_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path):
    data = b"".join(b'{"doc_id": "d%d", "text": "Text %d."}\n' % (i, i) for i in range(2000))
    raw = gzip.compress(data)
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(raw[: len(raw) // 2])
    records = read(p)
    docs, [err] = docs_of(records), errors_of(records)
    assert [d["doc_id"] for d in docs] == [f"d{i}" for i in range(len(docs))]
    assert 0 < len(docs) < 2000 and err["line"] == len(docs) + 1
    assert err["reason"].startswith("cannot read gzip file (EOFError: ")
    assert f"the data ends after line {len(docs)}" in err["reason"]


def test_truncated_gzip_csv_names_the_line_after_the_last_complete_row(tmp_path):
    # every row spans two lines (a quoted paragraph break): row i starts on line 2 + 2i
    data = b"doc_id,text\n" + b"".join(
        b'r%d,"Para one of %d.\nPara two."\n' % (i, i) for i in range(3000)
    )
    raw = gzip.compress(data)
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(raw[: len(raw) // 2])
    records = read(p)
    docs, [err] = docs_of(records), errors_of(records)
    n = len(docs)
    assert 0 < n < 3000 and [d["line"] for d in docs[-2:]] == [2 * n - 2, 2 * n]
    # the last complete row ends on line 2n + 1, so the data is missing from line 2n + 2
    assert err["line"] == 2 * n + 2
    assert f"the data ends after the row on line {2 * n}" in err["reason"]


def test_lone_surrogates_become_replacement_characters(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_text('{"doc_id": "x\\udc00", "outlet": "o\\ud800", "title": "t\\ud83d", '
                 '"text": "Cut \\ud83d here. A pair \\ud83d\\ude00 stays."}\n'
                 '{"doc_id": "y", "txt\\ud800": "no text field"}\n', encoding="utf-8")
    doc, err = read(p)
    assert (doc["doc_id"], doc["outlet"], doc["title"]) == ("x\ufffd", "o\ufffd", "t\ufffd")
    assert doc["text"] == "Cut \ufffd here. A pair \U0001f600 stays."
    assert "'txt\ufffd'" in err["reason"]
    json.dumps(err, ensure_ascii=False).encode("utf-8")  # writable as UTF-8


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_non_regular_files_are_errors_and_never_opened(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "ok.txt").write_text("A normal article. It reads well.")
    os.mkfifo(site / "pipe.txt")
    os.symlink(tmp_path / "nowhere.txt", site / "dead.txt")
    records = read(site)  # would block on the FIFO if it were opened
    by_id = {r["doc_id"]: r for r in records}
    assert not is_error(by_id["ok.txt"])
    assert by_id["pipe.txt"]["reason"].startswith("not a regular file (a FIFO)")
    assert by_id["dead.txt"]["reason"].startswith("broken symbolic link (FileNotFoundError")
    fifo = tmp_path / "named.csv"
    os.mkfifo(fifo)
    [err] = read(fifo)  # check_sources skips it too (reading the header would block)
    assert err["reason"].startswith("not a regular file (a FIFO)")


def test_tsv():
    docs = docs_of(read(FIX / "docs.tsv"))
    assert [(d["doc_id"], d["outlet"]) for d in docs] == [("tsv-1", "newsloop"), ("tsv-2", "newsloop")]
    assert docs[0]["text"] == "The merger was approved on Monday. Shares rose 4%."


def test_latin1_row_is_a_clear_error_and_encoding_fixes_it():
    path = FIX / "latin1.csv"
    [err] = read(path)
    assert err == {
        "source": str(path), "line": 2, "doc_id": None,
        "reason": "cannot decode as utf-8 (byte 0xe9 in field 'text'); pass encoding= "
                  "(CLI: --encoding) with the file's encoding, e.g. 'latin-1'",
    }
    [doc] = read(path, encoding="latin-1")
    assert doc["text"] == "Le café est fermé. The owner said so."


def test_csv_rows_in_another_encoding_cost_only_those_rows(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes(
        "doc_id,text\nc-1,Café prices rose.\n".encode()
        + b"c-2,\x93Smart quotes\x94 from Windows.\n"
        + "c-3,\"A quoted, multi-line\nfield é.\"\nc-4,Fine.\n".encode()
    )
    records = read(p)
    assert [(r.get("doc_id"), r["line"]) for r in records] == [
        ("c-1", 2), (None, 3), ("c-3", 4), ("c-4", 6)
    ]
    assert records[1]["reason"].startswith("cannot decode as utf-8 (byte 0x93 in field 'text')")
    assert records[2]["text"] == "A quoted, multi-line\nfield é."


def test_csv_header_that_does_not_decode_costs_the_file(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes(b"doc_id,text,r\xe9sum\xe9\n1,Some text.,x\n")
    [err] = read(p)
    assert err["line"] == 1
    assert err["reason"].startswith("cannot decode the header as utf-8 (byte 0xe9")


def test_utf16_csv_read_as_utf8_is_binary(tmp_path):
    p = tmp_path / "u16.csv"
    p.write_text("doc_id,text\nu,Café opened.\n", encoding="utf-16")
    [err] = read(p)
    assert err["reason"].startswith("binary file (NUL byte at offset")
    [doc] = read(p, encoding="utf-16")
    assert doc["text"] == "Café opened."


def test_unknown_encoding():
    with pytest.raises(InputError, match="unknown encoding"):
        read(FIX / "docs.csv", encoding="no-such-codec")


def test_csv_without_the_text_column_fails_up_front(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,body\n1,Hello there.\n")
    with pytest.raises(InputError, match=r"no column 'text'.*'id', 'body'.*text_col") as exc:
        read(p)
    assert str(p) in str(exc.value)
    [doc] = read(p, columns=ColumnMap(id_col="id", text_col="body"))
    assert doc["doc_id"] == "1" and doc["text"] == "Hello there."


def test_csv_with_bom_header(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffdoc_id,text\nb1,Prices rose.\n".encode())
    [doc] = read(p)
    assert doc["doc_id"] == "b1"


def test_header_only_csv_is_empty(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("doc_id,text\n")
    [err] = read(p)
    assert err["reason"] == "empty file: no records"


# --------------------------------------------------------------------------- gzip


def test_gzip_jsonl_and_csv_match_plain_files(tmp_path):
    for name in ("docs.jsonl", "docs.csv"):
        gz = tmp_path / (name + ".gz")
        gz.write_bytes(gzip.compress((FIX / name).read_bytes()))
        plain = read(FIX / name)
        packed = read(gz)
        strip = [{k: v for k, v in r.items() if k not in ("source", "doc_id")} for r in plain]
        assert [{k: v for k, v in r.items() if k not in ("source", "doc_id")} for r in packed] == strip


def test_corrupt_gzip_is_one_error(tmp_path):
    p = tmp_path / "bad.jsonl.gz"
    p.write_bytes(b"this is not gzip at all")
    [err] = read(p)
    assert err["reason"].startswith("cannot read gzip file")


# --------------------------------------------------------------------------- parquet


def test_parquet_with_column_mapping_and_types(tmp_path):
    p = tmp_path / "docs.parquet"
    table = pa.table(
        {
            "id": pa.array([7, 8, 9, 10]),
            "body": ["Cafe\u0301 prices rose.", None, "  ", "Second article. It is fine."],
            "site": ["a", "b", None, "a"],
            "day": pa.array([1767225600000, None, None, 1767312000000], pa.timestamp("ms")),
        }
    )
    pq.write_table(table, p, row_group_size=2)
    cols = ColumnMap(id_col="id", text_col="body", outlet_col="site", date_col="day")
    records = read(p, columns=cols)
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    # the text as the file holds it (NFD here): analyze maps its offsets back to it
    assert records[0]["doc_id"] == "7" and records[0]["text"] == "Cafe\u0301 prices rose."
    assert records[0]["published"].startswith("2026-01-01")
    assert records[0]["outlet"] == "a" and records[0]["title"] is None
    assert records[1]["reason"] == "empty text" and records[1]["doc_id"] == "8"
    assert records[2]["reason"] == "empty text"
    assert records[3]["doc_id"] == "10"


def test_parquet_without_text_column_fails_up_front(tmp_path):
    p = tmp_path / "x.parquet"
    pq.write_table(pa.table({"doc_id": ["a"], "body": ["t"]}), p)
    with pytest.raises(InputError, match="no column 'text'"):
        read(p)


def test_not_a_parquet_file_is_one_error(tmp_path):
    p = tmp_path / "x.parquet"
    p.write_text("doc_id,text\n")
    [err] = read(p)
    assert err["reason"].startswith("not a readable parquet file")


# --------------------------------------------------------------------------- text / HTML directories


def test_directory_outlets_ids_and_order():
    site = FIX / "site"
    records = read(site)
    assert [r["doc_id"] for r in records] == [
        "harbor-gazette/ferry.txt",
        "harbor-gazette/storm.html",
        "northwire/2026/kelvar.txt",
        "northwire/empty.txt",
        "northwire/latin1.txt",
        "top.txt",
    ]  # README.md is not an article; sub-sub-directories keep the first folder as outlet
    outlets = {r["doc_id"]: r.get("outlet") for r in docs_of(records)}
    assert outlets == {
        "harbor-gazette/ferry.txt": "harbor-gazette",
        "harbor-gazette/storm.html": "harbor-gazette",
        "northwire/2026/kelvar.txt": "northwire",
        "top.txt": None,
    }
    errs = {e["doc_id"]: e for e in errors_of(records)}
    assert errs["northwire/empty.txt"]["reason"] == "empty text"
    assert "cannot decode as utf-8" in errs["northwire/latin1.txt"]["reason"]
    assert all(r["line"] == 1 for r in records)
    assert records[0]["source"] == str(site / "harbor-gazette" / "ferry.txt")


def test_html_body_without_boilerplate_keeps_title_and_date():
    [doc] = read(FIX / "site" / "harbor-gazette" / "storm.html")
    text = doc["text"]
    assert text.startswith("Storm knocks out power to 40,000 homes")
    assert "the utility said in a statement" in text
    assert "“We expect most customers to have power back by Tuesday,”" in text
    for boilerplate in ("Subscribe", "Home", "Most read", "Share this story", "All rights reserved",
                        "Privacy policy", "Ferry fares"):
        assert boilerplate not in text
    assert doc["title"] == "Storm knocks out power to 40,000 homes"
    assert doc["published"] == "2026-01-19"
    # a single HTML file has no outlet folder: the site name is used
    assert doc["outlet"] == "Harbor Gazette"


def test_html_without_article_text_is_an_error(tmp_path):
    p = tmp_path / "nav.html"
    p.write_text("<html><head><title>Menu</title></head><body><script>x()</script></body></html>")
    [err] = read(p)
    assert "no article text" in err["reason"]


def test_deferred_html_matches_direct_extraction():
    sources = expand_inputs(str(FIX / "site"))
    direct = list(iter_records(sources))
    deferred = list(iter_records(sources, defer_html=True))
    pending = [r for r in deferred if r.get("html")]
    assert len(pending) == 1 and "<nav>" in pending[0]["text"]
    assert [finish_record(r) for r in deferred] == direct


def test_extract_html_none_for_empty_page():
    assert extract_html("<html></html>") is None


# --------------------------------------------------------------------------- inputs


def test_several_inputs_in_order():
    records = read(FIX / "docs.tsv", FIX / "bom.jsonl")
    assert [r["doc_id"] for r in records] == ["tsv-1", "tsv-2", "bom-1", "bom-2"]


def test_missing_and_unsupported_inputs(tmp_path):
    with pytest.raises(InputError, match="input not found"):
        read(tmp_path / "nope.jsonl")
    (tmp_path / "a.xlsx").write_text("x")
    with pytest.raises(InputError, match=r"unsupported input format \.xlsx.*\.jsonl"):
        read(tmp_path / "a.xlsx")
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"x"))
    with pytest.raises(InputError, match="unsupported"):
        read(tmp_path / "a.txt.gz")
    with pytest.raises(InputError, match="no inputs"):
        read()
    with pytest.raises(InputError, match="only once"):
        list(read_documents(["-", "-"]))


def test_reading_is_streamed(tmp_path):
    """A 12 MB JSONL file is read with a few MB of Python memory, not the file's size."""
    p = tmp_path / "big.jsonl"
    line = json.dumps({"doc_id": "x", "text": "Prices rose 3% in May, analysts said. " * 30})
    with open(p, "w") as fh:
        for i in range(10_000):
            fh.write(line.replace('"x"', f'"d{i}"') + "\n")
    assert p.stat().st_size > 10_000_000
    tracemalloc.start()
    n = sum(1 for _ in read_documents(p))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 10_000
    assert peak < 4_000_000


def test_header_check_uses_the_encoding(tmp_path):
    p = tmp_path / "l1.csv"
    p.write_bytes("id,résumé\n1,Le café.\n".encode("latin-1"))
    with pytest.raises(InputError, match="'id', 'résumé'"):
        read(p, encoding="latin-1")
    [doc] = read(p, encoding="latin-1", columns=ColumnMap(id_col="id", text_col="résumé"))
    assert doc["text"] == "Le café."


def test_utf16_csv_with_a_broken_unit_keeps_the_rows_before_it(tmp_path):
    p = tmp_path / "u16bad.csv"
    p.write_bytes("doc_id,text\nu1,Café opened.\nu2,Second row.\n".encode("utf-16-le")
                  + b"\x00\xd8")  # half a surrogate pair at the end
    records = read(p, encoding="utf-16-le")
    assert [(r.get("doc_id"), r["line"]) for r in records] == [("u1", 2), ("u2", 3), (None, 4)]
    assert records[2]["reason"].startswith("cannot read file (UnicodeDecodeError")


# --------------------------------------------------------------------------- user-walkthrough fixes

LXML_MESSAGE = (
    "lxml.html.clean module is now a separate project lxml_html_clean.\n"
    "Install lxml[html_clean] or lxml_html_clean directly."
)


def test_lxml_html_clean_is_a_core_dependency():
    # old pips do not resolve justext's lxml[html_clean]: biaskit asks for the package itself
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    core = text.split("\ndependencies = [", 1)[1].split("\n]", 1)[0]
    assert '  "lxml_html_clean>=0.1",' in core.splitlines()


def test_missing_html_cleaner_is_one_error_naming_the_file_and_package(monkeypatch):
    import trafilatura

    def broken(*args, **kwargs):
        raise ImportError(LXML_MESSAGE)

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    page = FIX / "site" / "harbor-gazette" / "storm.html"
    assert read(page) == [{
        "source": str(page),
        "line": 1,
        "doc_id": str(page),
        "reason": "cannot extract the article from HTML: a package is missing (lxml.html.clean "
                  "module is now a separate project lxml_html_clean. Install lxml[html_clean] or "
                  "lxml_html_clean directly.); install it (pip install lxml_html_clean) or "
                  "reinstall biaskit",
    }]
    # a directory: the page is one error, the text files are still read
    records = read(FIX / "site")
    assert [r["doc_id"] for r in docs_of(records)] == [
        "harbor-gazette/ferry.txt", "northwire/2026/kelvar.txt", "top.txt"]
    [html_error] = [e for e in errors_of(records) if e["doc_id"] == "harbor-gazette/storm.html"]
    assert "pip install lxml_html_clean" in html_error["reason"]


def test_missing_trafilatura_names_it(monkeypatch):
    from biaskit.errors import BiaskitError

    monkeypatch.setitem(sys.modules, "trafilatura", None)  # `import trafilatura` fails
    with pytest.raises(BiaskitError, match=r"a package is missing .*\(pip install trafilatura\)"):
        extract_html("<html><body><p>Hi.</p></body></html>")


def test_non_text_encoding_is_a_clear_error():
    from biaskit.io import check_encoding

    with pytest.raises(InputError, match=r"^'base64' is not a text encoding; use e\.g\. 'utf-8'"):
        check_encoding("base64")
    with pytest.raises(InputError, match=r"^unknown encoding 'nosuchenc'; use e\.g\. 'utf-8'"):
        check_encoding("nosuchenc")
    assert check_encoding("UTF8") == "utf-8"


def test_input_format():
    from biaskit.io import input_format

    assert [input_format(n) for n in ("a.csv.gz", "b.TSV", "c.pq", "d.htm", "e.md", "f")] == [
        "csv", "tsv", "parquet", "html", None, None]


def _table_sources(tmp_path, kind):
    if kind == "csv":
        p = tmp_path / "in.csv"
        p.write_text("guid,text,site\ng1,Prices rose.,north\n", encoding="utf-8")
    else:
        p = tmp_path / "in.parquet"
        pq.write_table(pa.table({"guid": ["g1"], "text": ["Prices rose."], "site": ["north"]}), p)
    return p, expand_inputs(p)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_column_named_by_the_caller_must_exist(tmp_path, kind):
    from biaskit.io import check_sources

    p, sources = _table_sources(tmp_path, kind)
    columns = ColumnMap(id_col="guidd", outlet_col="sitee", date_col="dat")
    with pytest.raises(InputError) as exc:
        check_sources(sources, columns)
    assert str(exc.value) == (
        f"{p}: no column 'guidd' for the id (id_col=, CLI: --id-col); no column 'sitee' for the "
        "outlet (outlet_col=, CLI: --outlet-col); no column 'dat' for the date (date_col=, CLI: "
        "--date-col); the file has 'guid', 'text', 'site'. Name columns the file has, or leave "
        "the option out"
    )
    # the right names pass; absent defaults (published, url, title) stay optional
    check_sources(sources, ColumnMap(id_col="guid", outlet_col="site"))
    check_sources(sources)
    # a default name the caller asked for explicitly must exist too
    with pytest.raises(InputError, match=r"no column 'outlet' for the outlet \(outlet_col="):
        check_sources(sources, ColumnMap(), required=["outlet_col"])


def test_text_column_message_is_unchanged_when_it_is_the_only_one_missing(tmp_path):
    from biaskit.io import check_sources

    p, sources = _table_sources(tmp_path, "csv")
    with pytest.raises(InputError) as exc:
        check_sources(sources, ColumnMap(text_col="body", id_col="guid"))
    assert str(exc.value) == (
        f"{p}: no column 'body' for the text; the file has 'guid', 'text', 'site'. Pass "
        "text_col= (CLI: --text-col) to name the column that holds the article text"
    )


def test_jsonl_has_no_header_to_check():
    # a JSONL key missing from a line is null there: no up-front check
    docs = docs_of(read(FIX / "docs.jsonl", columns=ColumnMap(outlet_col="paper")))
    assert [d["outlet"] for d in docs] == [None, None, None, None]
