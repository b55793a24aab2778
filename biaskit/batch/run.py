"""The batch run: :func:`score` reads, cuts into parts, scores, writes; SIGTERM as Ctrl-C."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from biaskit import io as bio
from biaskit.batch.engines import _make_engine
from biaskit.batch.options import ScoreOptions, ScoreResult
from biaskit.batch.output import (
    PARTS_DIR,
    RUN_FILE,
    _Assembler,
    _commit,
    _fsync_dir,
    _json_writer,
    _Lock,
    _output_names,
    _part_meta,
    _prepare_output,
    _write_part,
    _write_tmp,
)
from biaskit.batch.provenance import (
    _check_manifest,
    _estimate_rows,
    _fingerprint,
    _finished_run,
    _manifest,
    _model_info,
    _run_record,
)
from biaskit.errors import BiaskitError, InterruptedRun, OutputError

logger = logging.getLogger(__name__)


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


class _NoProgress:
    """Stands in for a disabled progress bar.

    A disabled tqdm still starts tqdm's monitor thread, which never stops: the process then
    has a second thread, and the next ``score(jobs>1)`` in it would spawn its workers instead
    of forking them (``engines._start_method``).
    """

    disable = True  # as a disabled tqdm says

    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def _progress(opts: ScoreOptions, total: int | None) -> Any:
    disable = opts.quiet or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    if disable:
        return _NoProgress()
    from tqdm.auto import tqdm

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
        A missing input, an unsupported format, a table without the text column or a kept
        column (``keep``), a bad option.
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
    if opts.keep and any(s.format in ("txt", "html") for s in sources):
        logger.warning(
            "keep: text and HTML files have no columns; their %s value(s) are null",
            ", ".join(map(repr, opts.keep)),
        )
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
        # the final files grow part by part while the workers score the next parts
        assembler = _Assembler(out, opts.format, opts.keep)
        try:
            state = _run_parts(
                opts, sources, parts, _estimate_rows(sources, input_info), assembler, stop.check
            )
            counts = assembler.finish(state["parts"], pending)
            # time this process spent on the final files, most of it during the scoring
            timings["assemble_seconds"] = assembler.seconds
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
            assembler.discard()  # unfinished .tmp files (finished ones are in pending)
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
    assembler: _Assembler,
    check: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Read, cut into parts, score the missing parts, write them; return the counts.

    Every complete part, new or kept from an interrupted run, goes to ``assembler``.
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
    progress: Any = None  # made after the engine: its monitor thread must not see a fork

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
                assembler.complete(chunk.k)
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
        progress = _progress(opts, total)
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
            assembler.complete(k)
            check()
        aborted = False
    finally:
        engine.close(abort=aborted)
        if progress is not None:
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
