"""Batch scoring: many documents → tagged sentence and article tables on disk.

:func:`score` reads any mix of inputs (see :mod:`biaskit.io`), cuts the stream of records into
parts of ``chunk_size`` rows, scores the parts in worker processes (or on a dask.distributed
cluster) with :func:`biaskit.analysis.analyze`, and writes::

    OUT/sentences.parquet   tagged sentence table (one row per sentence)
    OUT/articles.parquet    article table (biaskit.aggregate.articles + title, date, url, source)
    OUT/errors.jsonl        every input row that could not be scored: source, line, doc_id, reason
    OUT/run.json            model, inputs (size, sha256), options, counts, timings, versions

The accounting always closes: *rows read = articles scored + rows in errors.jsonl*. Duplicate
ids, empty texts, broken lines and documents on which the analysis raised all become error
rows; nothing is dropped silently.

A run is resumable. Part *k* holds input rows ``k * chunk_size …`` — defined by the input
order alone, whatever the number of workers — and is written atomically: each of its files
(``parts/part-000123.parquet``, ``.articles.parquet``, ``.errors.jsonl``) as ``….tmp`` →
fsync → rename, then ``part-000123.json`` (its counts), whose presence marks it complete.
After Ctrl-C or ``kill -9``, ``resume=True`` skips the complete parts and produces the same
final files as an uninterrupted run. The final files are assembled from the parts at the end,
written as ``.tmp`` files and renamed together with run.json, and ``parts/`` is then
removed. A lock file (``OUT/.lock``) keeps two runs out of the same directory.

SIGTERM (``kill``, a scheduler's stop) ends a run as Ctrl-C does: workers stopped, lock
released, complete parts kept, :class:`~biaskit.errors.InterruptedRun` saying how to resume.
Workers end when their parent dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)`` on Linux, a
watch thread everywhere). A failed write (disk full, read-only, permission) is an
:class:`~biaskit.errors.OutputError`; the final files appear together with run.json or not at
all.

Workers are started with the ``spawn`` method: a script that calls :func:`score` with
``jobs > 1`` needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import stat
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pandas as pd

from biaskit import __version__
from biaskit import io as bio
from biaskit.errors import (
    BiaskitError,
    InputError,
    InterruptedRun,
    ModelError,
    OutputError,
    SchemaError,
)
from biaskit.schema import ARTICLE_COLUMNS, DOCUMENT_COLUMNS, SENTENCE_COLUMNS, check_columns

logger = logging.getLogger(__name__)

__all__ = ["ScoreOptions", "ScoreResult", "score"]

Engine = Literal["local", "dask"]
OutputFormat = Literal["parquet", "csv"]
#: A scoring function: documents table (``schema.DOCUMENT_COLUMNS``) → tagged sentence table.
Scorer = Callable[[pd.DataFrame], pd.DataFrame]

PARTS_DIR = "parts"
LOCK_FILE = ".lock"
RUN_FILE = "run.json"
ERRORS_FILE = "errors.jsonl"
_MANIFEST = "manifest.json"
#: columns of the article table added after ``schema.ARTICLE_COLUMNS``
_ARTICLE_EXTRA = ("title", "published", "url", "source", "line")
#: sentence-table columns that hold text (or null)
_STRING_COLUMNS = (
    "doc_id",
    "outlet",
    "text",
    "framing_voice",
    "source",
    "source_type",
    "source_entity",
    "cue",
    "model_version",
)
#: outlet placeholder while aggregating documents that have none
_NO_OUTLET = "\x00no-outlet"
_LIBRARIES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "nltk",
    "skops",
    "trafilatura",
    "tqdm",
)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ScoreOptions:
    """Options of :func:`score` (the CLI flags ``biaskit score --NAME`` carry the same names).

    Parameters
    ----------
    id_col, text_col, outlet_col, title_col, date_col, url_col : str
        Input fields (JSONL keys, CSV/parquet columns) of each document field. A missing id
        becomes ``FILE:LINE``; for text/HTML files it is the path below the given directory and
        the outlet is the first sub-directory.
    encoding : str
        Encoding of text inputs (UTF-8 with or without BOM by default).
    jobs : int, optional
        Worker processes (dask workers with ``engine="dask"``); all cores when None.
    chunk_size : int
        Input rows per part: the unit of parallel work, of memory, and of resumption.
    engine : {"local", "dask"}
        Local worker processes, or a dask.distributed cluster (``pip install biaskit[dask]``).
    scheduler : str, optional
        Address of a running dask scheduler; a ``LocalCluster`` of ``jobs`` workers if None.
    resume : bool
        Continue an interrupted run in ``out_dir``: complete parts are kept, the rest scored.
    overwrite : bool
        Replace the outputs of an earlier run in ``out_dir``.
    format : {"parquet", "csv"}
        Format of ``sentences`` and ``articles`` (CSV cells of list/dict columns hold JSON).
    quiet : bool
        No progress bar (it is also off when stderr is not a terminal).
    model : str or Path, optional
        A ``.skops`` model from ``biaskit train``; the shipped default model when None.
    scorer : callable, optional
        Replaces ``analyze`` with ``scorer(documents) -> sentence table`` (tests, experiments).
        It must be picklable (a module-level function) to run in worker processes.

    Examples
    --------
    >>> ScoreOptions(chunk_size=200, jobs=2).chunk_size
    200

    """

    id_col: str = "doc_id"
    text_col: str = "text"
    outlet_col: str = "outlet"
    title_col: str = "title"
    date_col: str = "published"
    url_col: str = "url"
    encoding: str = "utf-8"
    jobs: int | None = None
    chunk_size: int = 500
    engine: Engine = "local"
    scheduler: str | None = None
    resume: bool = False
    overwrite: bool = False
    format: OutputFormat = "parquet"
    quiet: bool = False
    model: str | os.PathLike[str] | None = None
    scorer: Scorer | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.jobs is not None and (not isinstance(self.jobs, int) or self.jobs < 1):
            raise InputError(f"jobs must be a positive integer or None, got {self.jobs!r}")
        if not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise InputError(f"chunk_size must be a positive integer, got {self.chunk_size!r}")
        if self.engine not in ("local", "dask"):
            raise InputError(f"engine must be 'local' or 'dask', got {self.engine!r}")
        if self.format not in ("parquet", "csv"):
            raise InputError(f"format must be 'parquet' or 'csv', got {self.format!r}")
        if self.resume and self.overwrite:
            raise InputError("resume and overwrite exclude each other: pick one")
        if self.scheduler is not None and self.engine != "dask":
            raise InputError("scheduler is a dask option: pass engine='dask' with it")
        if self.scorer is not None and self.model is not None:
            raise InputError("pass either model or scorer, not both")

    @property
    def columns(self) -> bio.ColumnMap:
        """The column mapping handed to the readers."""
        return bio.ColumnMap(
            id_col=self.id_col,
            text_col=self.text_col,
            outlet_col=self.outlet_col,
            title_col=self.title_col,
            date_col=self.date_col,
            url_col=self.url_col,
        )

    @property
    def n_jobs(self) -> int:
        """Number of workers: ``jobs``, or every core this process may use."""
        if self.jobs is not None:
            return self.jobs
        if hasattr(os, "sched_getaffinity"):
            return max(1, len(os.sched_getaffinity(0)))
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ScoreResult:
    """What a batch run produced (also stored in ``run.json``).

    Attributes
    ----------
    out_dir : Path
    files : dict of str to Path
        ``sentences``, ``articles``, ``errors`` and ``run``.
    rows_read, articles_scored, errors, sentences : int
        ``rows_read == articles_scored + errors`` (see :attr:`closes`).
    parts, parts_resumed : int
        Parts in the run, and parts kept from an interrupted run.
    seconds : float
        Wall time of this call.

    """

    out_dir: Path
    files: dict[str, Path]
    rows_read: int
    articles_scored: int
    errors: int
    sentences: int
    parts: int
    parts_resumed: int
    seconds: float

    @property
    def closes(self) -> bool:
        """True if every row read was scored or reported as an error."""
        return self.rows_read == self.articles_scored + self.errors


# --------------------------------------------------------------------------- scoring one part


class _PartResult(NamedTuple):
    """What a worker sends back: tables already serialised, so the parent only writes bytes."""

    sentences: bytes  # parquet file content
    articles: bytes  # parquet file content
    errors: list[tuple[int, bio.ErrorRecord]]  # (position in the part, error)
    scored: int
    n_sentences: int
    seconds: float


#: per-process cache of loaded scorers, keyed by model path (workers load a model once)
_SCORERS: dict[str, Scorer] = {}


def _get_scorer(model: str | None, scorer: Scorer | None) -> Scorer:
    """The scoring function of this process: ``scorer``, or analyze with the loaded model."""
    if scorer is not None:
        return scorer
    key = model or ""
    cached = _SCORERS.get(key)
    if cached is None:
        from biaskit.analysis import analyze
        from biaskit.persist import load_model

        cached = functools.partial(analyze, model=load_model(model))
        _SCORERS[key] = cached
    return cached


def _one_thread() -> Any:
    """Limit BLAS and OpenMP to one thread in this process; return the limiter, or None.

    With one worker per core, libraries that start a thread per core each (OpenBLAS, OpenMP)
    oversubscribe the CPUs and slow every worker down; dask's workers do the same by default.
    Every engine scores with one thread, so all give the same numbers.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
        return None
    return threadpool_limits(limits=1)


