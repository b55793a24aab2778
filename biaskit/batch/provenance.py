"""Provenance of a run: input fingerprints, the manifest a resume must match, run.json."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import platform
import stat
from pathlib import Path
from typing import Any

from biaskit import __version__
from biaskit import io as bio
from biaskit.batch.options import ScoreOptions, ScoreResult
from biaskit.batch.output import (
    _MANIFEST,
    PARTS_DIR,
    RUN_FILE,
    _output_error,
    _output_names,
    _write_json,
)
from biaskit.errors import ModelError, OutputError

logger = logging.getLogger(__name__)

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
    columns = dataclasses.asdict(opts.columns)
    # the kept columns on a line of their own: a resume with another --keep says "keep: ..."
    keep = list(columns.pop("keep"))
    return {
        "inputs": [{k: i.get(k) for k in ("path", "size", "sha256")} for i in inputs],
        "columns": columns,
        "keep": keep,
        "encoding": opts.encoding,
        "chunk_size": opts.chunk_size,
        "model": {k: model.get(k) for k in ("scorer", "version", "sha256")},
    }


def _manifest_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    diffs = []
    for key in new:
        a, b = old.get(key), new[key]
        if key == "keep" and a is None:  # a run of a biaskit without keep kept nothing
            a = []
        if key == "inputs" and a is not None:
            # stdin cannot be hashed: compare only what is known
            a = [x if x.get("path") != bio.STDIN else {"path": bio.STDIN} for x in a]
            b = [x if x.get("path") != bio.STDIN else {"path": bio.STDIN} for x in b]
        if a != b:
            diffs.append(f"{key}: was {json.dumps(a)}, now {json.dumps(b)}")
    return diffs


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
