"""Interrupt ``biaskit score`` at random points, resume, and compare (issue 10). Slow.

A seeded loop of trials: each starts the real ``biaskit score`` command (the shipped model, a
few hundred synthetic articles with a few broken rows, ``--chunk-size 10``: ~20 parts and
~5 s per run), sends SIGINT, SIGTERM or SIGKILL after a random delay (anywhere from start-up
to after the end), then resumes with ``biaskit.score(..., resume=True)`` and compares the
sentence table (sorted by doc_id, sent_id), the article table, errors.jsonl and the counts
with those of an uninterrupted run. The trial log (signal, delay, outcome) is written to
``tests/output/reliability/interrupt_trials.jsonl`` (git-ignored) with a summary next to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from biaskit.batch import score

pytestmark = pytest.mark.slow

SEED = 20261125
TRIALS_PER_SIGNAL_ONE_JOB = 7  # x 3 signals
TRIALS_PER_SIGNAL_TWO_JOBS = 1  # x 3 signals
CHUNK = 10
OUTPUT = Path(__file__).parent / "output" / "reliability"
BIASKIT = [sys.executable, "-m", "biaskit.cli", "-q", "score"]

SENTENCES = [
    "The council approved the budget on Tuesday.",
    "Prices rose 3.5% in May, the statistics office said.",
    "Officials who asked not to be named said talks had stalled.",
    "The company reportedly plans to cut 1,200 jobs.",
    "“We will not back down,” the union leader said.",
    "Shares fell 4% in early trading.",
    "According to the ministry, 14 people were injured.",
    "The storm is expected to weaken by Thursday.",
    "Critics called the plan a reckless gamble.",
    "“The plan failed. We will try again,” she said.",
]


def corpus(path: Path, n: int = 200) -> Path:
    """``n`` seeded articles plus three rows for the ledger (broken JSON, empty, duplicate)."""
    rng = random.Random(SEED)
    lines = []
    for i in range(n):
        paras = [" ".join(rng.choices(SENTENCES, k=rng.randint(2, 5)))
                 for _ in range(rng.randint(1, 3))]
        lines.append(json.dumps({"doc_id": f"doc-{i:04d}", "outlet": f"outlet-{i % 4}",
                                 "text": "\n\n".join(paras)}, ensure_ascii=False))
    lines.insert(37, '{"doc_id": "broken", "text": ')
    lines.insert(90, json.dumps({"doc_id": "empty", "text": "  "}))
    lines.insert(150, json.dumps({"doc_id": "doc-0003", "text": "A duplicate id."}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tables(out: Path) -> dict:
    key = ["doc_id", "sent_id"]
    sentences = pd.read_parquet(out / "sentences.parquet")
    run = json.loads((out / "run.json").read_text("utf-8"))
    return {
        "sentences": sentences.sort_values(key).reset_index(drop=True),
        "duplicates": int(sentences.duplicated(key).sum()),
        "articles": pd.read_parquet(out / "articles.parquet").sort_values("doc_id")
        .reset_index(drop=True),
        "errors": (out / "errors.jsonl").read_text("utf-8"),
        "counts": {k: run["counts"][k] for k in
                   ("rows_read", "articles_scored", "errors", "sentences", "parts")},
    }


def same(a: dict, b: dict) -> list[str]:
    """Names of the outputs that differ (empty when identical)."""
    diffs = []
    for name in ("sentences", "articles"):
        try:
            pd.testing.assert_frame_equal(a[name], b[name])
        except AssertionError:
            diffs.append(name)
    diffs += [k for k in ("errors", "counts", "duplicates") if a[k] != b[k]]
    return diffs


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (worker processes, multiprocessing's tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def reap(pids: list[int], grace: float = 3.0) -> list[int]:
    """Worker processes still alive ``grace`` seconds after their parent died; killed here."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if alive(p)]
    for p in left:  # processes this test started (through biaskit): ended by pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    return left


def one_trial(src: Path, out: Path, sig: signal.Signals, delay: float, jobs: int) -> dict:
    started = time.monotonic()
    # output to files, not pipes: orphaned workers (see the xfail below) inherit stdout and
    # stderr and would keep a pipe open, so reading it to the end would hang
    log_out, log_err = out.with_suffix(".stdout"), out.with_suffix(".stderr")
    with open(log_out, "wb") as so, open(log_err, "wb") as se:
        proc = subprocess.Popen([*BIASKIT, str(src), "-o", str(out), "--jobs", str(jobs),
                                 "--chunk-size", str(CHUNK)], stdout=so, stderr=se)
    workers: set[int] = set()
    while time.monotonic() - started < delay and proc.poll() is None:
        workers.update(children(proc.pid))
        time.sleep(0.02)
    sent = proc.poll() is None
    if sent:
        workers.update(children(proc.pid))
        proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    orphans = reap(sorted(workers)) if jobs > 1 else []
    stderr = log_err.read_text("utf-8", errors="replace")
    parts = out / "parts"
    done = len(list(parts.glob("part-??????.json"))) if parts.exists() else 0
    finals = sorted(p.name for p in out.iterdir()) if out.exists() else []
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    record = {
        "signal": sig.name, "delay_s": round(delay, 3), "jobs": jobs, "signal_sent": sent,
        "returncode": proc.returncode,
        "outcome": ("finished before the signal" if not sent and proc.returncode == 0 else
                    "finished despite the signal" if proc.returncode == 0 else
                    "interrupted (exit 130)" if proc.returncode == 130 else
                    f"killed by {signal.Signals(-proc.returncode).name}"
                    if proc.returncode < 0 else f"exit {proc.returncode}"),
        "parts_complete_before_resume": done,
        "files_before_resume": [n for n in finals if n != "parts"],
        "lock_left": ".lock" in finals,
        "traceback": "Traceback" in stderr,
        "stderr_last_line": lines[-1][:200] if lines else "",
        "orphan_workers": len(orphans),
    }
    # a run that did not finish must not leave final files that look complete
    if "run.json" not in finals:
        record["looks_complete_without_run_json"] = [
            n for n in finals if n in ("sentences.parquet", "articles.parquet")]
    t0 = time.monotonic()
    resumed = score([str(src)], out, resume=True, jobs=1, chunk_size=CHUNK, quiet=True)
    record.update(resume_s=round(time.monotonic() - t0, 2), parts_resumed=resumed.parts_resumed,
                  closes=resumed.closes)
    return record