#: seconds between two checks that a worker's parent is still alive (fallback watch)
_PARENT_POLL = 1.0
#: ``prctl`` option that sends the calling process a signal when its parent dies (Linux)
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """End this worker process as soon as its parent dies, however it dies.

    A parent killed by SIGKILL (or the OOM killer) cannot stop its workers; without this they
    would run on as orphans holding the model in memory and the run's stdout/stderr open. On
    Linux the kernel kills the worker (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); everywhere a
    daemon thread also waits on multiprocessing's parent sentinel (a pipe that closes when the
    parent dies) and checks ``os.getppid()`` every second, then ends the process.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # no libc / no prctl: the thread below suffices
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the watch began
        os._exit(1)
    parent = multiprocessing.parent_process()

    def watch() -> None:
        while True:
            if parent is not None:
                parent.join(timeout=_PARENT_POLL)  # returns early when the parent dies
                gone = not parent.is_alive()
            else:  # pragma: no cover - spawned workers always know their parent
                time.sleep(_PARENT_POLL)
                gone = False
            if gone or os.getppid() != parent_pid:
                os._exit(1)  # nothing to clean up: results can no longer be delivered

    threading.Thread(target=watch, name="biaskit-parent-watch", daemon=True).start()


def _init_worker(model: str | None, scorer: Scorer | None, parent_pid: int | None = None) -> None:
    """Process-pool initializer: die with the parent, leave Ctrl-C to it, load the model once."""
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _get_scorer(model, scorer)
    except Exception:  # the first task raises it again, with its message, in the parent
        logger.debug("worker could not load the model", exc_info=True)
    _one_thread()  # after the model's libraries are loaded


def _documents_frame(docs: list[bio.DocumentRecord]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [{c: d[c] for c in DOCUMENT_COLUMNS} for d in docs], columns=list(DOCUMENT_COLUMNS)
    )


def _check_output(table: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """The scorer's table with the contract columns first; SchemaError if it breaks it."""
    if not isinstance(table, pd.DataFrame):
        raise SchemaError(f"the scorer returned {type(table).__name__}, expected a DataFrame")
    check_columns(table, SENTENCE_COLUMNS, table="scorer output (sentence table)")
    unknown = set(table["doc_id"]) - set(frame["doc_id"])
    if unknown:
        raise SchemaError(f"the scorer returned sentences of unknown doc_id {sorted(unknown)[0]!r}")
    extra = [c for c in table.columns if c not in SENTENCE_COLUMNS]
    table = table.loc[:, [*SENTENCE_COLUMNS, *extra]].reset_index(drop=True)
    for col in _STRING_COLUMNS:
        # an all-missing text column may come back as float NaN; keep it a text column
        if table[col].dtype.kind == "f" and table[col].isna().all():
            table[col] = pd.Series([None] * len(table), dtype=object)
    return table


def _score_part(
    docs: list[tuple[int, bio.DocumentRecord]], model: str | None, scorer: Scorer | None
) -> _PartResult:
    """Score the documents of one part (runs in a worker).

    The part is scored in one call; if that raises, each document is scored alone so that
    one bad document becomes an error row and the others are still scored.
    """
    started = time.perf_counter()
    fn = _get_scorer(model, scorer)
    errors: list[tuple[int, bio.ErrorRecord]] = []
    ready: list[tuple[int, bio.DocumentRecord]] = []
    for pos, rec in docs:
        done = bio.finish_record(rec)  # deferred HTML extraction
        if bio.is_error(done):
            errors.append((pos, done))  # type: ignore[arg-type]
        else:
            ready.append((pos, done))  # type: ignore[arg-type]
    frames: list[pd.DataFrame] = []
    scored: list[bio.DocumentRecord] = []
    if ready:
        frame = _documents_frame([d for _, d in ready])
        try:
            table = fn(frame)
        except Exception as exc:
            logger.warning(
                "scoring %d documents at once failed (%s: %s); scoring them one by one",
                len(ready),
                type(exc).__name__,
                exc,
            )
            for i, (pos, doc) in enumerate(ready):
                one = frame.iloc[[i]].reset_index(drop=True)
                try:
                    table_one = fn(one)
                except Exception as exc_one:
                    reason = f"analysis failed: {type(exc_one).__name__}: {exc_one}"
                    errors.append(
                        (pos, bio.error_record(doc["source"], doc["line"], doc["doc_id"], reason))
                    )
                    continue
                frames.append(_check_output(table_one, one))
                scored.append(doc)
        else:
            frames.append(_check_output(table, frame))
            scored = [d for _, d in ready]
    frames = [f for f in frames if len(f)]
    if frames:
        sentences = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    else:
        sentences = pd.DataFrame({c: pd.Series(dtype=object) for c in SENTENCE_COLUMNS})
    errors.sort(key=lambda item: item[0])
    return _PartResult(
        sentences=_parquet_bytes(sentences),
        articles=_parquet_bytes(_articles(sentences, scored)),
        errors=errors,
        scored=len(scored),
        n_sentences=len(sentences),
        seconds=time.perf_counter() - started,
    )


