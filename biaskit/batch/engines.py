"""Scoring one part, and the engines that run parts: in this process, a local process pool, dask.

Everything a worker runs or is initialised with (:func:`_init_worker`, :func:`_score_part`)
is a module-level function here: spawned workers import it by name. On Linux the local pool
forks its workers from a parent that has loaded the model (see :func:`_start_method`): they
start with the libraries and the model already in memory, shared with the parent page by page.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import itertools
import logging
import multiprocessing
import operator
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from biaskit import io as bio
from biaskit.batch.kept import kept_names, with_kept
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
    # a forked worker inherits the run's SIGTERM handler (SIGTERM → KeyboardInterrupt in the
    # parent): a worker told to stop stops, as a spawned one does
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
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
    unknown = set(table["doc_id"].unique()) - set(frame["doc_id"])  # ids, not rows
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
    # the input columns the run keeps (ScoreOptions.keep) go after the tables' own columns
    kept = kept_names(d for _, d in docs)
    article_table = with_kept(_articles(sentences, scored), scored, kept)
    sentences = with_kept(sentences, scored, kept)
    sentence_bytes = _arrow_bytes(sentences, _sentence_texts())
    # the article table's text columns stay inferred: ``url`` or ``title`` missing in every
    # input row keep the null type the final file has always given them
    article_bytes = _arrow_bytes(article_table)
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
    rows = [meta.get(i) for i in table["doc_id"].tolist()]  # one pass over the ids
    for col in _ARTICLE_EXTRA:
        values = [None if r is None else r[col] for r in rows]  # type: ignore[literal-required]
        table[col] = pd.Series(values, index=table.index, dtype=object)
    table["line"] = table["line"].astype("Int64")
    return table.loc[:, [*ARTICLE_COLUMNS, *_ARTICLE_EXTRA]]


def _to_arrow(frame: pd.DataFrame, texts: dict[str, Any] | None = None) -> Any:
    """``frame`` as an Arrow table, with the same types in every part of a run.

    The nested columns of the sentence table (``evidence``, ``attributions``, the kind lists,
    ``kind_proba``) get the types of :func:`biaskit.schema.sentence_arrow_types` when their
    values have exactly those fields: the types inference gives when there are values,
    found faster (inferring them value by value costs more than the conversion). A column
    of ``texts`` (name → type) missing in every row gets its text type instead of ``null``.
    A part whose lists are all empty or whose sentences have no source thus keeps the schema
    of the other parts, and the final files are streamed. Columns of other shapes (a custom
    scorer's), and tables without rows, are inferred as before.
    """
    import pyarrow as pa

    # one thread (``nthreads=1``): the conversion's thread pool would only compete with the
    # other workers for the cores, the values and types are the same
    schema = _known_schema(frame, texts or {})
    if schema is not None:
        try:
            return pa.Table.from_pandas(frame, schema=schema, preserve_index=False, nthreads=1)
        except (pa.ArrowException, TypeError, ValueError) as exc:  # values of other types
            logger.debug("converting with the known types failed (%s); inferring them", exc)
    return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)


def _known_schema(frame: pd.DataFrame, texts: dict[str, Any]) -> Any:
    """Arrow schema of ``frame`` with the known types (see :func:`_to_arrow`), or None."""
    import pyarrow as pa

    from biaskit.schema import sentence_arrow_types

    if not len(frame):
        return None
    known = sentence_arrow_types()
    types: dict[str, Any] = {}
    for name in frame.columns:
        if name in known and _fits(name, frame[name]):
            types[name] = known[name]
        elif name == "kind_proba":
            proba = _proba_type(frame[name])
            if proba is not None:
                types[name] = proba
        elif name in texts and frame[name].dtype == object and frame[name].isna().all():
            types[name] = texts[name]
    if not types:
        return None
    rest = [c for c in frame.columns if c not in types]
    # the other columns as pandas' conversion types them (dtype-typed ones cost nothing)
    inferred = pa.Schema.from_pandas(frame[rest], preserve_index=False) if rest else None
    fields = [
        pa.field(c, types[c]) if c in types else inferred.field(c)  # type: ignore[union-attr]
        for c in frame.columns
    ]
    return pa.schema(fields)


def _sentence_texts() -> dict[str, Any]:
    """Text columns of the sentence table → the Arrow type pandas gives a column of strings.

    ``large_string`` with pandas' ``str`` dtype (pandas 3), ``string`` for object columns
    (pandas 2): the type of the same column in a part where it has values.
    """
    import pyarrow as pa

    text = pa.Schema.from_pandas(pd.DataFrame({"t": ["a"]}), preserve_index=False).field(0).type
    return dict.fromkeys(_STRING_COLUMNS, text)


#: cell types of the kind-list columns converted with a known type (the items must be
#: strings, which the conversion checks)
_LIST_CELLS = {list, tuple, type(None)}


def _fits(name: str, cells: pd.Series) -> bool:
    """Whether every item of the list-valued column ``name`` has exactly the known fields.

    A dict converted to a struct type silently loses the keys the type lacks: every item
    (and every span of an attribution) is checked, or the column is inferred.
    """
    from biaskit.schema import ATTRIBUTION_FIELDS, EVIDENCE_FIELDS, SPAN_FIELDS

    if name == "evidence":
        fields = EVIDENCE_FIELDS
    elif name == "attributions":
        fields = ATTRIBUTION_FIELDS
    else:  # lists of kind names; a string cell would become a list of its characters
        return set(map(type, cells.tolist())) <= _LIST_CELLS
    try:
        items = list(itertools.chain.from_iterable([c for c in cells.tolist() if c is not None]))
        if not _same_keys(items, fields) or not _typed(items, _VALUE_TYPES[name]):
            return False
        if name == "attributions" and items:
            spans = itertools.chain.from_iterable(map(operator.itemgetter(*fields[5:]), items))
            spans = [s for s in spans if s is not None]
            return _same_keys(spans, SPAN_FIELDS) and _typed(spans, _VALUE_TYPES["span"])
    except (TypeError, KeyError):  # a cell that is not a list (NaN, a number), a bad item
        return False
    return True


_INT = {int, type(None)}
#: value types per field that convert to the known Arrow type without loss: a float offset
#: would be truncated to int64 and a string kind split into characters. (A value that does
#: not convert at all, e.g. a number where text is expected, raises and is inferred.)
_VALUE_TYPES: dict[str, dict[str, set[type]]] = {
    "evidence": {"start": _INT, "end": _INT, "weight": {float, int, type(None)}},
    "attributions": {"kind": {list, tuple, type(None)}},
    "span": {"start": _INT, "end": _INT},
}


def _typed(items: list[dict[str, Any]], types: dict[str, set[type]]) -> bool:
    """Every item's value of each field in ``types`` is of one of that field's types."""
    return all(
        set(map(type, map(operator.itemgetter(field), items))) <= allowed
        for field, allowed in types.items()
    )


def _same_keys(items: list[Any], fields: tuple[str, ...]) -> bool:
    """Every item is a mapping with exactly the keys ``fields`` (the first in that order).

    Each item has ``len(fields)`` keys, all drawn from ``fields``: so exactly ``fields``.
    Loops in C (~0.1 µs an item); the order of the first item is the order inference takes.
    """
    if not items:
        return True
    if tuple(items[0]) != fields:
        return False
    n_keys = sum(map(len, items))
    return n_keys == len(fields) * len(items) and set().union(*items) == set(fields)


def _proba_type(cells: pd.Series) -> Any:
    """``struct<label: double, ...>`` when every ``kind_proba`` cell has the same labels."""
    import pyarrow as pa

    values = [c for c in cells.tolist() if c is not None]
    if not values or not all(type(c) is dict for c in values):
        return None
    labels = tuple(values[0])
    if not all(isinstance(label, str) for label in labels) or not _same_keys(values, labels):
        return None
    return pa.struct([(label, pa.float64()) for label in labels])


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

    # LZ4 costs ~15 CPU-ms per 1,000 articles; it keeps a part at ~2x the size of the same
    # rows in parquet (uncompressed: ~5x), and what it saves in moving 2.5x the bytes from
    # the worker to the parent and on to disk costs about as much. One thread: a worker has
    # one core (threads only add switching), and the parent leaves the cores to the workers
    codec = "lz4" if pa.Codec.is_available("lz4") else None
    return pa.ipc.IpcWriteOptions(compression=codec, use_threads=False)


def _arrow_bytes(frame: pd.DataFrame, texts: dict[str, Any] | None = None) -> bytes:
    """A table as the bytes of an Arrow IPC file (made in the worker; cheap to send and write).

    Parts are an intermediate format: Arrow IPC costs next to nothing to write here and to
    read back when the parent appends the part to the final file (parquet parts would be
    encoded here and decoded again there, only to be encoded once more).
    """
    import pyarrow as pa

    table = _to_arrow(frame, texts)
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


def _start_method() -> str:
    """How the local pool starts its workers: ``"fork"`` where that is safe, else ``"spawn"``.

    A spawned worker starts a new interpreter that imports pandas, scikit-learn and biaskit
    and loads the model: ~2.5 CPU-seconds per worker. A forked one starts with all of it in
    memory (shared with the parent until written). Forking is only safe on Linux and from a
    process with no other thread: a thread holding a lock at fork time (a progress bar's
    monitor, a notebook kernel's I/O threads) leaves it locked for good in the child. macOS
    (where system libraries are not fork-safe), Windows and multi-threaded callers spawn,
    and so does a program that chose another start method itself
    (``multiprocessing.set_start_method("spawn")``, as CUDA users do). Only threads that
    Python's ``threading`` knows are seen: a program whose native libraries run threads of
    their own should set the spawn method.
    """
    chosen = multiprocessing.get_start_method(allow_none=True)
    if (
        chosen in (None, "fork")
        and sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    ):
        return "fork"
    return "spawn"


class _Pool(_Windowed):
    """Local worker processes, each holding the model (loaded once, or inherited by a fork).

    Parameters
    ----------
    jobs : int
        Worker processes.
    model : str, optional
        Path of the model; the default model when None.
    scorer : callable, optional
        Scoring function replacing analyze.
    method : {"fork", "spawn"}, optional
        Start method of the workers; :func:`_start_method` when None.

    """

    def __init__(
        self, jobs: int, model: str | None, scorer: Scorer | None, method: str | None = None
    ) -> None:
        self.model, self.scorer = model, scorer
        self.window = 2 * jobs
        self.method = method or _start_method()
        if self.method == "spawn":
            _check_spawnable()
        else:
            # loaded here, once: the workers inherit it (a model that fails to load fails now)
            _get_scorer(model, scorer)
        self.executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context(self.method),
            initializer=_init_worker,
            initargs=(model, scorer, os.getpid()),
        )
        if self.method == "fork":
            self._fork_workers()

    def _fork_workers(self) -> None:
        """Start every worker now, while this process has a single thread.

        The executor forks all its workers during the first submit (a no-op task here),
        before it starts its manager thread. The parent's objects are frozen for the fork:
        collections in the workers then never write to the pages of inherited objects (each
        write would copy a page that the workers share with the parent).
        """
        gc.collect()
        gc.freeze()
        try:
            with warnings.catch_warnings():
                # Python >= 3.12 warns when any OS thread exists: here only BLAS pools, which
                # are fork-safe (OpenBLAS re-creates its threads in the child; the workers
                # run BLAS and OpenMP with one thread) and no Python thread (_start_method)
                warnings.filterwarnings(
                    "ignore",
                    message=r"This process .* is multi-threaded",
                    category=DeprecationWarning,
                )
                self.executor.submit(os.getpid)
        finally:
            gc.unfreeze()  # the parent's own collections go on as before

    def _submit(self, docs: list[tuple[int, bio.DocumentRecord]]) -> Future[_PartResult]:
        return self.executor.submit(_score_part, docs, self.model, self.scorer)

    def _wait(self, pending: Iterable[Any]) -> set[Any]:
        return wait(pending, return_when=FIRST_COMPLETED).done

    def close(self, abort: bool = False) -> None:
        """Shut the pool down; on abort, stop the workers now instead of finishing parts."""
        if abort:
            # the executor has no public way to stop running tasks; its workers are ours
            procs = list(getattr(self.executor, "_processes", {}).values())
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.terminate()
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.join(timeout=5)
            # a worker stopped while it wrote a result leaves half a message in the result
            # pipe, and the executor's manager thread waits for the rest for ever (shutdown
            # then never returns: a run stopped by SIGTERM hung). With every worker gone,
            # closing this process's write end gives that read an end of file instead
            writer = getattr(getattr(self.executor, "_result_queue", None), "_writer", None)
            if writer is not None and not any(p.is_alive() for p in procs):
                with contextlib.suppress(Exception):
                    writer.close()
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
        # read when the scheduler, the client and the nannies are made (a nanny hands its
        # configuration on to its worker process): set for their making only, not for good
        with _dask_config():
            if scheduler:
                self.client = distributed.Client(scheduler)
            else:
                self.cluster = distributed.LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    env=dict(_WORKER_ENV),
                )
                self.client = distributed.Client(self.cluster)
        if self.cluster is not None:
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


#: dask settings while the engine makes its client (and its LocalCluster, if it starts one)
_DASK_CONFIG: dict[str, Any] = {
    # the "recent messages" of every batched stream are kept for debugging, up to this many
    # (1,000 by default), each whole if under 1 MB: the scheduler kept the task of every
    # part it sent a worker (its 500 documents) and the client every graph it submitted,
    # ~4.5 KB an article in all (90 MB in the parent at 20,000 articles, growing with the
    # run up to 1,000 parts). The other debugging logs this bounds (transitions, events,
    # profiles) are for inspecting a cluster by hand, which nobody does during a run
    "distributed.admin.low-level-log-length": 0,
    # the statistical profiler samples the task's stack every 10 ms and keeps the call tree
    # of every cycle: ~30 MB in each worker over a run, and a thread that takes the GIL
    "distributed.worker.profile.enabled": False,
}

#: environment of the worker processes of a LocalCluster this run starts, set in each
#: worker before it imports pyarrow (the nannies run in this process, whose environment
#: is left alone: ``pre-spawn-environ`` would set it here too)
_WORKER_ENV: dict[str, str] = {
    # Arrow's default pool (mimalloc) keeps ~25 MB in each worker that the part's tables
    # freed, even after ``release_unused``; the system allocator gives it back (dask sets
    # ``MALLOC_TRIM_THRESHOLD_``) at no measurable cost: a part is converted once
    "ARROW_DEFAULT_MEMORY_POOL": "system",
}


def _dask_config() -> Any:
    """``dask.config.set`` of :data:`_DASK_CONFIG` (a context manager)."""
    import dask

    return dask.config.set(_DASK_CONFIG)


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
    if opts.engine == "dask" and not opts.scheduler:
        _check_spawnable()  # the local pool checks it when it spawns
    if opts.engine == "dask":
        return _Dask(jobs, opts.scheduler, model, opts.scorer)
    if jobs == 1:
        return _InProcess(model, opts.scorer)
    return _Pool(jobs, model, opts.scorer)
