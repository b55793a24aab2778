"""Reliability of batch scoring on broken inputs (issue 10).

Truncated gzip, mixed encodings, CSV with embedded newlines and quotes, a 50 MB JSONL line,
NUL bytes, lone surrogates, unreadable files (root-proof variants), broken symlinks, FIFOs, a
full disk. Wanted: each problem ledgered in ``errors.jsonl`` with file and line, the rest
scored, and the accounting closes (rows read = scored + errors).

Where ``biaskit/batch/`` or ``biaskit/io.py`` fall short, the test states the wanted behaviour
and is marked ``xfail(strict=True)`` with the cause, so it turns into a failure (a reminder to
drop the marker) once fixed. All the issue-10 markers of this file are fixed and removed.

Most runs use the fast fake scorer of ``fixtures/batch/fakescorer.py`` (real segmentation,
fixed tags); the readers, the ledger and the accounting are the same as with the model.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import biaskit
from biaskit.batch import ScoreResult, score
from biaskit.errors import OutputError

FIX = Path(__file__).parent / "fixtures" / "reliability"
BATCH_FIX = Path(__file__).parent / "fixtures" / "batch"
if str(BATCH_FIX) not in sys.path:
    sys.path.insert(0, str(BATCH_FIX))
import fakescorer  # noqa: E402

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(inputs, out, **kw) -> ScoreResult:
    kw.setdefault("scorer", fakescorer.fake_analyze)
    kw.setdefault("jobs", 1)
    kw.setdefault("quiet", True)
    kw.setdefault("chunk_size", 3)
    return score([str(i) for i in inputs], out, **kw)


def ledger(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "errors.jsonl").read_text("utf-8").splitlines()]


def articles(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "articles.parquet")


def assert_closes(result: ScoreResult, out: Path) -> None:
    """rows read = scored + errors, and the files agree with the counts."""
    assert result.closes
    assert result.rows_read == result.articles_scored + result.errors
    assert len(ledger(out)) == result.errors
    assert len(articles(out)) == result.articles_scored
    run_info = json.loads((out / "run.json").read_text("utf-8"))
    assert run_info["accounting"]["closes"] is True
    for err in ledger(out):
        assert set(err) == {"source", "line", "doc_id", "reason"} and err["source"]


def docs_jsonl(n: int, start: int = 0) -> bytes:
    return "".join(
        json.dumps({"doc_id": f"d{i}", "outlet": "o", "text": f"Article {i} said hello. It is calm."})
        + "\n" for i in range(start, start + n)
    ).encode()


# --------------------------------------------------------------------------- what works


def test_csv_with_embedded_newlines_and_quotes(tmp_path):
    out = tmp_path / "out"
    result = run([FIX / "quoted.csv"], out)
    assert (result.rows_read, result.articles_scored, result.errors) == (5, 4, 1)
    assert_closes(result, out)
    lines = dict(articles(out)[["doc_id", "line"]].itertuples(index=False))
    assert lines == {"q-1": 2, "q-2": 4, "q-3": 6, "q-5": 8}  # the line each record starts on
    [err] = ledger(out)
    assert err == {"source": str(FIX / "quoted.csv"), "line": 7, "doc_id": "q-4",
                   "reason": "empty text"}
    sentences = pd.read_parquet(out / "sentences.parquet")
    texts = sentences.groupby("doc_id")["text"].apply(list).to_dict()
    assert texts["q-1"] == ["Line one, with a comma, said the mayor.", 'Line "two" is here.']
    assert texts["q-2"] == ['He said, "no."', "Then he left."]
    assert texts["q-3"] == ['unquoted "stray quote inside a field']


def test_csv_with_an_unterminated_quote_is_ledgered(tmp_path):
    """A quoted field that never closes costs its row; the rows after it are read again."""
    out = tmp_path / "out"
    result = run([FIX / "unterminated.csv"], out)
    assert_closes(result, out)
    assert (result.rows_read, result.articles_scored, result.errors) == (4, 3, 1)
    [err] = ledger(out)
    assert (err["source"], err["line"], err["doc_id"]) == (str(FIX / "unterminated.csv"), 3, None)
    assert err["reason"].startswith("unterminated quote: a quoted field opened on this line "
                                    "never closes, so lines 3-5 were read as one row")
    assert dict(articles(out)[["doc_id", "line"]].itertuples(index=False)) == {
        "u-1": 2, "u-3": 4, "u-4": 5}


def test_nul_bytes_escaped_in_json_and_binary_files_in_a_directory(tmp_path):
    out = tmp_path / "out"
    result = run([FIX / "nul_escaped.jsonl", FIX / "site"], out)
    assert_closes(result, out)
    assert (result.rows_read, result.articles_scored, result.errors) == (6, 4, 2)
    by_id = {e["doc_id"]: e for e in ledger(out)}
    assert by_id["harbor/binary.txt"]["reason"].startswith("binary file (NUL byte at offset 8)")
    assert by_id["northwire/empty.txt"] == {
        "source": str(FIX / "site" / "northwire" / "empty.txt"), "line": 1,
        "doc_id": "northwire/empty.txt", "reason": "empty text"}
    sentences = pd.read_parquet(out / "sentences.parquet")
    assert "Escaped \x00 NUL inside." in set(sentences["text"])


def test_a_raw_nul_byte_after_the_binary_sniff_costs_one_line(tmp_path):
    src = tmp_path / "late.jsonl"
    src.write_bytes(docs_jsonl(200) + b'{"doc_id": "nul", "text": "A raw \x00 byte."}\n'
                    + docs_jsonl(5, 500))
    assert src.stat().st_size > 8192  # beyond the 8 KB inspected for binary content
    out = tmp_path / "out"
    result = run([src], out, chunk_size=50)
    assert_closes(result, out)
    assert (result.articles_scored, result.errors) == (205, 1)
    [err] = ledger(out)
    assert err["line"] == 201 and err["reason"].startswith("invalid JSON (Invalid control character")


def test_a_raw_nul_byte_early_in_jsonl_costs_one_line(tmp_path):
    out = tmp_path / "out"
    result = run([FIX / "nul_early.jsonl"], out)
    assert_closes(result, out)
    assert (result.rows_read, result.articles_scored, result.errors) == (3, 2, 1)
    assert set(articles(out)["doc_id"]) == {"n-1", "n-3"}
    [err] = ledger(out)
    assert err == {"source": str(FIX / "nul_early.jsonl"), "line": 2, "doc_id": None,
                   "reason": "invalid JSON (Invalid control character, column 34)"}


def test_mixed_encodings_in_csv_cost_one_row(tmp_path):
    """A cp1252 row in a UTF-8 CSV is one error (named with its line, the byte and the
    --encoding hint); the rows around it and the other inputs are scored."""
    out = tmp_path / "out"
    result = run([FIX / "mixed_encoding.csv", FIX / "quoted.csv"], out)
    assert_closes(result, out)
    [err] = [e for e in ledger(out) if e["source"].endswith("mixed_encoding.csv")]
    assert err["line"] == 3
    assert err["reason"].startswith("cannot decode as utf-8 (byte 0x93 in field 'text')")
    assert "--encoding" in err["reason"]
    assert {"c-1", "c-3", "q-1", "q-2", "q-3", "q-5"} <= set(articles(out)["doc_id"])


def test_mixed_encodings_in_jsonl_cost_one_line(tmp_path):
    out = tmp_path / "out"
    result = run([FIX / "mixed_encoding.jsonl"], out)
    assert_closes(result, out)
    assert (result.rows_read, result.articles_scored, result.errors) == (4, 3, 1)
    assert set(articles(out)["doc_id"]) == {"m-1", "m-2", "m-4"}
    [err] = ledger(out)
    assert (err["source"], err["line"]) == (str(FIX / "mixed_encoding.jsonl"), 3)
    assert err["reason"].startswith("cannot decode as utf-8;") and "--encoding" in err["reason"]


def test_truncated_gzip_is_ledgered_and_other_inputs_scored(tmp_path):
    raw = gzip.compress(docs_jsonl(300))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    good = tmp_path / "good.jsonl"
    good.write_bytes(docs_jsonl(4, 1000))
    out = tmp_path / "out"
    result = run([cut, good], out)
    assert_closes(result, out)
    err = next(e for e in ledger(out) if e["source"] == str(cut))
    assert "cannot read gzip file (EOFError" in err["reason"]
    assert {"d1000", "d1001", "d1002", "d1003"} <= set(articles(out)["doc_id"])


def test_truncated_gzip_keeps_the_complete_lines(tmp_path):
    raw = gzip.compress(docs_jsonl(300))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    out = tmp_path / "out"
    result = run([cut], out, chunk_size=100)
    assert_closes(result, out)
    # every complete line before the cut is scored; the cut (partial) line is the one error
    [err] = ledger(out)
    kept = err["line"] - 1
    assert 150 <= kept < 300
    assert (result.rows_read, result.articles_scored, result.errors) == (kept + 1, kept, 1)
    assert set(articles(out)["doc_id"]) == {f"d{i}" for i in range(kept)}
    assert err["reason"].startswith("cannot read gzip file (EOFError: ")
    assert f"the data ends after line {kept}" in err["reason"]


def test_truncated_gzip_csv_keeps_the_complete_rows(tmp_path):
    rows = "".join(f"c{i},Row {i} said hello.\n" for i in range(300))
    raw = gzip.compress(("doc_id,text\n" + rows).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    out = tmp_path / "out"
    result = run([cut], out, chunk_size=100)
    assert_closes(result, out)
    [err] = ledger(out)
    kept = result.articles_scored
    assert 150 <= kept < 300 and result.rows_read == kept + 1
    assert set(articles(out)["doc_id"]) == {f"c{i}" for i in range(kept)}
    assert err["line"] == kept + 2  # the header is line 1
    assert err["reason"].startswith("cannot read gzip file (EOFError: ")


def test_lone_surrogates_from_json_do_not_stop_the_run(tmp_path):
    """Decided: a lone surrogate (JSON "\\ud83d" without its pair) in any string field is
    replaced by U+FFFD, one for one (text offsets stay exact); the row is scored."""
    out = tmp_path / "out"
    result = run([FIX / "surrogates.jsonl", FIX / "quoted.csv"], out)
    assert_closes(result, out)
    assert (result.rows_read, result.articles_scored, result.errors) == (8, 7, 1)
    assert {"s-1", "s-2\ufffd", "s-3", "q-1"} <= set(articles(out)["doc_id"])
    sentences = pd.read_parquet(out / "sentences.parquet")
    by_id = sentences.groupby("doc_id")["text"].apply(list).to_dict()
    assert by_id["s-1"] == ["Emoji cut in half \ufffd.", "Officials said so."]
    assert by_id["s-3"] == ["A whole pair \U0001f600 is fine."]
    assert set(sentences.loc[sentences["doc_id"] == "s-2\ufffd", "outlet"]) == {"o\ufffd"}


# --------------------------------------------------------------------------- directories


def site_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(FIX / "site", site)
    return site


def test_a_broken_symlink_in_a_directory_is_ledgered(tmp_path):
    site = site_copy(tmp_path)
    os.symlink(tmp_path / "nowhere.txt", site / "northwire" / "dead.txt")
    out = tmp_path / "out"
    result = run([site], out)
    assert_closes(result, out)
    err = next(e for e in ledger(out) if e["doc_id"] == "northwire/dead.txt")
    assert err["source"] == str(site / "northwire" / "dead.txt")
    assert err["reason"].startswith("broken symbolic link (FileNotFoundError")
    assert "northwire/storm.txt" in set(articles(out)["doc_id"])
    info = json.loads((out / "run.json").read_text("utf-8"))["inputs"][0]
    assert info["unreadable_files"] == 1 and info["sha256"]


def test_a_broken_symlink_given_as_input_is_an_input_error(tmp_path):
    dead = tmp_path / "dead.jsonl"
    os.symlink(tmp_path / "nowhere.jsonl", dead)
    with pytest.raises(biaskit.BiaskitError, match="input not found"):
        run([dead], tmp_path / "out")


@pytest.mark.skipif(
    not Path("/proc/self/mem").exists(), reason="needs Linux /proc/self/mem (EIO on read)"
)
def test_a_file_that_fails_on_read_is_ledgered(tmp_path):
    site = site_copy(tmp_path)
    os.symlink("/proc/self/mem", site / "harbor" / "mem.txt")
    out = tmp_path / "out"
    result = run([site], out)
    assert_closes(result, out)
    err = next(e for e in ledger(out) if e["doc_id"] == "harbor/mem.txt")
    assert err["reason"].startswith("cannot read file (OSError: "), err


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode (chmod 000 does not "
                    "deny it); the EIO and FIFO tests cover unreadable files as root")
def test_a_chmod_000_file_is_ledgered(tmp_path):
    site = site_copy(tmp_path)
    locked = site / "harbor" / "locked.txt"
    locked.write_text("Secret. Nobody reads this.")
    locked.chmod(0)
    try:
        out = tmp_path / "out"
        result = run([site], out)
        assert_closes(result, out)
        err = next(e for e in ledger(out) if e["doc_id"] == "harbor/locked.txt")
        assert err["reason"].startswith("cannot read file (PermissionError"), err
    finally:
        locked.chmod(0o644)


_FIFO_RUN = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    import biaskit, fakescorer
    r = biaskit.score([sys.argv[2]], sys.argv[3], scorer=fakescorer.fake_analyze, jobs=1,
                      quiet=True)
    print(r.rows_read, r.articles_scored, r.errors)
    """
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_in_a_directory_does_not_hang_the_run(tmp_path):
    site = site_copy(tmp_path)
    os.mkfifo(site / "harbor" / "pipe.txt")
    out = tmp_path / "out"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _FIFO_RUN, str(BATCH_FIX), str(site), str(out)],
            # a hang lasts forever; 60 s leave room for start-up (imports) on a loaded machine
            capture_output=True, text=True, timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the run hung on the FIFO for 60 s") from exc
    assert proc.returncode == 0, proc.stderr
    err = next(e for e in ledger(out) if e["doc_id"] == "harbor/pipe.txt")
    assert err["reason"].startswith("not a regular file (a FIFO)")
    rows, scored, errors = map(int, proc.stdout.split())
    assert rows == scored + errors and scored >= 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_given_as_input_is_ledgered(tmp_path):
    """A named pipe given by name is not opened either (that blocks without a writer)."""
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", _FIFO_RUN, str(BATCH_FIX), str(fifo), str(out)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "0", "1"]
    [err] = ledger(out)
    assert err["reason"].startswith("not a regular file (a FIFO); skipped. To read JSONL from "
                                    "a pipe, pass '-'")


