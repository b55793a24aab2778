"""Scoring one part, and the engines that run parts: in this process, a local process pool, dask.

Everything a worker runs or is initialised with (:func:`_init_worker`, :func:`_score_part`)
is a module-level function here: workers are started with ``spawn`` and import it by name.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from biaskit import io as bio
from biaskit.batch.options import ScoreOptions, Scorer
from biaskit.errors import BiaskitError, InputError, SchemaError
from biaskit.schema import ARTICLE_COLUMNS, DOCUMENT_COLUMNS, SENTENCE_COLUMNS, check_columns

logger = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------- scoring one part


class _PartResult(NamedTuple):
    """What a worker sends back: tables already serialised, so the parent only writes bytes."""

    sentences: bytes  # Arrow IPC file content (see _arrow_bytes)
    articles: bytes  # Arrow IPC file content
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
    # the modules and the model stay for the life of the worker: out of the collector's sight,
    # full collections no longer walk them again and again while parts are scored (the
    # garbage of loading is collected first, or it would be kept for good)
    gc.collect()
    gc.freeze()
    atexit.register(_exit_now)


def _exit_now() -> None:
    """End a pool worker without tearing down its interpreter (registered with atexit).

    The worker has delivered its last result and returned from the pool's loop (or, in a
    dask worker process of a LocalCluster this run started, the worker has closed) when
    atexit runs; freeing the model and the imported libraries object by object would take
    it about half a second more, during which the run waits for it at shutdown. Registered
    last, this runs first: the standard streams are flushed, then the process ends.
    """
    with contextlib.suppress(Exception):
        logging.shutdown()  # flush the worker's log handlers (files included)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _exit_now_at_exit() -> None:
    """Make this process end with :func:`_exit_now` (run on the workers of our LocalCluster)."""
    atexit.register(_exit_now)


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
    sentence_bytes = _arrow_bytes(sentences)
    article_bytes = _arrow_bytes(_articles(sentences, scored))
    _release_arrow_memory()
    return _PartResult(
        sentences=sentence_bytes,
        articles=article_bytes,
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


def _to_arrow(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _release_arrow_memory() -> None:
    """Hand the memory Arrow's allocator keeps cached back to the system (a part's worth).

    Without it each worker holds some tens of MB more at its peak, which counts against the
    1 GB a run of two workers may take.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _ipc_options() -> Any:
    """Arrow IPC write options of the part files: LZ4 frames when this pyarrow has them."""
    import pyarrow as pa

    # LZ4 costs a few ms per part; it keeps a part at ~2x the size of the same rows in
    # parquet (uncompressed: ~5x)
    codec = "lz4" if pa.Codec.is_available("lz4") else None
    return pa.ipc.IpcWriteOptions(compression=codec)


def _arrow_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the bytes of an Arrow IPC file (made in the worker; cheap to send and write).

    Parts are an intermediate format: Arrow IPC costs next to nothing to write here and to
    read back when the parent appends the part to the final file (parquet parts would be
    encoded here and decoded again there, only to be encoded once more).
    """
    import pyarrow as pa

    table = _to_arrow(frame)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=_ipc_options()) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


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
            # workers of a cluster this run started end without tearing down their
            # interpreters, as the local pool's do: closing the cluster then takes ~0.05 s
            # instead of seconds (a cluster given by address is left alone)
            with contextlib.suppress(Exception):
                self.client.run(_exit_now_at_exit)
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
