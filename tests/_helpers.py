"""Helpers shared by the batch tests that run ``biaskit score`` in a subprocess.

``tests/conftest.py`` puts this directory (and ``fixtures/batch`` with the fake scorers) on
``sys.path``, so test modules import it as ``_helpers`` under ``--import-mode=importlib``.
Used by ``test_batch.py``, ``test_batch_arrow.py`` and ``test_reliability_interrupt.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: the fake scorers (``fakescorer.py``) that spawned workers import too
BATCH_FIX = Path(__file__).parent / "fixtures" / "batch"


def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll ``condition`` every 50 ms until it is true; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def complete_parts(out: Path) -> int:
    """Parts of a run in ``out`` that are complete (their ``part-NNNNNN.json`` exists)."""
    return len(list((out / "parts").glob("part-??????.json")))


def start_score(
    src: Path,
    out: Path,
    *,
    delay: float,
    chunk_size: int = 20,
    jobs: int = 1,
    scorer: str = "slow_analyze",
) -> subprocess.Popen[str]:
    """Start ``biaskit.score`` with a fake scorer that sleeps ``delay`` s per part."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import biaskit, fakescorer; "
        f"biaskit.score([sys.argv[2]], sys.argv[3], scorer=fakescorer.{scorer}, "
        f"chunk_size={chunk_size}, jobs={jobs}, quiet=True)"
    )
    env = {**os.environ, "BIASKIT_TEST_DELAY": str(delay)}
    return subprocess.Popen(
        [sys.executable, "-c", code, str(BATCH_FIX), str(src), str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (worker processes, multiprocessing's tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def reap(pids: list[int], grace: float = 3.0) -> list[int]:
    """Processes still alive ``grace`` seconds after their parent died; killed here."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if alive(p)]
    for p in left:  # processes the calling test started (through biaskit): ended by pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    return left


def interrupt_after_parts(
    src: Path, out: Path, sig: int, *, parts: int = 2, **kwargs: Any
) -> tuple[str, set[int]]:
    """Start ``biaskit score`` (see :func:`start_score`), send ``sig`` once ``parts`` parts
    are complete, and wait for it to exit. Returns its stderr and every worker pid seen."""
    proc = start_score(src, out, **kwargs)
    workers: set[int] = set()
    try:
        def started() -> bool:
            workers.update(children(proc.pid))
            return (out / "parts").exists() and complete_parts(out) >= parts or (
                proc.poll() is not None)

        wait_for(started)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    return stderr, workers


def spy_on_assembly(monkeypatch: Any) -> list[str]:
    """Record the name of each final table assembled at the end of a run (not streamed)."""
    from biaskit.batch import output

    assembled: list[str] = []
    real = output._assemble_table

    def spy(paths: Any, target: Path, *args: Any, **kwargs: Any) -> int:
        assembled.append(target.name)
        return real(paths, target, *args, **kwargs)

    monkeypatch.setattr(output, "_assemble_table", spy)
    return assembled


def call_cli(argv: list[Any], capsys: Any) -> tuple[int, str, str]:
    """Run ``biaskit ARGV`` in-process: (exit code, stdout, stderr); argparse's exit too."""
    from biaskit import cli

    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err