def test_interrupt_resume_trials(tmp_path):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    src = corpus(tmp_path / "corpus.jsonl")
    t0 = time.monotonic()
    ref = subprocess.run([*BIASKIT, str(src), "-o", str(tmp_path / "ref"), "--jobs", "1",
                          "--chunk-size", str(CHUNK)], capture_output=True, text=True,
                         timeout=240)
    full_run = time.monotonic() - t0
    assert ref.returncode == 0, ref.stderr
    reference = tables(tmp_path / "ref")
    assert reference["counts"]["errors"] == 3 and reference["duplicates"] == 0

    rng = random.Random(SEED)
    plan = [(sig, 1) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
            for _ in range(TRIALS_PER_SIGNAL_ONE_JOB)]
    plan += [(sig, 2) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
             for _ in range(TRIALS_PER_SIGNAL_TWO_JOBS)]
    rng.shuffle(plan)
    log = []
    with open(OUTPUT / "interrupt_trials.jsonl", "w", encoding="utf-8") as fh:
        for k, (sig, jobs) in enumerate(plan):
            # from start-up to a little after a whole run (jobs=2 starts slower)
            delay = rng.uniform(0.3, full_run * (1.15 if jobs == 1 else 1.6))
            out = tmp_path / f"trial-{k:02d}"
            record = {"trial": k, **one_trial(src, out, sig, delay, jobs)}
            record["differences"] = same(tables(out), reference)
            record["identical"] = not record["differences"]
            log.append(record)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()

    summary = {
        "seed": SEED, "trials": len(log), "uninterrupted_run_s": round(full_run, 2),
        "reference_counts": reference["counts"],
        "by_signal": dict(Counter(r["signal"] for r in log)),
        "outcomes": dict(Counter(r["outcome"] for r in log)),
        "identical_after_resume": sum(r["identical"] for r in log),
        "tracebacks": sum(r["traceback"] for r in log),
        "orphan_workers": sum(r["orphan_workers"] for r in log),
        "locks_left_by_killed_runs": sum(r["lock_left"] for r in log),
    }
    (OUTPUT / "interrupt_summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    assert len(log) >= 20
    bad = [r for r in log if not r["identical"] or not r["closes"]]
    assert not bad, bad
    for r in log:
        assert not r.get("looks_complete_without_run_json"), r
        if r["signal"] == "SIGINT" and r["signal_sent"] and r["returncode"] != 0:
            # Ctrl-C: a clean exit 130 with one line, the lock released
            assert r["returncode"] == 130 and not r["traceback"] and not r["lock_left"], r
    # the seeded delays reach every stage: before, during and after the scoring
    assert summary["outcomes"].get("finished before the signal", 0) >= 1
    assert sum(r["parts_complete_before_resume"] == 0 and r["signal_sent"] for r in log) >= 1
    assert sum(0 < r["parts_complete_before_resume"] for r in log if r["signal_sent"]) >= 5


@pytest.mark.xfail(
    strict=True,
    reason="batch._Pool workers are spawned processes that outlive their parent: after SIGTERM "
    "(a scheduler's stop) or SIGKILL of `biaskit score --jobs 2`, the workers, each holding the "
    "model in memory, keep running as orphans (re-parented to init) until killed by hand, "
    "and keep the inherited stdout/stderr open (`biaskit score ... | tee log` never ends); "
    "score installs no SIGTERM handler and the workers do not watch their parent",
)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_do_not_outlive_a_killed_run(tmp_path, sig):
    src = corpus(tmp_path / "corpus.jsonl")
    out = tmp_path / "out"
    proc = subprocess.Popen([*BIASKIT, str(src), "-o", str(out), "--jobs", "2",
                             "--chunk-size", str(CHUNK)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not (out / "parts").exists() or not list((out / "parts").glob("part-*.json")):
            workers.update(children(proc.pid))
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        workers.update(children(proc.pid))
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
    orphans = reap(sorted(workers), grace=10.0)
    assert workers and not orphans, f"{len(orphans)} worker(s) still running 10 s later"
