"""Reliability of the command line (issue 10): wrong flags, missing files, unwritable outputs,
a full disk, two runs in one directory.

Wanted every time: a clear one-line ``biaskit: error: …`` (argparse adds its usage lines for
flag mistakes), the non-zero exit code that ``--help`` documents (``cli.EXIT_CODES``), no
traceback, and no partial file that looks complete. Most cases call ``cli.main`` in-process
(an exception escaping it fails the test); a few run the real ``biaskit`` executable.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _helpers import call_cli  # noqa: E402 (on sys.path: conftest.py)

from biaskit import cli

FIX = Path(__file__).parent / "fixtures" / "reliability"
SAMPLE = Path(__file__).parents[1] / "biaskit" / "data" / "samples" / "sample-article.txt"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
BIASKIT = [sys.executable, "-m", "biaskit.cli"]


def documented_codes() -> set[int]:
    return {int(line.split()[0]) for line in cli.EXIT_CODES.splitlines()[1:] if line.strip()}


call = call_cli  # (exit code, stdout, stderr) of an in-process run


def assert_clean_error(code: int, err: str, expected: int, pattern: str = "") -> None:
    assert code == expected, err
    assert code in documented_codes()
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ": error: " in ln]
    assert len(errors) == 1, err  # exactly one error line
    assert errors[0].startswith("biaskit") and pattern in errors[0], err


def jsonl(path: Path, n: int) -> Path:
    path.write_text("".join(
        json.dumps({"doc_id": f"d{i}", "outlet": f"o{i % 3}",
                    "text": f"Article {i}: the council met, officials said. Prices rose {i}%."})
        + "\n" for i in range(n)), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- help


def test_help_documents_every_exit_code():
    assert documented_codes() == {0, 1, 2, 3, 4, 130}
    for command in ([], ["segment"], ["analyze"], ["score"], ["compare"], ["report"],
                    ["train"], ["evaluate"], ["corpus"]):
        proc = subprocess.run([*BIASKIT, *command, "--help"], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0
        assert cli.EXIT_CODES.strip() in proc.stdout, command


def test_every_biaskit_error_code_is_documented():
    from biaskit import errors

    codes = {cls.exit_code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.BiaskitError)}
    assert codes <= documented_codes()


# --------------------------------------------------------------------------- usage mistakes


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["score", "--bogus", "x", "-o", "o"], "unrecognized arguments: --bogus"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["score"], "the following arguments are required"),
        (["analyze", "a.txt", "--format", "xml"], "invalid choice: 'xml'"),
        (["score", "a.jsonl", "-o", "o", "--jobs", "two"], "invalid int value: 'two'"),
        (["compare", "scores"], "the following arguments are required: -o/--out"),
        (["segment", "--format"], "expected one argument"),
    ],
)
def test_wrong_flags(argv, pattern, capsys):
    code, _, err = call(argv, capsys)
    assert_clean_error(code, err, 2, pattern)


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["score", "a.txt", "-o", "o", "--chunk-size", "0"], "chunk_size must be a positive"),
        (["score", "a.txt", "-o", "o", "--jobs", "-1"], "jobs must be a positive integer"),
        (["score", "a.txt", "-o", "o", "--resume", "--overwrite"], "exclude each other"),
        (["score", "a.txt", "-o", "o", "--encoding", "klingon"], "unknown encoding"),
        (["segment"], "segment needs FILE"),
        (["segment", "--train", "a.txt"], "--train needs --out"),
        (["compare", "scores", "-o", "c", "--n-boot", "0"], "n_boot: expected a positive"),
    ],
)
def test_bad_option_values(argv, pattern, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("One sentence. Two.", encoding="utf-8")
    (tmp_path / "scores").mkdir()
    jsonl(tmp_path / "scores.jsonl", 1)
    if argv[0] == "compare":  # needs a scored table to get to the option check
        from biaskit.batch import score

        score([str(tmp_path / "scores.jsonl")], tmp_path / "scored", jobs=1, quiet=True)
        argv = ["compare", tmp_path / "scored", *argv[2:]]
    code, _, err = call(argv, capsys)
    assert_clean_error(code, err, 2, pattern)


def test_compare_on_an_unfinished_score_run_says_to_resume_it(capsys, tmp_path):
    run = tmp_path / "scored"
    (run / "parts").mkdir(parents=True)  # what a stopped run leaves before assembly
    code, _, err = call(["compare", str(run), "-o", str(tmp_path / "c")], capsys)
    assert_clean_error(code, err, 2, "did not finish (its parts/ are there); finish it with the same command and --resume")
    (tmp_path / "empty").mkdir()
    code, _, err = call(["compare", str(tmp_path / "empty"), "-o", str(tmp_path / "c")], capsys)
    assert_clean_error(code, err, 2, "run `biaskit score` first")


@pytest.mark.parametrize(
    "argv",
    [
        ["segment", "missing.txt"],
        ["analyze", "missing.txt"],
        ["score", "missing.jsonl", "-o", "out"],
        ["score", "ok.jsonl", "missing.csv", "-o", "out"],
        ["compare", "missing", "-o", "c"],
        ["report", "missing", "-o", "r.html"],
        ["segment", "--train", "missing", "--out", "p.json"],
        ["analyze", "."],
        ["score", "notes.docx", "-o", "out"],
    ],
)
def test_missing_or_wrong_input_files(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    jsonl(tmp_path / "ok.jsonl", 2)
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    code, _, err = call(argv, capsys)
    assert_clean_error(code, err, 2)
    assert not (tmp_path / "out").exists()  # nothing created for a run that never started


def test_undecodable_and_binary_text_arguments(capsys, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\u00e9 owners protested.".encode("latin-1"))
    code, _, err = call(["analyze", latin], capsys)
    assert_clean_error(code, err, 2, "cannot decode as utf-8 at byte 3; pass --encoding")
    code, out, _ = call(["segment", latin, "--encoding", "latin-1"], capsys)
    assert code == 0 and "Café owners protested." in out


def test_hostile_text_through_segment_and_analyze(capsys):
    """RTL, bidi controls, emoji ZWJ sequences, combining marks, escape sequences, CRLF."""
    code, out, _ = call(["segment", FIX / "hostile.txt", "--format", "jsonl"], capsys)
    assert code == 0
    text = (FIX / "hostile.txt").read_bytes().decode("utf-8")
    for line in out.splitlines():
        rec = json.loads(line)
        assert text[rec["start"]:rec["end"]] == rec["text"]
    code, out, _ = call(["analyze", FIX / "hostile.txt", "--format", "jsonl"], capsys)
    assert code == 0 and len(out.splitlines()) >= 5


# --------------------------------------------------------------------------- models


def test_a_refused_model_exits_3(capsys, tmp_path):
    from biaskit.persist import card_path, default_model_path

    bad = tmp_path / "m.skops"
    bad.write_bytes(b"\x80\x04K\x01.")  # a pickle
    shutil.copyfile(card_path(default_model_path()), card_path(bad))
    code, _, err = call(["analyze", SAMPLE, "--model", bad], capsys)
    assert_clean_error(code, err, 3, "does not match its card")
    code, _, err = call(["analyze", SAMPLE, "--model", tmp_path / "absent.skops"], capsys)
    assert_clean_error(code, err, 3, "model file not found")


# --------------------------------------------------------------------------- outputs


@pytest.fixture
def corpus(tmp_path):
    return jsonl(tmp_path / "in.jsonl", 12)


def test_output_directory_that_is_a_file(capsys, tmp_path, corpus):
    target = tmp_path / "taken"
    target.write_text("mine")
    code, _, err = call(["score", corpus, "-o", target], capsys)
    assert_clean_error(code, err, 4, "exists and is not a directory")
    assert target.read_text() == "mine"
    code, _, err = call(["score", corpus, "-o", target / "sub"], capsys)
    assert_clean_error(code, err, 4, "cannot create the output directory")


def test_output_directory_that_cannot_be_written(capsys, tmp_path, corpus):
    # /proc refuses new entries to root as well; a chmod'ed directory only stops other users
    code, _, err = call(["score", corpus, "-o", "/proc/biaskit-out"], capsys)
    assert_clean_error(code, err, 4, "cannot create the output directory")


@pytest.mark.skipif(IS_ROOT, reason="root writes into read-only directories; covered by the "
                    "/proc and tmpfs tests")
def test_read_only_output_directory(capsys, tmp_path, corpus):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, _, err = call(["score", corpus, "-o", ro], capsys)
        assert code == 4 and "Traceback" not in err
    finally:
        ro.chmod(0o700)


def test_non_empty_output_directory(capsys, tmp_path, corpus):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = call(["score", corpus, "-o", out], capsys)
    assert_clean_error(code, err, 4, "is not empty (notes.txt)")


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["analyze", SAMPLE, "--html", "{tmp}/dir"], "is a directory"),
        (["analyze", SAMPLE, "--html", "{tmp}/file/x.html"], "cannot write"),
        (["report", "{tmp}/scored", "-o", "{tmp}/dir"], "is a directory"),
        (["compare", "{tmp}/scored", "-o", "{tmp}/file", "--no-figures"], "not a directory"),
        (["segment", "--train", SAMPLE, "--out", "{tmp}/dir"], "is a directory"),
    ],
)
def test_unwritable_output_files(argv, pattern, capsys, tmp_path, scored):
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    argv = [str(a).format(tmp=tmp_path) for a in argv]
    code, _, err = call(argv, capsys)
    assert_clean_error(code, err, 4, pattern)
    assert (tmp_path / "file").read_text() == "x"


@pytest.fixture
def scored(tmp_path):
    from biaskit.batch import score

    score([str(jsonl(tmp_path / "s.jsonl", 30))], tmp_path / "scored", jobs=1, quiet=True)
    return tmp_path / "scored"


# --------------------------------------------------------------------------- full disk


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_during_score_is_one_line_exit_4(capsys, tmp_path, corpus, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setattr(Path, "write_bytes", _enospc)  # every part write fails
    code, _, err = call(["score", corpus, "-o", out, "--jobs", "1", "--chunk-size", "4"], capsys)
    assert_clean_error(code, err, 4, "No space left on device")
    assert {p.name for p in out.iterdir()} <= {"parts"}  # no table, no run.json, no lock


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", SAMPLE, "--html", "{tmp}/view.html"],
        ["segment", "--train", SAMPLE, "--out", "{tmp}/punkt.json"],
        ["report", "{tmp}/scored", "-o", "{tmp}/report.html"],
        ["compare", "{tmp}/scored", "-o", "{tmp}/cmp", "--no-figures", "--n-boot", "50"],
    ],
)
def test_full_disk_while_writing_a_file_leaves_no_partial_file(argv, capsys, tmp_path, scored,
                                                               monkeypatch):
    import builtins

    real_open = builtins.open

    def open_failing_writes(file, mode="r", *args, **kwargs):
        if any(m in mode for m in "wax") and str(tmp_path) in str(file):
            real_open(file, mode, *args, **kwargs).close()  # created, then the disk is full
            _enospc()
        return real_open(file, mode, *args, **kwargs)

    before = {p for p in tmp_path.rglob("*")}
    monkeypatch.setattr(builtins, "open", open_failing_writes)
    monkeypatch.setattr(Path, "write_text", _enospc)
    monkeypatch.setattr(Path, "write_bytes", _enospc)
    argv = [str(a).format(tmp=tmp_path) for a in argv]
    code, _, err = call(argv, capsys)
    monkeypatch.undo()
    assert_clean_error(code, err, 4, "No space left on device")
    left = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_dir() for p in left), sorted(map(str, left))  # no file, partial or not


def _mount_tiny_tmpfs(path: Path) -> bool:
    path.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    return proc.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux tmpfs")
def test_a_tiny_filesystem(tmp_path):
    """A real full disk: a 96 kB tmpfs (needs the right to mount, e.g. root in a container)."""
    tiny = tmp_path / "tiny"
    if not _mount_tiny_tmpfs(tiny):
        pytest.skip("cannot mount a tmpfs here (not root / no CAP_SYS_ADMIN); the "
                    "monkeypatched full-disk tests cover the same code paths")
    try:
        src = jsonl(tmp_path / "in.jsonl", 300)
        proc = subprocess.run([*BIASKIT, "-q", "score", str(src), "-o", str(tiny / "out"),
                               "--jobs", "1", "--chunk-size", "50"],
                              capture_output=True, text=True, timeout=240)
        assert proc.returncode == 4, proc.stderr
        assert "Traceback" not in proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("biaskit: error: ") and "No space left on device" in last
        names = {p.name for p in (tiny / "out").iterdir()}
        assert not names & {"sentences.parquet", "articles.parquet", "run.json", ".lock"}
        proc = subprocess.run([*BIASKIT, "analyze", str(SAMPLE), "--html",
                               str(tiny / "view.html")], capture_output=True, text=True,
                              timeout=240)
        assert proc.returncode in (0, 4), proc.stderr  # the page may fit in what is left
        assert "Traceback" not in proc.stderr
        if proc.returncode == 4:
            assert not (tiny / "view.html").exists()
    finally:
        subprocess.run(["umount", str(tiny)], capture_output=True)


# --------------------------------------------------------------------------- two runs at once


def test_two_runs_in_one_output_directory(tmp_path):
    """The real executable twice on one directory: the second is refused (exit 4, one line),
    the first finishes with its own rows only."""
    src = jsonl(tmp_path / "in.jsonl", 1000)
    out = tmp_path / "out"
    first = subprocess.Popen([*BIASKIT, "-q", "score", str(src), "-o", str(out), "--jobs", "1",
                              "--chunk-size", "20"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / ".lock").exists():
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = subprocess.run([*BIASKIT, "-q", "score", str(src), "-o", str(out),
                                 "--resume"], capture_output=True, text=True, timeout=120)
        still_running = first.poll() is None
        stdout, stderr = first.communicate(timeout=240)
    finally:
        with contextlib.suppress(ProcessLookupError):
            first.kill()
        first.wait()
    assert still_running  # the refusal happened while the first run held the lock
    assert second.returncode == 4, second.stderr
    assert "Traceback" not in second.stderr
    [line] = [ln for ln in second.stderr.splitlines() if ln.strip()]
    assert "is in use by another biaskit run (pid " in line
    assert first.returncode == 0, stderr
    assert "rows read 1000 = scored 1000 + errors 0" in stdout
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["rows_read"] == 1000 and run["counts"]["parts_resumed"] == 0
    assert not (out / ".lock").exists()
