"""The output directory: its lock, atomic writes, the parts, and the final files built from them."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.batch.engines import (
    _ARTICLE_EXTRA,
    _PartResult,
    _release_arrow_memory,
    _to_arrow,
)
from biaskit.batch.kept import unified_kept_types
from biaskit.batch.options import ScoreOptions
from biaskit.errors import BiaskitError, OutputError
from biaskit.schema import ARTICLE_COLUMNS, SENTENCE_COLUMNS

logger = logging.getLogger(__name__)

PARTS_DIR = "parts"
LOCK_FILE = ".lock"
RUN_FILE = "run.json"
ERRORS_FILE = "errors.jsonl"
_MANIFEST = "manifest.json"


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
        # Arrow IPC files (see engines._arrow_bytes); the final tables are parquet or CSV
        "sentences": parts / f"{stem}.arrow",
        "articles": parts / f"{stem}.articles.arrow",
        "errors": parts / f"{stem}.errors.jsonl",
        "meta": parts / f"{stem}.json",  # written last: its presence marks the part complete
    }


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


def _read_part(path: Path) -> Any:
    """The table of one part file (an Arrow IPC file)."""
    import pyarrow as pa

    # one thread: the workers keep the cores busy (threads would only add switching)
    options = pa.ipc.IpcReadOptions(use_threads=False)
    with pa.OSFile(os.fspath(path)) as source:  # read into memory: the file can go at once
        return pa.ipc.open_file(source, options=options).read_all()


def _part_info(path: Path) -> tuple[Any, int]:
    """Schema (see :func:`_stored_schema`) and number of rows of one part file."""
    import pyarrow as pa

    with pa.OSFile(os.fspath(path)) as source:
        reader = pa.ipc.open_file(source)
        rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
        return _stored_schema(reader.schema), rows


def _stored_schema(schema: Any) -> Any:
    """``schema`` as a parquet file stores it (read back): the schema of the final table.

    Parquet names the items of a list ``element`` where pandas' conversion says ``item``;
    going through an empty parquet file gives the final file exactly the schema it has
    always had, whatever parquet changes.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    return pq.read_schema(pa.BufferReader(sink.getvalue()))


def _unified_schema(paths: list[Path], empty: pd.DataFrame, keep: tuple[str, ...] = ()) -> Any:
    """The schema of the final table: every part's fields, each with a type all parts cast to.

    ``keep``: the kept input columns. One may be integers in one part and text in another
    (JSONL has no column types): it is text in the final file. One that no part has (every
    document of the run failed) is added, null, so the final file always has it.
    """
    import pyarrow as pa

    if not paths:
        return _to_arrow(empty).schema.remove_metadata()
    infos = [_part_info(p) for p in paths]
    schemas = [s.remove_metadata() for s, _ in infos]
    retyped = unified_kept_types(schemas, keep)
    if retyped:
        schemas = [
            pa.schema([pa.field(f.name, retyped.get(f.name, f.type)) for f in s]) for s in schemas
        ]
    unified = pa.unify_schemas(schemas, promote_options="permissive")
    for name in keep:
        if name not in unified.names:
            unified = unified.append(pa.field(name, pa.null()))
    # keep pandas' dtype notes (nullable Int64, ...) of the first part that has rows
    for schema, rows in infos:
        if schema.metadata and b"pandas" in schema.metadata and rows:
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


