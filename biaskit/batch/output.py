"""The output directory: its lock, atomic writes, the parts, and the final files built from them."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.batch.engines import _ARTICLE_EXTRA, _PartResult, _to_arrow
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
        "sentences": parts / f"{stem}.parquet",
        "articles": parts / f"{stem}.articles.parquet",
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