# --------------------------------------------------------------------------- big lines


@pytest.mark.slow
def test_a_50_megabyte_jsonl_line(tmp_path):
    """A 50 MB text on one JSONL line is read and scored; a broken 2 MB line next to it is one
    ledger row with its line number. Run in a fresh process to measure its peak memory."""
    src = tmp_path / "big.jsonl"
    unit = "the council met on tuesday and officials said "
    with open(src, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"doc_id": "small-1", "text": "A short one. It said."}) + "\n")
        fh.write(json.dumps({"doc_id": "huge", "text": unit * (50_000_000 // len(unit))}) + "\n")
        fh.write('{"doc_id": "broken-huge", "text": "' + "x " * 1_000_000 + "\n")
        fh.write(json.dumps({"doc_id": "small-2", "text": "Another. Fine."}) + "\n")
    assert src.stat().st_size > 50_000_000
    code = textwrap.dedent(
        """
        import json, resource, sys
        sys.path.insert(0, sys.argv[1])
        import biaskit, fakescorer
        r = biaskit.score([sys.argv[2]], sys.argv[3], scorer=fakescorer.fake_analyze, jobs=1,
                          quiet=True)
        print(json.dumps({"rows": r.rows_read, "scored": r.articles_scored, "errors": r.errors,
                          "closes": r.closes, "seconds": r.seconds,
                          "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        """
    )
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", code, str(BATCH_FIX), str(src), str(out)],
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    figures = Path(__file__).parent / "output" / "reliability" / "jsonl_50mb_line.json"
    figures.parent.mkdir(parents=True, exist_ok=True)
    figures.write_text(json.dumps({"file_bytes": src.stat().st_size, **stats}, indent=2))
    assert (stats["rows"], stats["scored"], stats["errors"], stats["closes"]) == (4, 3, 1, True)
    [err] = ledger(out)
    assert err["line"] == 3 and err["reason"].startswith("invalid JSON")
    assert stats["peak_mb"] < 2000, stats  # ~12x the line (measured ~620 MB)
    sentences = pd.read_parquet(out / "sentences.parquet", columns=["doc_id", "end"])
    assert sentences.loc[sentences["doc_id"] == "huge", "end"].max() == 50_000_000 // len(unit) * len(unit) - 1


# --------------------------------------------------------------------------- full disk


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_leaves_no_file_that_looks_complete(tmp_path, monkeypatch):
    """A failed write leaves only the parts: no .tmp, no final table, no run.json, no lock."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(docs_jsonl(40))
    out = tmp_path / "out"
    monkeypatch.setattr(Path, "write_bytes", _disk_full)
    with pytest.raises(OutputError, match="No space left"):
        run([src], out, chunk_size=10)
    monkeypatch.undo()
    names = {p.name for p in out.iterdir()}
    assert names <= {"parts"}, names
    assert not any(p.name.endswith((".json", ".tmp")) and p.name.startswith("part-")
                   for p in (out / "parts").iterdir())
    resumed = run([src], out, chunk_size=10, resume=True)  # and the run can be finished
    assert_closes(resumed, out)
    assert resumed.articles_scored == 40


def test_a_full_disk_is_an_output_error(tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_bytes(docs_jsonl(10))
    monkeypatch.setattr(Path, "write_bytes", _disk_full)
    with pytest.raises(OutputError, match="No space left") as info:
        run([src], tmp_path / "out")
    message = str(info.value)
    assert "\n" not in message and message.startswith("cannot write ")
    assert "part-000000" in message and "--resume" in message
    assert info.value.errno == errno.ENOSPC and info.value.exit_code == 4


def test_a_full_disk_while_assembling_leaves_no_final_file(tmp_path, monkeypatch):
    """ENOSPC on the last final file (run.json): the tables written before it are removed
    too, so no final file exists without run.json; resume finishes the run."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(docs_jsonl(10))
    out = tmp_path / "out"
    real = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == "run.json.tmp":
            _disk_full()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(OutputError, match="run.json: No space left"):
        run([src], out)
    monkeypatch.undo()
    assert {p.name for p in out.iterdir()} == {"parts"}
    assert_closes(run([src], out, resume=True), out)


def test_an_unwritable_output_directory_is_an_output_error(tmp_path, monkeypatch):
    """EROFS / EACCES when taking the lock: OutputError (exit code 4), one line."""
    real = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, flags, *args, **kwargs)

    src = tmp_path / "in.jsonl"
    src.write_bytes(docs_jsonl(2))
    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OutputError, match=r"\.lock: Read-only file system; fix its permissions"):
        run([src], tmp_path / "out")


# --------------------------------------------------------------------------- all together


def test_every_readable_problem_at_once_with_the_real_model(tmp_path):
    """The shipped model over every fixture that the readers handle today, in two parts per
    file on average: the accounting closes and every problem names its file."""
    inputs = [FIX / "quoted.csv", FIX / "mixed_encoding.csv", FIX / "nul_escaped.jsonl",
              FIX / "site", FIX / "hostile.txt", FIX / "unterminated.csv",
              FIX / "nul_early.jsonl", FIX / "mixed_encoding.jsonl", FIX / "surrogates.jsonl"]
    out = tmp_path / "out"
    result = score([str(i) for i in inputs], out, jobs=1, quiet=True, chunk_size=3)
    assert_closes(result, out)
    assert (result.rows_read, result.articles_scored, result.errors) == (29, 22, 7)
    sources = Counter(Path(e["source"]).name for e in ledger(out))
    assert sources == {"quoted.csv": 1, "mixed_encoding.csv": 1, "binary.txt": 1,
                       "empty.txt": 1, "unterminated.csv": 1, "nul_early.jsonl": 1,
                       "mixed_encoding.jsonl": 1}
    sentences = pd.read_parquet(out / "sentences.parquet")
    rows = sentences[sentences["doc_id"] == str(FIX / "hostile.txt")]
    # bytes, not read_text: universal newlines would turn its \r\n into \n
    # (the text as read: offsets index it, not its NFC form)
    text = (FIX / "hostile.txt").read_bytes().decode("utf-8")
    assert all(text[s:e] == t for s, e, t in zip(rows["start"], rows["end"], rows["text"],
                                                   strict=True))