class _TableSink:
    """One final table being written part by part: a parquet writer, or CSV text."""

    def __init__(self, path: Path, fmt: str, schema: Any, keep: tuple[str, ...] = ()) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.schema = schema
        # kept integer columns with nulls would become floats in pandas ("12.0" in the CSV)
        self._integers = [f.name for f in schema if f.name in keep and pa.types.is_integer(f.type)]
        self.rows = 0
        self._fh: Any = None
        self._writer: Any = None
        self._header = True
        self._nested = [
            f.name
            for f in schema
            if pa.types.is_list(f.type)
            or pa.types.is_large_list(f.type)
            or pa.types.is_struct(f.type)
            or pa.types.is_map(f.type)
        ]
        if fmt == "csv":
            self._fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        else:
            self._writer = pq.ParquetWriter(path, schema)

    def write(self, table: Any) -> None:
        """Append ``table`` (already conformed to the schema)."""
        if self._writer is not None:
            self._writer.write_table(table)
        else:
            frame = table.drop_columns(self._nested).to_pandas()
            for name in self._nested:
                frame[name] = [_json_cell(v) for v in table.column(name).to_pylist()]
            for name in self._integers:
                frame[name] = pd.Series(table.column(name).to_pylist(), dtype=object)
            frame = frame.loc[:, self.schema.names]
            frame.to_csv(self._fh, header=self._header, index=False)
            self._header = False
        self.rows += table.num_rows

    def close(self) -> None:
        """Finish the file (a CSV file without rows still gets its header)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()
        elif self._fh is not None:
            if self._header:
                self.write(self.schema.empty_table())
            fh, self._fh = self._fh, None
            fh.close()

    def discard(self) -> None:
        """Close without caring whether the file is complete (it is about to be removed)."""
        with contextlib.suppress(Exception):
            if self._writer is not None:
                self._writer.close()
            if self._fh is not None:
                self._fh.close()
        self._writer = self._fh = None


def _assemble_table(
    paths: list[Path],
    target: Path,
    fmt: str,
    empty: pd.DataFrame,
    pending: list[tuple[Path, Path]],
    keep: tuple[str, ...] = (),
) -> int:
    """Concatenate part tables into ``target.tmp`` (added to ``pending``), one part at a time."""
    schema = _unified_schema(paths, empty, keep)
    rows = 0

    def write(tmp: Path) -> None:
        nonlocal rows
        sink = _TableSink(tmp, fmt, schema, keep)
        try:
            for path in paths:
                sink.write(_conform(_read_part(path), schema))
            sink.close()
        finally:
            sink.discard()
        rows = sink.rows

    pending.append((_write_tmp(target, write), target))
    return rows


class _TableStream:
    """A final table written while the run goes on, one complete part after another.

    The final file takes the schema all parts share (see :func:`_unified_schema`); it is
    known here once the first part is in, provided every later part has the same schema,
    which is what the shipped analysis gives. A first part without rows, or a later part
    whose schema differs (a column null in every row of a small part, say), ends the
    streaming: the file is then assembled from all the parts at the end, as
    :func:`_assemble_table` does. Either way the file holds the same rows and schema.
    """

    def __init__(
        self, target: Path, fmt: str, empty: pd.DataFrame, keep: tuple[str, ...] = ()
    ) -> None:
        self.target = target
        self.keep = keep
        self.tmp = target.with_name(target.name + ".tmp")
        self.fmt = fmt
        self.empty = empty
        self.paths: list[Path] = []
        self.sink: _TableSink | None = None
        self.first: Any = None  # schema of the first part, as its file has it
        self.streaming = True

    def append(self, path: Path) -> None:
        """Add the next part's table."""
        self.paths.append(path)
        if not self.streaming:
            return
        table = _read_part(path)
        if self.sink is None:
            metadata = table.schema.metadata or {}
            if not table.num_rows or b"pandas" not in metadata:
                self._stop()  # the final file takes the pandas notes of a later part
                return
            self.first = table.schema.remove_metadata()
            schema = _stored_schema(table.schema).remove_metadata()
            schema = schema.with_metadata({b"pandas": metadata[b"pandas"]})
            self.sink = _TableSink(self.tmp, self.fmt, schema, self.keep)
        elif not table.schema.remove_metadata().equals(self.first, check_metadata=True):
            self._stop()
            return
        self.sink.write(_conform(table, self.sink.schema))

    def _stop(self) -> None:
        logger.debug("%s: part schemas differ; assembling it at the end", self.target.name)
        self.discard()
        self.streaming = False

    def finish(self, pending: list[tuple[Path, Path]]) -> int:
        """Complete ``target.tmp``, add it to ``pending``; return its number of rows."""
        if self.sink is None:  # no part, or streaming stopped: from the parts, now
            self.streaming = False
            return _assemble_table(
                self.paths, self.target, self.fmt, self.empty, pending, self.keep
            )
        sink, self.sink = self.sink, None
        self.streaming = False  # from here on the file is the caller's (in pending)
        try:
            sink.close()
            _fsync_file(self.tmp)
        except BaseException:
            sink.discard()
            with contextlib.suppress(OSError):
                self.tmp.unlink()
            raise
        pending.append((self.tmp, self.target))
        return sink.rows

    def discard(self) -> None:
        """Drop the unfinished ``target.tmp`` (a finished one belongs to ``pending``)."""
        if self.sink is None and not self.streaming:
            return
        if self.sink is not None:
            self.sink.discard()
            self.sink = None
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