def _articles(sentences: pd.DataFrame, docs: list[bio.DocumentRecord]) -> pd.DataFrame:
    """Article table of one part: ``aggregate.articles`` plus the documents' metadata."""
    from biaskit.aggregate import articles

    outlet = sentences["outlet"].astype(object)
    filled = sentences.assign(outlet=outlet.where(outlet.notna(), _NO_OUTLET))
    table = articles(filled, passthrough=[])
    table["outlet"] = table["outlet"].astype(object).where(table["outlet"] != _NO_OUTLET, None)
    meta = {d["doc_id"]: d for d in docs}
    for col in _ARTICLE_EXTRA:
        values = [meta[i][col] if i in meta else None for i in table["doc_id"]]  # type: ignore[literal-required]
        table[col] = pd.Series(values, index=table.index, dtype=object)
    table["line"] = table["line"].astype("Int64")
    return table.loc[:, [*ARTICLE_COLUMNS, *_ARTICLE_EXTRA]]


# --------------------------------------------------------------------------- engines


class _InProcess:
    """jobs=1: score in this process (no pickling, the model loaded once here)."""

    def __init__(self, model: str | None, scorer: Scorer | None) -> None:
        self.model, self.scorer = model, scorer
        _get_scorer(model, scorer)
        self._limits = _one_thread()  # as in the workers; restored in close()

    def run(
        self, tasks: Iterator[tuple[int, list[tuple[int, bio.DocumentRecord]]]]
    ) -> Iterator[tuple[int, _PartResult]]:
        for k, docs in tasks:
            yield k, _score_part(docs, self.model, self.scorer)

    def close(self, abort: bool = False) -> None:
        """Give this process its thread settings back."""
        if self._limits is not None:
            self._limits.restore_original_limits()


class _Windowed:
    """Submit parts to an executor, at most ``window`` in flight; yield them as they finish."""

    window: int

    def _submit(self, docs: list[tuple[int, bio.DocumentRecord]]) -> Any:
        raise NotImplementedError

    def _wait(self, pending: Iterable[Any]) -> set[Any]:
        raise NotImplementedError

    def run(
        self, tasks: Iterator[tuple[int, list[tuple[int, bio.DocumentRecord]]]]
    ) -> Iterator[tuple[int, _PartResult]]:
        pending: dict[Any, int] = {}
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                try:
                    k, docs = next(tasks)
                except StopIteration:
                    exhausted = True
                    break
                pending[self._submit(docs)] = k
            if not pending:
                return
            for fut in sorted(self._wait(list(pending)), key=lambda f: pending[f]):
                yield pending.pop(fut), fut.result()