class _Assembler:
    """Builds the final files from the complete parts, in part order, as they complete.

    The tables are appended to ``sentences.parquet.tmp`` and ``articles.parquet.tmp``
    (``.csv`` with ``format="csv"``) and the error rows to ``errors.jsonl.tmp`` while the
    workers score the next parts, so that little is left to do when the last part is in;
    :meth:`finish` completes them and hands them to :func:`_commit`. Parts kept from an
    interrupted run are appended like new ones (a resumed run writes the same files), and
    a run that stops before :meth:`finish` removes the ``.tmp`` files (:meth:`discard`).

    Parameters
    ----------
    out : Path
        The output directory.
    fmt : {"parquet", "csv"}
        Format of the two tables.
    keep : tuple of str
        The kept input columns (``ScoreOptions.keep``), which both tables end with.

    """

    def __init__(self, out: Path, fmt: str, keep: tuple[str, ...] = ()) -> None:
        self.parts = out / PARTS_DIR
        names = _output_names(fmt)
        self.streams = {
            "sentences": _TableStream(
                out / names["sentences"],
                fmt,
                pd.DataFrame({c: pd.Series(dtype=object) for c in (*SENTENCE_COLUMNS, *keep)}),
                keep,
            ),
            "articles": _TableStream(
                out / names["articles"],
                fmt,
                pd.DataFrame(
                    {c: pd.Series(dtype=object) for c in (*ARTICLE_COLUMNS, *_ARTICLE_EXTRA, *keep)}
                ),
                keep,
            ),
        }
        self.errors_target = out / names["errors"]
        self.errors_tmp = self.errors_target.with_name(self.errors_target.name + ".tmp")
        self._errors: Any = None
        self.error_rows = 0
        self.next = 0  # the first part not appended yet
        self._complete: set[int] = set()
        self.seconds = 0.0

    def complete(self, k: int) -> None:
        """Part ``k`` is complete on disk: append it, and the complete parts that follow it."""
        self._complete.add(k)
        if self.next not in self._complete:
            return
        started = time.perf_counter()
        while self.next in self._complete:
            self._complete.discard(self.next)
            self._append(self.next)
            self.next += 1
        self.seconds += time.perf_counter() - started

    def _append(self, k: int) -> None:
        paths = _part_paths(self.parts, k)
        for name, stream in self.streams.items():
            try:
                stream.append(paths[name])
            except OSError as exc:
                raise _output_error(stream.target, exc) from exc
        # the part's tables are freed; Arrow's allocator (mimalloc) would keep their memory
        # cached, and appending part after part for the whole run it kept ~25 MB more at
        # this process's peak (~0.1 ms a call)
        _release_arrow_memory()
        try:
            if self._errors is None:
                self._errors = open(self.errors_tmp, "wb")  # noqa: SIM115
            with open(paths["errors"], "rb") as src:
                for line in src:
                    self._errors.write(line)
                    self.error_rows += 1
        except OSError as exc:
            raise _output_error(self.errors_target, exc) from exc

    def finish(self, n_parts: int, pending: list[tuple[Path, Path]]) -> dict[str, int]:
        """Complete the final files as ``.tmp`` files listed in ``pending``; return row counts.

        The caller renames them with :func:`_commit`, together with run.json, or removes them.
        """
        if self.next != n_parts or self._complete:
            raise BiaskitError(
                f"{self.next} of {n_parts} parts assembled; this is a bug in biaskit.batch"
            )
        started = time.perf_counter()
        counts = {}
        for name, stream in self.streams.items():
            try:
                counts[name] = stream.finish(pending)
            except OSError as exc:
                raise _output_error(stream.target, exc) from exc
        try:
            if self._errors is None:
                self._errors = open(self.errors_tmp, "wb")  # noqa: SIM115
            errors, self._errors = self._errors, None
            errors.close()
            _fsync_file(self.errors_tmp)
        except OSError as exc:
            with contextlib.suppress(OSError):
                self.errors_tmp.unlink()
            raise _output_error(self.errors_target, exc) from exc
        pending.append((self.errors_tmp, self.errors_target))
        counts["errors"] = self.error_rows
        self.seconds += time.perf_counter() - started
        return counts

    def discard(self) -> None:
        """Remove the unfinished ``.tmp`` files (the run stopped before :meth:`finish`)."""
        for stream in self.streams.values():
            stream.discard()
        if self._errors is not None:
            with contextlib.suppress(OSError):
                self._errors.close()
            self._errors = None
            with contextlib.suppress(OSError):
                self.errors_tmp.unlink()