class _Pool(_Windowed):
    """Local worker processes; each loads the model once in its initializer."""

    def __init__(self, jobs: int, model: str | None, scorer: Scorer | None) -> None:
        self.model, self.scorer = model, scorer
        self.window = 2 * jobs
        # spawn, not fork: forking a process with threads (tqdm, dask, BLAS) is unsafe
        self.executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(model, scorer, os.getpid()),
        )

    def _submit(self, docs: list[tuple[int, bio.DocumentRecord]]) -> Future[_PartResult]:
        return self.executor.submit(_score_part, docs, self.model, self.scorer)

    def _wait(self, pending: Iterable[Any]) -> set[Any]:
        return wait(pending, return_when=FIRST_COMPLETED).done

    def close(self, abort: bool = False) -> None:
        """Shut the pool down; on abort, stop the workers now instead of finishing parts."""
        if abort:
            # the executor has no public way to stop running tasks; its workers are ours
            for proc in list(getattr(self.executor, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    proc.terminate()
        self.executor.shutdown(wait=True, cancel_futures=abort)


class _Dask(_Windowed):
    """A dask.distributed cluster: a LocalCluster of ``jobs`` workers, or ``scheduler``."""

    def __init__(
        self, jobs: int, scheduler: str | None, model: str | None, scorer: Scorer | None
    ) -> None:
        distributed = _import_distributed()
        self.model, self.scorer = model, scorer
        self.cluster = None
        # the scheduler of a LocalCluster logs every worker start and stop at INFO; keep the
        # run's own log readable (restored in close)
        self._log = logging.getLogger("distributed")
        self._log_level = self._log.level
        self._log.setLevel(max(self._log.getEffectiveLevel(), logging.WARNING))
        if scheduler:
            self.client = distributed.Client(scheduler)
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = distributed.Client(self.cluster)
        self._wait_fn = functools.partial(distributed.wait, return_when="FIRST_COMPLETED")
        self.window = 2 * max(1, sum(self.client.nthreads().values()))

    def _submit(self, docs: list[tuple[int, bio.DocumentRecord]]) -> Any:
        return self.client.submit(_score_part, docs, self.model, self.scorer, pure=False)

    def _wait(self, pending: Iterable[Any]) -> set[Any]:
        return set(self._wait_fn(list(pending)).done)

    def close(self, abort: bool = False) -> None:
        """Close the client, and the cluster if this run started it."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
        self._log.setLevel(self._log_level)


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise BiaskitError(
            "engine='dask' needs dask.distributed, which is not installed; "
            "install it with `pip install 'biaskit[dask]'` or use engine='local'"
        ) from exc
    return distributed


# --------------------------------------------------------------------------- output directory


class _Lock:
    """``OUT/.lock`` created with O_EXCL and holding ``pid host``; stale locks are taken over."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_FILE
        self.token = f"{os.getpid()} {socket.gethostname()}\n"

    def __enter__(self) -> _Lock:
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._check_stale()
                continue
            except OSError as exc:  # read-only file system, no permission
                raise _output_error(self.path, exc, resumable=False) from exc
            with os.fdopen(fd, "w") as fh:
                fh.write(self.token)
            return self
        raise OutputError(f"could not take the lock {self.path}; another run is starting")

    def _check_stale(self) -> None:
        try:
            content = self.path.read_text(encoding="utf-8")
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return
        pid, host = _parse_lock(content)
        if pid is None:
            if age < 10:  # being written right now by another run
                raise OutputError(f"{self.path.parent} is locked by another biaskit run starting")
        elif host != socket.gethostname():
            raise OutputError(
                f"{self.path.parent} is locked by biaskit pid {pid} on host {host}; wait for "
                f"it to finish, or delete {self.path} if that run is gone"
            )
        elif _pid_alive(pid):
            raise OutputError(
                f"{self.path.parent} is in use by another biaskit run (pid {pid}); wait for it "
                f"to finish, or delete {self.path} if that process is not biaskit"
            )
        logger.warning(
            "%s: taking over a stale lock (pid %s is not running; an earlier run was killed)",
            self.path,
            pid if pid is not None else "?",
        )
        with contextlib.suppress(FileNotFoundError):
            if self.path.read_text(encoding="utf-8") == content:
                self.path.unlink()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            if self.path.read_text(encoding="utf-8") == self.token:
                self.path.unlink()


def _parse_lock(content: str) -> tuple[int | None, str | None]:
    parts = content.split()
    if len(parts) >= 1 and parts[0].isdigit():
        return int(parts[0]), parts[1] if len(parts) > 1 else socket.gethostname()
    return None, None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        # a killed child its parent has not waited for yet is a zombie: not running
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _output_names(fmt: str) -> dict[str, str]:
    ext = "csv" if fmt == "csv" else "parquet"
    return {
        "sentences": f"sentences.{ext}",
        "articles": f"articles.{ext}",
        "errors": ERRORS_FILE,
        "run": RUN_FILE,
    }


def _ours(name: str) -> bool:
    """Files and directories a biaskit run writes into its output directory."""
    base = name.removesuffix(".tmp")
    return base in (
        PARTS_DIR,
        RUN_FILE,
        ERRORS_FILE,
        "sentences.parquet",
        "sentences.csv",
        "articles.parquet",
        "articles.csv",
    )


def _prepare_output(out: Path, opts: ScoreOptions) -> None:
    """Refuse a used directory unless resuming or overwriting; clear it for overwrite."""
    entries = sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE)
    if not entries:
        return
    if opts.overwrite:
        for name in entries:
            if _ours(name):
                path = out / name
                try:
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
                except OSError as exc:
                    raise _output_error(path, exc, resumable=False) from exc
        logger.info("%s: removed the outputs of an earlier run (overwrite)", out)
        return
    if opts.resume:
        # a parts/ without manifest: killed before the first part; it holds nothing yet
        if (out / PARTS_DIR).is_dir() or (out / RUN_FILE).exists():
            return
        raise OutputError(
            f"{out} has files ({', '.join(entries[:5])}) but no biaskit run to resume "
            "(no parts/ or run.json); choose an empty directory or pass "
            "overwrite=True (CLI: --overwrite)"
        )
    raise OutputError(
        f"{out} is not empty ({', '.join(entries[:5])}{', …' if len(entries) > 5 else ''}); "
        "pass resume=True (CLI: --resume) to continue an interrupted run, overwrite=True "
        "(CLI: --overwrite) to replace it, or choose another directory"
    )


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every platform / file system
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _output_error(path: Path, exc: OSError, *, resumable: bool = True) -> OutputError:
    """A failed write (disk full, read-only, permission, I/O error) as a one-line OutputError.

    ``resumable``: parts may already be complete, so the fix ends with ``--resume``.
    """
    why = (exc.strerror or str(exc) or type(exc).__name__).replace("\n", " ")
    fix = (
        "free some space or fix the permissions, then run again with resume=True "
        "(CLI: --resume): the complete parts are kept"
        if resumable
        else "fix its permissions or choose another output directory"
    )
    err = OutputError(f"cannot write {path}: {why}; {fix}")
    err.errno = exc.errno
    return err


def _write_tmp(path: Path, write: Callable[[Path], None]) -> Path:
    """Write ``path.tmp`` with ``write`` and fsync it; on failure remove it, raise OutputError."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, BiaskitError):
            raise _output_error(path, exc) from exc
        raise
    return tmp


def _commit(pending: list[tuple[Path, Path]]) -> None:
    """Rename written ``.tmp`` files to their names, back to back; on failure undo them all.

    The final files of a run appear together (``run.json`` last): none of them is left
    behind alone looking complete when a rename fails or the run is interrupted.
    """
    done: list[Path] = []
    try:
        for tmp, path in pending:
            os.replace(tmp, path)
            done.append(path)
    except BaseException as exc:
        for path in done:
            with contextlib.suppress(OSError):
                path.unlink()
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, BiaskitError):
            raise _output_error(pending[len(done)][1], exc) from exc
        raise


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` via ``path.tmp``, fsync, rename: readers see all of it or nothing."""
    _commit([(_write_tmp(path, write), path)])


def _json_writer(data: Any) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")

    return write


def _write_json(path: Path, data: Any) -> None:
    _atomic_write(path, _json_writer(data))


# --------------------------------------------------------------------------- parts


def _part_paths(parts: Path, k: int) -> dict[str, Path]:
    stem = f"part-{k:06d}"
    return {
        "sentences": parts / f"{stem}.parquet",
        "articles": parts / f"{stem}.articles.parquet",
        "errors": parts / f"{stem}.errors.jsonl",
        "meta": parts / f"{stem}.json",  # written last: its presence marks the part complete
    }


def _to_arrow(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the bytes of a parquet file (made in the worker; cheap to send and write)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(_to_arrow(frame), sink)
    return sink.getvalue().to_pybytes()


def _write_part(parts: Path, k: int, result: _PartResult, meta: dict[str, Any]) -> None:
    """Write part ``k`` atomically: its tables and errors, then the metadata that completes it."""
    paths = _part_paths(parts, k)

    def write_errors(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            for _, err in result.errors:
                fh.write(json.dumps(err, ensure_ascii=False) + "\n")

    _atomic_write(paths["errors"], write_errors)
    _atomic_write(paths["articles"], lambda tmp: tmp.write_bytes(result.articles))
    _atomic_write(paths["sentences"], lambda tmp: tmp.write_bytes(result.sentences))
    _fsync_dir(parts)  # the tables are durable before the marker says so
    _write_json(paths["meta"], meta)
    _fsync_dir(parts)


def _part_meta(parts: Path, k: int) -> dict[str, Any] | None:
    """The metadata of part ``k`` if it is complete, else None."""
    paths = _part_paths(parts, k)
    if not all(p.exists() for p in paths.values()):
        return None
    try:
        return json.loads(paths["meta"].read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable part: score it again
        logger.warning("part %d is unreadable; scoring it again", k)
        return None


# --------------------------------------------------------------------------- assembly


def _unified_schema(paths: list[Path], empty: pd.DataFrame) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not paths:
        return _to_arrow(empty).schema.remove_metadata()
    schemas = [pq.read_schema(p) for p in paths]
    unified = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    # keep pandas' dtype notes (nullable Int64, ...) of the first part that has rows
    for path, schema in zip(paths, schemas, strict=True):
        if schema.metadata and b"pandas" in schema.metadata and pq.read_metadata(path).num_rows:
            return unified.with_metadata({b"pandas": schema.metadata[b"pandas"]})
    return unified


def _conform(table: Any, schema: Any) -> Any:
    """``table`` with exactly the fields of ``schema``: cast, missing ones null."""
    import pyarrow as pa

    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        else:  # e.g. a part in which every document failed has no extra columns
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _json_cell(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _assemble_table(
    paths: list[Path],
    target: Path,
    fmt: str,
    empty: pd.DataFrame,
    pending: list[tuple[Path, Path]],
) -> int:
    """Concatenate part tables into ``target.tmp`` (added to ``pending``), one part at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _unified_schema(paths, empty)
    nested = [
        f.name
        for f in schema
        if pa.types.is_list(f.type)
        or pa.types.is_large_list(f.type)
        or pa.types.is_struct(f.type)
        or pa.types.is_map(f.type)
    ]
    rows = 0

    def tables() -> Iterator[Any]:
        for path in paths:
            yield _conform(pq.read_table(path), schema)

    def write_parquet(tmp: Path) -> None:
        nonlocal rows
        with pq.ParquetWriter(tmp, schema) as writer:
            for table in tables():
                writer.write_table(table)
                rows += table.num_rows

    def write_csv(tmp: Path) -> None:
        nonlocal rows
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            header = True
            for table in itertools.chain(tables(), [] if paths else [schema.empty_table()]):
                frame = table.drop_columns(nested).to_pandas()
                for name in nested:
                    frame[name] = [_json_cell(v) for v in table.column(name).to_pylist()]
                frame = frame.loc[:, schema.names]
                frame.to_csv(fh, header=header, index=False)
                header = False
                rows += table.num_rows

    pending.append((_write_tmp(target, write_csv if fmt == "csv" else write_parquet), target))
    return rows


def _assemble(
    out: Path, n_parts: int, fmt: str, pending: list[tuple[Path, Path]]
) -> dict[str, int]:
    """Build the final files from the parts as ``.tmp`` files listed in ``pending``.

    Returns the row counts written. The caller renames them with :func:`_commit`, together
    with run.json, or removes them.
    """
    parts = out / PARTS_DIR
    names = _output_names(fmt)
    paths = [_part_paths(parts, k) for k in range(n_parts)]
    empty_sentences = pd.DataFrame({c: pd.Series(dtype=object) for c in SENTENCE_COLUMNS})
    empty_articles = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in (*ARTICLE_COLUMNS, *_ARTICLE_EXTRA)}
    )
    counts = {
        "sentences": _assemble_table(
            [p["sentences"] for p in paths], out / names["sentences"], fmt, empty_sentences, pending
        ),
        "articles": _assemble_table(
            [p["articles"] for p in paths], out / names["articles"], fmt, empty_articles, pending
        ),
    }

    def write_errors(tmp: Path) -> None:
        n = 0
        with open(tmp, "wb") as dst:
            for p in paths:
                with open(p["errors"], "rb") as src:
                    for line in src:
                        dst.write(line)
                        n += 1
        counts["errors"] = n

    target = out / names["errors"]
    pending.append((_write_tmp(target, write_errors), target))
    return counts


# --------------------------------------------------------------------------- provenance


def _hash_file(path: Path, h: Any) -> tuple[int, int]:
    """Feed a file to hash ``h``; return its size and number of line breaks."""
    size = lines = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
            lines += block.count(b"\n")
    return size, lines


def _hash_regular(path: Path) -> tuple[str, int, int] | str:
    """``(sha256, size, lines)`` of a regular file, or why it cannot be hashed.

    Never opens anything but a regular file: a FIFO would block ``open`` until a writer comes
    (forever), a device may never end. The reader reports such a file in errors.jsonl; here it
    is only described, so that the run's fingerprint still changes when it does.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"unreadable ({type(exc).__name__})"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    h = hashlib.sha256()
    try:
        size, lines = _hash_file(path, h)
    except OSError as exc:
        return f"unreadable ({type(exc).__name__})"
    return h.hexdigest(), size, lines


def _fingerprint(items: list[str], sources: list[bio.Source]) -> list[dict[str, Any]]:
    """Size and sha256 of every input (a directory: of its files' paths and hashes).

    A file that cannot be hashed (broken link, no permission, I/O error, FIFO) gets size and
    sha256 None and its ``problem``; it is ledgered by the reader, not fatal here.
    """
    by_root: dict[str, list[bio.Source]] = {}
    for src in sources:
        if src.root is not None:
            by_root.setdefault(src.root, []).append(src)
    info = []
    for item in items:
        if item == bio.STDIN:
            info.append({"path": item, "kind": "stdin", "size": None, "sha256": None})
            continue
        path = Path(item)
        if path.is_dir():
            h = hashlib.sha256()
            size = 0
            files = by_root.get(str(path), [])
            problems = 0
            for src in files:
                found = _hash_regular(Path(src.path))
                if isinstance(found, str):
                    problems += 1
                    h.update(f"{src.relative}\0{found}\n".encode())
                    continue
                size += found[1]
                h.update(f"{src.relative}\0{found[0]}\n".encode())
            entry: dict[str, Any] = {
                "path": item,
                "kind": "directory",
                "files": len(files),
                "size": size,
                "sha256": h.hexdigest(),
            }
            if problems:
                entry["unreadable_files"] = problems
            info.append(entry)
        else:
            found = _hash_regular(path)
            if isinstance(found, str):
                info.append(
                    {"path": item, "kind": "file", "size": None, "lines": None, "sha256": None,
                     "problem": found}
                )
                continue
            digest, size, lines = found
            info.append(
                {"path": item, "kind": "file", "size": size, "lines": lines, "sha256": digest}
            )
    return info


def _estimate_rows(sources: list[bio.Source], inputs: list[dict[str, Any]]) -> int | None:
    """Total rows for the progress bar's ETA, when cheaply known; else None.

    Exact for parquet (metadata) and text/HTML files (one each); the line count for plain
    JSONL/CSV (blank lines and quoted line breaks make it an estimate); unknown for gzip
    and stdin.
    """
    import pyarrow.parquet as pq

    lines = {i["path"]: i.get("lines") for i in inputs}
    problems = {i["path"] for i in inputs if i.get("problem")}
    total = 0
    for src in sources:
        if src.format in ("txt", "html") or src.path in problems:  # one row each
            total += 1
        elif src.format == "parquet":
            try:
                total += pq.ParquetFile(src.path).metadata.num_rows
            except Exception:
                total += 1
        elif not src.gzip and lines.get(src.path) is not None:
            total += max(0, lines[src.path] - (src.format != "jsonl"))
        else:
            return None
    return total


def _model_info(opts: ScoreOptions) -> dict[str, Any]:
    """What scores the documents, for run.json and the resume check (reads the card only)."""
    if opts.scorer is not None:
        name = getattr(opts.scorer, "__qualname__", type(opts.scorer).__name__)
        module = getattr(opts.scorer, "__module__", "?")
        return {"scorer": f"{module}.{name}", "version": None, "sha256": None, "path": None}
    from biaskit.persist import Model, default_model_path, read_card

    path = Path(opts.model) if opts.model is not None else default_model_path()
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    card = read_card(path)
    return {
        "scorer": "biaskit.analysis.analyze",
        "version": Model(None, card, path).version,
        "sha256": card.get("sha256"),
        "name": card.get("name"),
        "path": str(path),
        "card": card,  # metrics and thresholds travel with the scores (reports read them)
    }


def _library_versions(engine: str) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    names = [*_LIBRARIES, *(("dask", "distributed") if engine == "dask" else ())]
    out: dict[str, str | None] = {"python": platform.python_version(), "biaskit": __version__}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _manifest(
    opts: ScoreOptions, inputs: list[dict[str, Any]], model: dict[str, Any]
) -> dict[str, Any]:
    """Everything that decides the content of the parts; a resume must match it."""
    return {
        "inputs": [{k: i.get(k) for k in ("path", "size", "sha256")} for i in inputs],
        "columns": dataclasses.asdict(opts.columns),
        "encoding": opts.encoding,
        "chunk_size": opts.chunk_size,
        "model": {k: model.get(k) for k in ("scorer", "version", "sha256")},
    }


def _manifest_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    diffs = []
    for key in new:
        a, b = old.get(key), new[key]
        if key == "inputs" and a is not None:
            # stdin cannot be hashed: compare only what is known
            a = [x if x.get("path") != bio.STDIN else {"path": bio.STDIN} for x in a]
            b = [x if x.get("path") != bio.STDIN else {"path": bio.STDIN} for x in b]
        if a != b:
            diffs.append(f"{key}: was {json.dumps(a)}, now {json.dumps(b)}")
    return diffs


# --------------------------------------------------------------------------- the run


def _resolve(options: ScoreOptions | None, overrides: dict[str, Any]) -> ScoreOptions:
    opts = options if options is not None else ScoreOptions()
    if not isinstance(opts, ScoreOptions):
        raise TypeError(f"options must be a ScoreOptions, got {type(opts).__name__}")
    names = {f.name for f in dataclasses.fields(ScoreOptions)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(
            f"score() got unknown option(s) {', '.join(unknown)}; "
            f"valid options: {', '.join(sorted(names))}"
        )
    return dataclasses.replace(opts, **overrides) if overrides else opts


def _progress(opts: ScoreOptions, total: int | None) -> Any:
    from tqdm.auto import tqdm

    disable = opts.quiet or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    return tqdm(
        total=total,
        unit="article",
        desc="scoring",
        disable=disable,
        dynamic_ncols=True,
        smoothing=0.1,
    )


def score(
    inputs: bio.Inputs,
    out_dir: str | os.PathLike[str],
    options: ScoreOptions | None = None,
    **overrides: Any,
) -> ScoreResult:
    """Score a corpus in parallel into sentence, article and error tables on disk.

    Parameters
    ----------
    inputs : path or iterable of paths
        JSONL, CSV/TSV, parquet, text or HTML files (``.jsonl.gz``/``.csv.gz`` too),
        directories of text/HTML files, or ``"-"`` for JSONL on stdin.
    out_dir : str or Path
        Output directory; created if needed. It must be empty unless ``resume`` or
        ``overwrite`` is set.
    options : ScoreOptions, optional
        All options; defaults when None.
    **overrides
        Any :class:`ScoreOptions` field, replacing the value in ``options``.

    Returns
    -------
    ScoreResult
        Counts (``rows_read == articles_scored + errors``), the output files, timings.

    Raises
    ------
    InputError
        A missing input, an unsupported format, a table without the text column, a bad option.
    OutputError
        ``out_dir`` is not empty (without resume/overwrite), is locked by another run, cannot
        be written, or holds a run made from other inputs or options than a resume asks for.
    ModelError
        The model cannot be loaded.
    InterruptedRun
        Ctrl-C: the complete parts are kept; run again with ``resume=True``.

    Examples
    --------
    >>> import biaskit
    >>> result = biaskit.score(["news.jsonl", "site/"], "out", jobs=4)  # doctest: +SKIP
    >>> result.rows_read == result.articles_scored + result.errors  # doctest: +SKIP
    True

    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    opts = _resolve(options, overrides)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    items = [os.fspath(i) for i in inputs]
    sources = bio.expand_inputs(items)
    bio.check_sources(sources, opts.columns, encoding=opts.encoding)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory; pass a directory for the output")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output directory {out}: {exc}") from exc
    model = _model_info(opts)
    with _terminate_as_interrupt() as stop, _Lock(out):
        _prepare_output(out, opts)
        t_hash = time.perf_counter()
        input_info = _fingerprint(items, sources)
        timings = {"hash_inputs_seconds": time.perf_counter() - t_hash}
        manifest = _manifest(opts, input_info, model)
        finished = _finished_run(out, opts, manifest)
        if finished is not None:
            return finished
        parts = out / PARTS_DIR
        _check_manifest(parts, manifest, opts)
        pending: list[tuple[Path, Path]] = []  # final files written as .tmp, not yet renamed
        try:
            state = _run_parts(
                opts, sources, parts, _estimate_rows(sources, input_info), stop.check
            )
            t_assemble = time.perf_counter()
            counts = _assemble(out, state["parts"], opts.format, pending)
            timings["assemble_seconds"] = time.perf_counter() - t_assemble
            result = ScoreResult(
                out_dir=out,
                files={k: out / v for k, v in _output_names(opts.format).items()},
                rows_read=state["rows"],
                articles_scored=state["scored"],
                errors=counts["errors"],
                sentences=counts["sentences"],
                parts=state["parts"],
                parts_resumed=state["resumed"],
                seconds=time.perf_counter() - started,
            )
            timings.update(
                started=started_at.isoformat(timespec="seconds"),
                finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                seconds=result.seconds,
                scoring_seconds=state["seconds"],
                worker_seconds=state["worker_seconds"],
            )
            run = _run_record(opts, model, input_info, manifest, result, state, counts, timings)
            run_file = out / RUN_FILE
            pending.append((_write_tmp(run_file, _json_writer(run)), run_file))
            stop.check()
            _commit(pending)  # the tables, errors.jsonl, then run.json: all or none
            stop.done = True
        except KeyboardInterrupt:
            raise InterruptedRun(_interrupted_message(stop, parts, out)) from None
        except BrokenProcessPool as exc:
            if stop.signal is not None:  # the process group was stopped: the workers first
                raise InterruptedRun(_interrupted_message(stop, parts, out)) from None
            raise BiaskitError(
                f"a worker process died ({exc}); the complete parts are kept in {parts}: run "
                "again with resume=True (CLI: --resume), with fewer jobs if memory ran out"
            ) from exc
        finally:
            for tmp, _ in pending:  # written but not renamed: not a result
                with contextlib.suppress(OSError):
                    tmp.unlink()
        _fsync_dir(out)
        shutil.rmtree(parts, ignore_errors=True)
    _log_result(result)
    if not result.closes or counts["errors"] != state["errors"]:
        raise BiaskitError(
            f"accounting does not close: {result.rows_read} rows read, "
            f"{result.articles_scored} scored, {result.errors} errors (see {out / RUN_FILE})"
        )
    return result


class _Stop:
    """Which signal (if any) stopped the run (set by the SIGTERM handler)."""

    signal: str | None = None
    #: the final files are in place: a SIGTERM now is noted, not raised (finishing is quicker)
    done: bool = False

    def check(self) -> None:
        """Raise KeyboardInterrupt if SIGTERM came but its exception was lost.

        Python drops an exception raised while a finalizer runs (printing "Exception
        ignored"); checking between parts makes a SIGTERM stop the run even then.
        """
        if self.signal is not None and not self.done:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[_Stop]:
    """Make SIGTERM stop the run as Ctrl-C does while the block runs.

    ``kill PID``, a job scheduler's stop or ``timeout`` send SIGTERM; by default it ends the
    process at once, leaving the lock file and (with ``jobs > 1``) the workers behind. Here it
    raises KeyboardInterrupt in the main thread instead: the workers are stopped, the lock
    released, the complete parts kept, and :class:`InterruptedRun` says how to resume. Only
    installed in the main thread and when SIGTERM has its default action (an application
    that handles SIGTERM itself keeps its handler).
    """
    stop = _Stop()
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is None or threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.getsignal(sigterm)
    if previous is not signal.SIG_DFL:
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        stop.signal = signal.Signals(signum).name
        if stop.done:
            logger.warning("%s arrived after the run was complete; finishing", stop.signal)
            return
        raise KeyboardInterrupt

    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        # the KeyboardInterrupt of a SIGTERM raised inside a finalizer is dropped by Python,
        # which prints it as "Exception ignored"; stop.check() honours the signal instead
        if stop.signal is not None and isinstance(info.exc_value, KeyboardInterrupt):
            return
        previous_hook(info)

    signal.signal(sigterm, handler)
    sys.unraisablehook = unraisable
    try:
        yield stop
    finally:
        signal.signal(sigterm, previous)
        sys.unraisablehook = previous_hook


def _interrupted_message(stop: _Stop, parts: Path, out: Path) -> str:
    how = "stopped by SIGTERM" if stop.signal == "SIGTERM" else "interrupted"
    return (
        f"{how}; the complete parts are kept in {parts}. Continue with resume=True "
        f"(CLI: biaskit score ... -o {out} --resume) to score the rest"
    )


def _run_record(
    opts: ScoreOptions,
    model: dict[str, Any],
    inputs: list[dict[str, Any]],
    manifest: dict[str, Any],
    result: ScoreResult,
    state: dict[str, Any],
    counts: dict[str, int],
    timings: dict[str, Any],
) -> dict[str, Any]:
    """The content of run.json: what was scored, how, by which model, and how it went."""
    rate = state["scored_now"] / state["seconds"] if state["seconds"] > 0 else None
    return {
        "biaskit_version": __version__,
        "model": model,
        "inputs": inputs,
        "options": _options_record(opts),
        "manifest": manifest,
        "counts": {
            "rows_read": result.rows_read,
            "articles_scored": result.articles_scored,
            "errors": result.errors,
            "sentences": result.sentences,
            "articles_rows": counts["articles"],
            "parts": result.parts,
            "parts_resumed": result.parts_resumed,
            "error_reasons": dict(state["reasons"].most_common(20)),
        },
        "accounting": {
            "identity": "rows_read == articles_scored + errors",
            "closes": result.closes,
        },
        "timings": {
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in timings.items()},
            "articles_per_second": None if rate is None else round(rate, 2),
        },
        "environment": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "engine": opts.engine,
            "jobs": opts.n_jobs,
            "libraries": _library_versions(opts.engine),
        },
    }


def _options_record(opts: ScoreOptions) -> dict[str, Any]:
    record = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts) if f.name != "scorer"}
    record["model"] = None if opts.model is None else os.fspath(opts.model)
    record["jobs"] = opts.n_jobs
    return record


def _log_result(result: ScoreResult) -> None:
    logger.info(
        "%s: %d rows read = %d articles scored + %d errors (errors.jsonl); "
        "%d sentences; %d parts (%d resumed); %.1f s",
        result.out_dir,
        result.rows_read,
        result.articles_scored,
        result.errors,
        result.sentences,
        result.parts,
        result.parts_resumed,
        result.seconds,
    )


def _finished_run(out: Path, opts: ScoreOptions, manifest: dict[str, Any]) -> ScoreResult | None:
    """On resume, a run that already finished with the same manifest is returned as is."""
    run_file = out / RUN_FILE
    if not opts.resume or not run_file.exists() or (out / PARTS_DIR).exists():
        return None
    run = json.loads(run_file.read_text(encoding="utf-8"))
    diffs = _manifest_diff(run.get("manifest", {}), manifest)
    if diffs:
        raise OutputError(
            f"{out} holds a finished run made from other inputs or options ("
            + "; ".join(diffs)
            + "); pass overwrite=True (CLI: --overwrite) to replace it"
        )
    fmt = run.get("options", {}).get("format", "parquet")
    names = _output_names(fmt)
    counts = run["counts"]
    logger.info("%s: the run is already complete; nothing to resume", out)
    return ScoreResult(
        out_dir=out,
        files={k: out / v for k, v in names.items()},
        rows_read=counts["rows_read"],
        articles_scored=counts["articles_scored"],
        errors=counts["errors"],
        sentences=counts["sentences"],
        parts=counts["parts"],
        parts_resumed=counts["parts"],
        seconds=0.0,
    )


def _check_manifest(parts: Path, manifest: dict[str, Any], opts: ScoreOptions) -> None:
    """Start ``parts/`` with a manifest, or check that a resumed run has the same one."""
    path = parts / _MANIFEST
    if path.exists():
        if not opts.resume:  # overwrite removed it; a leftover means a concurrent change
            raise OutputError(f"{parts} exists; pass resume=True or overwrite=True")
        old = json.loads(path.read_text(encoding="utf-8"))
        diffs = _manifest_diff(old, manifest)
        if diffs:
            raise OutputError(
                "cannot resume: the inputs or options differ from the interrupted run ("
                + "; ".join(diffs)
                + "). Resume with the same inputs and options, or pass overwrite=True "
                "(CLI: --overwrite) to start again"
            )
        if any(i.get("path") == bio.STDIN for i in manifest["inputs"]):
            logger.warning("resuming from stdin: make sure the same data is piped in again")
        for tmp in parts.glob("*.tmp"):
            tmp.unlink()
        return
    try:
        parts.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(parts, exc, resumable=False) from exc
    _write_json(path, manifest)


def _check_spawnable() -> None:
    """Spawned workers re-import ``__main__``; a script read from stdin cannot be re-imported."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is None and main_file is not None and not Path(main_file).exists():
        raise InputError(
            f"worker processes cannot be started from a script that is not a file ({main_file}, "
            "e.g. `python - < script.py`): save the script to a file, or pass jobs=1"
        )


def _make_engine(opts: ScoreOptions, model: str | None) -> _InProcess | _Pool | _Dask:
    jobs = opts.n_jobs
    if opts.engine == "dask" and not opts.scheduler or opts.engine == "local" and jobs > 1:
        _check_spawnable()
    if opts.engine == "dask":
        return _Dask(jobs, opts.scheduler, model, opts.scorer)
    if jobs == 1:
        return _InProcess(model, opts.scorer)
    return _Pool(jobs, model, opts.scorer)


class _Chunk(NamedTuple):
    """Input rows ``k * chunk_size …``: documents to score and rows already known bad."""

    k: int
    rows: int
    docs: list[tuple[int, bio.DocumentRecord]]  # (position in the part, document)
    errors: list[tuple[int, bio.ErrorRecord]]


def _chunks(
    records: Iterator[bio.Record], chunk_size: int, sources: list[bio.Source]
) -> Iterator[_Chunk]:
    """Cut the record stream into parts; a repeated id becomes an error naming the first."""
    # id → (source index, line) of its first occurrence; small ints keep this compact
    seen: dict[str, tuple[int, int]] = {}
    names = [s.path for s in sources]
    index = {name: i for i, name in enumerate(names)}
    for k in itertools.count():
        chunk = list(itertools.islice(records, chunk_size))
        if not chunk:
            return
        docs: list[tuple[int, bio.DocumentRecord]] = []
        errors: list[tuple[int, bio.ErrorRecord]] = []
        for pos, rec in enumerate(chunk):
            if bio.is_error(rec):
                errors.append((pos, rec))  # type: ignore[arg-type]
                continue
            doc_id, source, line = rec["doc_id"], rec["source"], rec["line"]  # type: ignore[typeddict-item]
            first = seen.get(doc_id)
            if first is None:
                seen[doc_id] = (index[source], line)
                docs.append((pos, rec))  # type: ignore[arg-type]
            else:
                reason = f"duplicate id, first seen at {names[first[0]]}:{first[1]}"
                errors.append((pos, bio.error_record(source, line, doc_id, reason)))
        yield _Chunk(k, len(chunk), docs, errors)


def _run_parts(
    opts: ScoreOptions,
    sources: list[bio.Source],
    parts: Path,
    total: int | None,
    check: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Read, cut into parts, score the missing parts, write them; return the counts.

    ``check`` runs after each part is written (it raises to stop the run).
    """
    state: dict[str, Any] = {
        "rows": 0,
        "scored": 0,
        "scored_now": 0,
        "errors": 0,
        "parts": 0,
        "resumed": 0,
        "worker_seconds": 0.0,
        "reasons": Counter(),
    }
    waiting: dict[int, _Chunk] = {}  # parts in flight
    records = bio.iter_records(
        sources, columns=opts.columns, encoding=opts.encoding, defer_html=True
    )
    progress = _progress(opts, total)

    def account(meta: dict[str, Any], resumed: bool) -> None:
        state["scored"] += meta["scored"]
        state["errors"] += meta["errors"]
        state["reasons"].update(meta.get("reasons", {}))
        if resumed:
            state["resumed"] += 1
        else:
            state["scored_now"] += meta["scored"]
            state["worker_seconds"] += meta["seconds"]
        progress.update(meta["rows"])

    def tasks() -> Iterator[tuple[int, list[tuple[int, bio.DocumentRecord]]]]:
        """The parts to score; complete parts of a resumed run are only counted."""
        for chunk in _chunks(records, opts.chunk_size, sources):
            state["rows"] += chunk.rows
            state["parts"] = chunk.k + 1
            meta = _part_meta(parts, chunk.k) if opts.resume else None
            if meta is not None and meta.get("rows") == chunk.rows:
                account(meta, resumed=True)
                continue
            if meta is not None:
                logger.warning("part %d does not match the input; scoring it again", chunk.k)
            waiting[chunk.k] = chunk
            yield chunk.k, chunk.docs

    t0 = time.perf_counter()
    # the default model is passed as None so that every process uses its cached default
    model = None if opts.model is None else os.fspath(opts.model)
    engine = _make_engine(opts, model)
    aborted = True
    try:
        for k, result in engine.run(tasks()):
            chunk = waiting.pop(k)
            rows = chunk.rows
            errors = sorted([*chunk.errors, *result.errors], key=lambda item: item[0])
            result = result._replace(errors=errors)
            meta = {
                "part": k,
                "rows": rows,
                "scored": result.scored,
                "errors": len(errors),
                "sentences": result.n_sentences,
                "seconds": round(result.seconds, 4),
                "reasons": dict(Counter(_reason_kind(e["reason"]) for _, e in errors)),
            }
            if meta["scored"] + meta["errors"] != rows:
                raise BiaskitError(
                    f"part {k}: {rows} rows but {meta['scored']} scored + {meta['errors']} "
                    "errors; this is a bug in biaskit.batch"
                )
            _write_part(parts, k, result, meta)
            account(meta, resumed=False)
            check()
        aborted = False
    finally:
        engine.close(abort=aborted)
        progress.close()
    state["seconds"] = time.perf_counter() - t0
    if state["resumed"]:
        logger.info(
            "resumed: %d of %d parts were already complete", state["resumed"], state["parts"]
        )
    return state


def _reason_kind(reason: str) -> str:
    """A short category of an error reason, for the summary in run.json."""
    head = reason.split("(", 1)[0].split(",", 1)[0].split(":", 1)[0]
    head = re.sub(r"(?<![\w-])\d+(?![\w-])", "N", head).strip()
    return head[:60] or "error"
