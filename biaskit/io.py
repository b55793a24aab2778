"""Readers: JSONL, CSV/TSV, parquet, text and HTML files → document records.

This is the only module that knows input formats. :func:`read_documents` turns any mix of
inputs into one stream of records, in a deterministic order:

- ``.jsonl`` / ``.ndjson`` (one JSON object per line; ``-`` reads JSONL from stdin),
- ``.csv`` / ``.tsv`` (a header row, then one article per row),
- ``.parquet`` / ``.pq`` (one article per row),
- ``.txt`` / ``.html`` / ``.htm`` files, or a directory searched recursively for them; the
  first sub-directory below the given directory names the outlet
  (``articles/northwire/a.txt`` → outlet ``northwire``),
- ``.jsonl.gz``, ``.ndjson.gz``, ``.csv.gz``, ``.tsv.gz`` (gzip-compressed).

Every file is streamed (JSONL line by line, CSV row by row, parquet by record batch), so a
corpus of any size is read in bounded memory.

Each record is a plain ``dict``: either a document
(:class:`DocumentRecord`: ``doc_id, outlet, title, text, published, url, source, line``, and
``kept`` when :attr:`ColumnMap.keep` names further columns to carry along) or an
error (:class:`ErrorRecord`: ``source, line, doc_id, reason``) for an input that cannot become a
document — broken JSON, an empty text, an undecodable or binary file, an empty file. Errors
are records, not exceptions, so one bad line never stops a corpus; only mistakes that would
make *every* row fail (a missing file, an unknown format, a ``text_col`` that the table does not
have) raise :class:`~biaskit.errors.InputError` at once. What one problem costs:

- JSONL: one line for broken JSON, an undecodable line or a raw NUL byte (the whole file only
  when it is binary from its first line, e.g. an image or a UTF-16 file read as UTF-8);
- CSV/TSV: one row for a malformed row, a quoted field that never closes (the lines after
  it are read again) or bytes that do not decode (a row in another encoding); the whole
  file only for a header that does not decode or a NUL byte in its first 8 KB (binary);
  with ``encoding="utf-16"``/``"utf-32"`` an undecodable unit ends the file there (the
  rows before it are kept, one error names where);
- a truncated gzip file or a read that fails part-way: the complete lines before it are read,
  the rest is one error naming the line where the data ends;
- a file that is not a regular file (FIFO, socket, device), a broken link or an unreadable
  file: one error, and it is never opened (a FIFO without a writer would block forever).

A byte order mark at the start of a file is an encoding mark, not text. Texts are otherwise
kept as read (:func:`biaskit.analyze` NFC-normalises them for tagging and maps every offset
back, so offsets index the text as read); titles are NFC-normalised. A lone surrogate (a JSON
escape of half a UTF-16 pair, e.g. half an emoji; only JSON can produce one) is replaced by
U+FFFD, one for one, in every field, so offsets stay exact and UTF-8 outputs can hold it.
HTML is reduced to the article body with trafilatura (navigation, footers and comments
removed), keeping the title and date when the page has them.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io as _io
import itertools
import json
import logging
import os
import re
import stat
import sys
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypedDict

from biaskit.errors import BiaskitError, InputError

logger = logging.getLogger(__name__)

__all__ = [
    "ColumnMap",
    "DocumentRecord",
    "ErrorRecord",
    "Source",
    "expand_inputs",
    "input_format",
    "check_sources",
    "check_encoding",
    "read_documents",
    "iter_records",
    "finish_record",
    "extract_html",
    "is_error",
    "kept_value",
    "error_record",
    "STDIN",
]

#: The input name that means "JSONL on standard input".
STDIN = "-"

Format = Literal["jsonl", "csv", "tsv", "parquet", "txt", "html"]

_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
}
#: formats that may be gzip-compressed (``.jsonl.gz``); text and HTML files may not
_COMPRESSIBLE: frozenset[str] = frozenset({"jsonl", "csv", "tsv"})
#: formats picked up when a directory is given
_DIRECTORY_FORMATS: frozenset[str] = frozenset({"txt", "html"})
_SUPPORTED = (
    ".jsonl, .ndjson, .csv, .tsv, .parquet, .pq, .txt, .html, .htm (+ .gz for jsonl/csv/tsv)"
)

_BLOCK = 1 << 20  # bytes read at a time when checking a file's encoding
_SNIFF = 8192  # bytes inspected for NUL bytes (binary files)
_PARQUET_BATCH = 1024  # rows per parquet record batch


class _DocumentFields(TypedDict):
    doc_id: str
    outlet: str | None
    title: str | None
    text: str
    published: str | None
    url: str | None
    source: str
    line: int


class DocumentRecord(_DocumentFields, total=False):
    """A document read from an input: the documents table row plus where it came from.

    ``kept`` (only when :attr:`ColumnMap.keep` names columns) maps each kept input column to
    its value in this document (see :func:`kept_value`), in the order of ``keep``.
    """

    kept: dict[str, Any]


class ErrorRecord(TypedDict):
    """An input that could not become a document: where it is and why."""

    source: str
    line: int | None
    doc_id: str | None
    reason: str


#: What the readers yield.
Record = DocumentRecord | ErrorRecord
#: One input path, or several.
Inputs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


@dataclass(frozen=True)
class ColumnMap:
    """Which input fields (JSONL keys, CSV/parquet columns) hold each document field.

    Parameters
    ----------
    id_col, text_col, outlet_col, title_col, date_col, url_col : str
        Field names. Only ``text_col`` is required; a missing id becomes ``FILE:LINE``,
        other missing fields become null.
    keep : tuple of str
        Further input columns carried along with each document (``DocumentRecord["kept"]``),
        e.g. ``("topic", "section")``. A CSV/TSV/parquet input must have each of them
        (:func:`check_sources`); a JSONL line without one, and a text or HTML file, has null.

    Examples
    --------
    >>> ColumnMap(id_col="id", text_col="body").text_col
    'body'
    >>> ColumnMap(keep=["topic"]).keep
    ('topic',)

    """

    id_col: str = "doc_id"
    text_col: str = "text"
    outlet_col: str = "outlet"
    title_col: str = "title"
    date_col: str = "published"
    url_col: str = "url"
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # a list is the natural thing to pass; a tuple keeps the map hashable and comparable
        # (and one name given alone is one column, not its letters)
        keep = (self.keep,) if isinstance(self.keep, str) else tuple(self.keep)
        object.__setattr__(self, "keep", keep)

    def fields(self) -> tuple[str, ...]:
        """The input field names, in document-table order, without duplicates."""
        names = (
            self.id_col,
            self.outlet_col,
            self.title_col,
            self.text_col,
            self.date_col,
            self.url_col,
        )
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Source:
    """One concrete input file (a directory is expanded into one Source per file).

    Attributes
    ----------
    path : str
        The file path as given or as found in a directory; ``"-"`` for stdin.
    format : str
        One of ``jsonl``, ``csv``, ``tsv``, ``parquet``, ``txt``, ``html``.
    gzip : bool
        The file is gzip-compressed.
    root : str or None
        The directory the file was found in (for directory inputs), else None.

    """

    path: str
    format: Format
    gzip: bool = False
    root: str | None = None

    @property
    def relative(self) -> str:
        """Path below ``root`` (POSIX separators), or the path itself."""
        if self.root is None:
            return self.path
        return Path(self.path).relative_to(self.root).as_posix()

    @property
    def outlet(self) -> str | None:
        """Outlet implied by the file's first sub-directory below ``root``, if any."""
        if self.root is None:
            return None
        parts = Path(self.relative).parts
        return parts[0] if len(parts) > 1 else None


def is_error(record: DocumentRecord | ErrorRecord | dict[str, Any]) -> bool:
    """Return True if ``record`` is an :class:`ErrorRecord`.

    Examples
    --------
    >>> is_error({"source": "a.jsonl", "line": 3, "doc_id": None, "reason": "invalid JSON"})
    True

    """
    return "reason" in record


# --------------------------------------------------------------------------- inputs


def _format_of(path: Path) -> tuple[Format, bool] | None:
    """Format and compression implied by a file name, or None if unsupported."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    fmt = _SUFFIXES.get(suffixes[-1])
    if fmt is None or (compressed and fmt not in _COMPRESSIBLE):
        return None
    return fmt, compressed


def input_format(path: str | os.PathLike[str]) -> Format | None:
    """The input format a file name implies, or None if the readers do not support it.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str or None
        ``jsonl``, ``csv``, ``tsv``, ``parquet``, ``txt`` or ``html`` (gzip-compressed files by
        the suffix before ``.gz``).

    Examples
    --------
    >>> input_format("news.jsonl.gz"), input_format("page.HTM"), input_format("notes.md")
    ('jsonl', 'html', None)

    """
    kind = _format_of(Path(path))
    return None if kind is None else kind[0]


def expand_inputs(inputs: Inputs) -> list[Source]:
    """Resolve inputs (files, directories, ``-``) into concrete sources, in reading order.

    Directories are searched recursively for ``.txt``, ``.html`` and ``.htm`` files, sorted by
    their path so the order (and so every derived id and batch part) is deterministic.
    Hidden files and directories are skipped.

    Parameters
    ----------
    inputs : path or iterable of paths
        Files, directories, or ``"-"`` (JSONL on stdin, at most once).

    Returns
    -------
    list of Source

    Raises
    ------
    InputError
        If an input does not exist, has an unsupported extension, or no input is given.

    Examples
    --------
    >>> [s.format for s in expand_inputs("-")]
    ['jsonl']

    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    items = [os.fspath(i) for i in inputs]
    if not items:
        raise InputError("no inputs given; pass files, directories, or '-' for JSONL on stdin")
    if items.count(STDIN) > 1:
        raise InputError("'-' (stdin) can be given only once")
    sources: list[Source] = []
    for item in items:
        if item == STDIN:
            sources.append(Source(STDIN, "jsonl"))
            continue
        path = Path(item)
        if path.is_dir():
            found = _scan_directory(path)
            if not found:
                logger.warning("%s: directory has no .txt or .html files", item)
            sources.extend(found)
            continue
        if not path.exists():
            raise InputError("input not found", path=item)
        kind = _format_of(path)
        if kind is None:
            raise InputError(
                f"unsupported input format {''.join(path.suffixes) or '(no extension)'}; "
                f"expected one of {_SUPPORTED}, or a directory of .txt/.html files",
                path=item,
            )
        sources.append(Source(item, kind[0], gzip=kind[1]))
    return sources


def _scan_directory(root: Path) -> list[Source]:
    files: list[tuple[str, Path]] = []
    skipped = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            kind = _format_of(path)
            if kind is None or kind[0] not in _DIRECTORY_FORMATS:
                skipped += 1
                continue
            files.append((path.relative_to(root).as_posix(), path))
    if skipped:
        logger.info("%s: skipped %d file(s) that are not .txt or .html", root, skipped)
    files.sort(key=lambda item: item[0])
    fmt: dict[str, Format] = {".txt": "txt", ".html": "html", ".htm": "html"}
    return [Source(str(path), fmt[path.suffix.lower()], root=str(root)) for _, path in files]


#: what each ColumnMap field holds, for messages
_FIELD_ROLES: dict[str, str] = {
    "id_col": "id",
    "text_col": "text",
    "outlet_col": "outlet",
    "title_col": "title",
    "date_col": "date",
    "url_col": "url",
}


def check_sources(
    sources: Iterable[Source],
    columns: ColumnMap | None = None,
    *,
    encoding: str = "utf-8",
    required: Iterable[str] | None = None,
) -> None:
    """Check, before reading, that every table input has the columns the caller named.

    Reads only the CSV header or the parquet schema. A file that cannot be opened or
    decoded is left for the reader, which turns it into an error record. JSONL has no header:
    a field missing from a line is null there (the text field: an error record for the line).

    Parameters
    ----------
    sources : iterable of Source
    columns : ColumnMap, optional
    encoding : str
        Encoding of CSV/TSV files.
    required : iterable of str, optional
        The :class:`ColumnMap` fields (``"id_col"``, ``"outlet_col"``, ...) whose column a
        table must have: those the user passed. When None, ``text_col`` and every field
        whose name differs from the default (a default column that is absent is optional).
        ``text_col`` is always required, and so is every column of ``columns.keep``.

    Raises
    ------
    InputError
        If a CSV/TSV or parquet file lacks a required column; the message names the file,
        the missing columns and the columns the file has.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("id,text" + chr(10) + "1,Hi." + chr(10))
    >>> check_sources(expand_inputs(p), ColumnMap(id_col="id"))  # present: no error
    >>> check_sources(expand_inputs(p), ColumnMap(id_col="key"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    biaskit.errors.InputError: ...: no column 'key' for the id (id_col=, CLI: --id-col); ...

    """
    columns = columns or ColumnMap()
    wanted = _required_fields(columns, required)
    codec = _codec_name(encoding)
    for src in sources:
        names: list[str] | None = None
        if src.format in ("parquet", "csv", "tsv") and _file_problem(src) is not None:
            continue  # a FIFO, a broken link, ...: the reader turns it into an error record
        if src.format == "parquet":
            try:
                import pyarrow.parquet as pq

                names = list(pq.read_schema(src.path).names)
            except Exception:  # unreadable file: reported as an error record later
                continue
        elif src.format in ("csv", "tsv"):
            try:
                with _open_binary(src) as raw:
                    head = raw.read(_BLOCK)
            except (OSError, EOFError, zlib.error):
                continue
            if b"\x00" in head[:_SNIFF] and not codec.startswith(("utf-16", "utf-32")):
                continue  # binary: the reader makes it one error record for this file
            # only the header row matters; the reader reports undecodable bytes per row
            text = head.decode(codec, errors="replace")
            if not text.strip():
                continue
            delimiter = "\t" if src.format == "tsv" else ","
            first = next(csv.reader(_io.StringIO(text), delimiter=delimiter), [])
            names = [n.strip() for n in first]
        if names is not None:
            _check_columns(src, columns, wanted, names)


def _required_fields(columns: ColumnMap, required: Iterable[str] | None) -> list[str]:
    """The ColumnMap fields a table must have (see :func:`check_sources`)."""
    if required is None:
        defaults = ColumnMap()
        required = [f for f in _FIELD_ROLES if getattr(columns, f) != getattr(defaults, f)]
    fields = list(dict.fromkeys(["text_col", *required]))
    unknown = [f for f in fields if f not in _FIELD_ROLES]
    if unknown:
        raise ValueError(f"unknown ColumnMap field(s) {unknown}; expected {list(_FIELD_ROLES)}")
    return fields


def _check_columns(src: Source, columns: ColumnMap, fields: list[str], names: list[str]) -> None:
    """Raise InputError naming every required column ``names`` (the file's columns) lacks."""
    found = ", ".join(map(repr, names)) or "no columns"
    missing = [f for f in fields if getattr(columns, f) not in names]
    # kept columns were named by the user, so they are required like a passed flag
    lost = [c for c in columns.keep if c not in names]
    if missing == ["text_col"] and not lost:
        raise InputError(
            f"no column {columns.text_col!r} for the text; the file has {found}. Pass "
            "text_col= (CLI: --text-col) to name the column that holds the article text",
            path=src.path,
        )
    if missing or lost:
        what = "; ".join(
            [
                *(
                    f"no column {getattr(columns, f)!r} for the {_FIELD_ROLES[f]} "
                    f"({f}=, CLI: --{f.replace('_', '-')})"
                    for f in missing
                ),
                *(f"no column {c!r} to keep (keep=, CLI: --keep)" for c in lost),
            ]
        )
        raise InputError(
            f"{what}; the file has {found}. Name columns the file has, or leave the option out",
            path=src.path,
        )


# --------------------------------------------------------------------------- reading


def read_documents(
    inputs: Inputs,
    *,
    columns: ColumnMap | None = None,
    encoding: str = "utf-8",
) -> Iterator[Record]:
    """Stream document and error records from any mix of inputs.

    Parameters
    ----------
    inputs : path or iterable of paths
        Files (JSONL, CSV/TSV, parquet, text, HTML, optionally gzip-compressed), directories
        of text/HTML files, or ``"-"`` for JSONL on stdin.
    columns : ColumnMap, optional
        Field names of id, text, outlet, title, date and url in table inputs, and the
        further columns to carry along (``keep``).
    encoding : str
        Encoding of text inputs (UTF-8 by default, with or without a byte order mark).
        Parquet stores its own encoding.

    Yields
    ------
    dict
        A :class:`DocumentRecord`, or an :class:`ErrorRecord` (test with :func:`is_error`).

    Raises
    ------
    InputError
        For a missing input, an unsupported format, or a table without the text column.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> lines = [json.dumps({"doc_id": "x", "text": "Hi."}), "{oops"]
    >>> _ = (d / "a.jsonl").write_text(chr(10).join(lines))
    >>> [(r.get("doc_id"), r.get("reason", "ok")[:12]) for r in read_documents(d / "a.jsonl")]
    [('x', 'ok'), (None, 'invalid JSON')]

    """
    sources = expand_inputs(inputs)
    check_sources(sources, columns, encoding=encoding)
    yield from iter_records(sources, columns=columns, encoding=encoding)


def iter_records(
    sources: Iterable[Source],
    *,
    columns: ColumnMap | None = None,
    encoding: str = "utf-8",
    defer_html: bool = False,
) -> Iterator[Record]:
    """Stream records from sources already expanded by :func:`expand_inputs`.

    Parameters
    ----------
    sources : iterable of Source
    columns : ColumnMap, optional
    encoding : str
    defer_html : bool
        Yield HTML documents unextracted (``text`` holds the page, ``html`` is True) so that
        the costly extraction can run in worker processes with :func:`finish_record`.

    Yields
    ------
    dict
        Document or error records, in source order, then line/row order.

    """
    columns = columns or ColumnMap()
    codec = _codec_name(encoding)
    for src in sources:
        n = 0
        try:
            for record in _read_source(src, columns, codec, defer_html):
                n += 1
                yield record
        except _FileError as exc:
            n += 1
            doc_id = src.relative if src.format in _DIRECTORY_FORMATS else None
            yield error_record(src.path, exc.line, doc_id, exc.reason)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            # a read that fails part-way (I/O error, a file changed under us): the records
            # before it were yielded; the rest of this file is one error record
            n += 1
            doc_id = src.relative if src.format in _DIRECTORY_FORMATS else None
            reason = f"cannot read the rest of the file after {n - 1} record(s) " + (
                f"({type(exc).__name__}: {exc})"
            )
            yield error_record(src.path, None, doc_id, reason)
        if n == 0:
            yield error_record(src.path, None, None, "empty file: no records")


def finish_record(record: DocumentRecord | ErrorRecord) -> Record:
    """Complete a record from ``iter_records(..., defer_html=True)``: extract deferred HTML.

    Other records are returned unchanged.

    Parameters
    ----------
    record : dict

    Returns
    -------
    dict
        The document with its article text, title and date, or an error record if the page
        has no article text or a package the extraction needs is missing (the reason names
        the package to install).

    """
    if is_error(record) or not record.get("html"):  # type: ignore[union-attr]
        return record
    doc = dict(record)
    doc.pop("html", None)
    try:
        extracted = extract_html(doc["text"])
    except BiaskitError as exc:  # a missing package: this file is an error, the run goes on
        return error_record(doc["source"], doc["line"], doc["doc_id"], str(exc))
    if extracted is None:
        return error_record(
            doc["source"],
            doc["line"],
            doc["doc_id"],
            "no article text found in the HTML (trafilatura extracted nothing)",
        )
    text, meta = extracted
    for key in ("title", "published", "url"):
        if doc.get(key) is None:
            doc[key] = meta.get(key)
    if doc.get("outlet") is None:
        doc["outlet"] = meta.get("outlet")
    doc["text"] = text
    return _document(doc)


def extract_html(html: str) -> tuple[str, dict[str, str | None]] | None:
    """Reduce an HTML page to its article text, with title, date, url and site name.

    Uses ``trafilatura.bare_extraction`` (comments, navigation and footers removed; tables
    kept out so that stock tickers and menus do not become sentences). The page's own date
    metadata is used; dates are not guessed from the body text.

    Parameters
    ----------
    html : str
        The page.

    Returns
    -------
    (str, dict) or None
        The text (paragraphs on their own lines) and ``{"title", "published", "url",
        "outlet"}``; None if no article text was found.

    Raises
    ------
    BiaskitError
        If a package the extraction needs is not installed (e.g. ``lxml_html_clean``); the
        message names the package to install.

    Examples
    --------
    >>> page = ("<html><head><title>Storm</title></head><body><nav>Home | World</nav>"
    ...         "<article><p>" + "A storm hit the coast on Monday, officials said. " * 3
    ...         + "</p></article><footer>Share this story</footer></body></html>")
    >>> text, meta = extract_html(page)
    >>> text.startswith("A storm hit the coast"), "Share" in text, meta["title"]
    (True, False, 'Storm')

    """
    try:
        import trafilatura

        doc = trafilatura.bare_extraction(
            html,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
            deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except ImportError as exc:
        # trafilatura imports justext, which needs lxml's HTML cleaner; lxml >= 5.2 moved it
        # to the lxml_html_clean package, which old pips do not install from lxml[html_clean]
        raise BiaskitError(_missing_package(exc)) from exc
    if doc is None:
        return None
    get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
    text = get("text")
    if not text or not str(text).strip():
        return None
    meta = {
        "title": get("title") or None,
        "published": get("date") or None,
        "url": get("url") or None,
        "outlet": get("sitename") or None,
    }
    return str(text), meta


def _missing_package(exc: ImportError) -> str:
    """Why HTML cannot be read for want of a package, and the ``pip install`` that fixes it."""
    detail = " ".join(str(exc).split())
    if "lxml_html_clean" in detail or exc.name == "lxml.html.clean":
        package = "lxml_html_clean"
    elif exc.name:
        package = exc.name.split(".")[0]
    else:
        package = None
    fix = (
        f"install it (pip install {package}) or reinstall biaskit"
        if package
        else "reinstall biaskit with its dependencies"
    )
    return f"cannot extract the article from HTML: a package is missing ({detail}); {fix}"


class _FileError(Exception):
    """A whole file cannot be read; becomes one error record."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def error_record(source: str, line: int | None, doc_id: str | None, reason: str) -> ErrorRecord:
    """Build an :class:`ErrorRecord`.

    Examples
    --------
    >>> error_record("a.csv", 3, "x", "empty text")["reason"]
    'empty text'

    """
    return {
        "source": _valid_unicode(source),
        "line": line,
        "doc_id": _valid_unicode(doc_id),
        "reason": _valid_unicode(reason),
    }


# A UTF-16 surrogate code point on its own (JSON "\ud83d" without its pair) is not valid
# Unicode: UTF-8 (parquet, errors.jsonl) cannot hold it. JSON is the only reader that can
# produce one (the others decode strictly); every string of a record gets it replaced by
# U+FFFD, one for one, so text offsets stay exact (as segment._valid_unicode does).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(value: Any) -> Any:
    """``value`` with lone surrogates replaced by U+FFFD if it is a string."""
    if isinstance(value, str) and _SURROGATE.search(value):
        return _SURROGATE.sub("\ufffd", value)
    return value


def _file_problem(src: Source) -> str | None:
    """Why ``src`` cannot be opened for reading without blocking, or None if it can.

    A FIFO, socket or device would block ``open`` (a FIFO without a writer waits forever), a
    broken symbolic link or a vanished file cannot be opened: such a file is one error record.
    """
    if src.path == STDIN:
        return None
    try:
        mode = os.stat(src.path).st_mode
    except OSError as exc:
        what = "broken symbolic link" if os.path.islink(src.path) else "cannot read file"
        return f"{what} ({type(exc).__name__}: {exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        if stat.S_ISFIFO(mode):
            kind = "a FIFO"
        elif stat.S_ISSOCK(mode):
            kind = "a socket"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = "a device"
        else:
            kind = "not a file"
        return (
            f"not a regular file ({kind}); skipped. To read JSONL from a pipe, pass '-' and "
            "pipe it to standard input"
        )
    return None


def check_encoding(encoding: str) -> str:
    """The canonical name of a text encoding, or a clear error for an unknown one.

    Parameters
    ----------
    encoding : str
        An encoding name as the user gave it (``--encoding``, ``encoding=``).

    Returns
    -------
    str
        The codec's canonical name.

    Raises
    ------
    InputError
        If the encoding is unknown, or is a codec that does not decode bytes to text
        (``base64``, ``rot13``, ...).

    Examples
    --------
    >>> check_encoding("Latin-1")
    'iso8859-1'

    """
    try:
        info = codecs.lookup(encoding)
    except LookupError as exc:
        raise InputError(f"unknown encoding {encoding!r}; use e.g. 'utf-8' or 'latin-1'") from exc
    # bytes.decode refuses the bytes-to-bytes codecs (base64, zlib, ...) with a LookupError
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(f"{encoding!r} is not a text encoding; use e.g. 'utf-8' or 'latin-1'")
    return info.name


def _codec_name(encoding: str) -> str:
    name = check_encoding(encoding)
    # UTF-8 input may start with a byte order mark; utf-8-sig removes it and reads the rest
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def _shown(codec: str) -> str:
    """The encoding's name for messages (``utf-8-sig`` is how we read UTF-8)."""
    return "utf-8" if codec == "utf-8-sig" else codec


def _open_binary(src: Source) -> BinaryIO:
    if src.path == STDIN:
        return sys.stdin.buffer
    if src.gzip:
        return gzip.open(src.path, "rb")  # type: ignore[return-value]
    return open(src.path, "rb")  # closed by the caller's with


def _check_decodable(src: Source, codec: str) -> None:
    """Stream the file once: refuse binary files and text that does not decode.

    Raises
    ------
    _FileError
        With the byte offset and line of the first problem and how to fix it.

    """
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    lines = 1
    try:
        with _open_binary(src) as fh:
            first = True
            while True:
                block = fh.read(_BLOCK)
                if not block:
                    break
                if first:
                    nul = block.find(b"\x00", 0, _SNIFF)
                    if (
                        nul >= 0
                        and not codec.startswith("utf-16")
                        and not codec.startswith("utf-32")
                    ):
                        raise _FileError(
                            f"binary file (NUL byte at offset {nul}); expected {_shown(codec)} text"
                        )
                    first = False
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    pos = offset + exc.start
                    line = lines + block.count(b"\n", 0, exc.start)
                    raise _FileError(
                        f"cannot decode as {_shown(codec)} at byte {pos} "
                        f"({block[exc.start : exc.start + 1]!r}); the file was skipped. Pass "
                        "encoding= (CLI: --encoding) with the file's encoding, e.g. 'latin-1'",
                        line,
                    ) from exc
                offset += len(block)
                lines += block.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise _FileError(
            f"cannot decode as {_shown(codec)}: the file ends inside a character; "
            "pass encoding= (CLI: --encoding)",
            lines,
        ) from exc
    except (EOFError, zlib.error) as exc:
        if not src.gzip:  # pragma: no cover - only gzip raises these
            raise _FileError(f"cannot read file ({type(exc).__name__}: {exc})") from exc
        # a truncated or damaged gzip stream: the part before the damage is checked; the
        # reader reads that part and reports the line where the data ends
        return
    except OSError as exc:
        kind = "gzip file" if src.gzip else "file"
        raise _FileError(f"cannot read {kind} ({type(exc).__name__}: {exc})") from exc


def _sniff_nul(src: Source, codec: str) -> tuple[bytes, int]:
    """The first 8 KB of ``src`` and the offset of its first NUL byte (-1: none, or moot).

    NUL bytes are part of every UTF-16/32 character, and a gzip stream cut within its
    first 8 KB is left to the reader (it reports where the data ends): both give -1.

    Raises
    ------
    _FileError
        ``cannot read (gzip) file`` when not even the start of the file can be read.

    """
    if codec.startswith(("utf-16", "utf-32")):
        return b"", -1
    try:
        with _open_binary(src) as fh:
            head = fh.read(_SNIFF)
    except (EOFError, zlib.error):
        return b"", -1
    except OSError as exc:
        kind = "gzip file" if src.gzip else "file"
        raise _FileError(f"cannot read {kind} ({type(exc).__name__}: {exc})") from exc
    return head, head.find(b"\x00")


def _check_not_binary(src: Source, codec: str) -> None:
    """Refuse a text table whose first 8 KB hold a NUL byte (an image, archive, wrong codec).

    Raises
    ------
    _FileError
        ``binary file (NUL byte at offset N)``, or ``cannot read (gzip) file``.

    """
    _, nul = _sniff_nul(src, codec)
    if nul >= 0:
        raise _FileError(f"binary file (NUL byte at offset {nul}); expected {_shown(codec)} text")


def _check_not_binary_jsonl(src: Source, codec: str) -> None:
    """Refuse a JSONL file that is binary from its start (an image, an archive, a wrong codec).

    A NUL byte in the first 8 KB makes the file binary only if its first line holds a NUL
    byte or is not a JSON object: a text file with one stray NUL byte on a later line costs
    that line alone (an ``invalid JSON`` record), the rest is read.

    Raises
    ------
    _FileError
        ``binary file (NUL byte at offset N)``, or ``cannot read (gzip) file`` when not even
        the start of the file can be read.

    """
    head, nul = _sniff_nul(src, codec)
    if nul < 0:
        return
    # the first line with content (a BOM and leading blank lines are fine)
    body = head.removeprefix(codecs.BOM_UTF8) if codec == "utf-8-sig" else head
    first = next((ln for ln in body.split(b"\n") if ln.strip()), b"")
    try:
        text = first.decode("utf-8" if codec == "utf-8-sig" else codec)
        ok = b"\x00" not in first and isinstance(json.loads(text), dict)
    except (UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        raise _FileError(
            f"binary file (NUL byte at offset {nul}); expected {_shown(codec)} JSON lines", 1
        )


def _read_source(src: Source, columns: ColumnMap, codec: str, defer_html: bool) -> Iterator[Record]:
    problem = _file_problem(src)
    if problem is not None:
        raise _FileError(problem)
    if src.format == "parquet":
        yield from _read_parquet(src, columns)
        return
    if src.format == "jsonl":
        # JSONL is decoded line by line: an undecodable line or a raw NUL byte costs that
        # line; only a file that is binary from its first line is refused as a whole
        if src.path != STDIN:
            _check_not_binary_jsonl(src, codec)
        yield from _read_jsonl(src, columns, codec)
        return
    if src.format in ("csv", "tsv"):
        # decoded row by row (an undecodable row costs that row); only binary files are
        # refused as a whole
        if src.path != STDIN:
            _check_not_binary(src, codec)
        yield from _read_csv(src, columns, codec)
        return
    if src.path != STDIN:
        _check_decodable(src, codec)
    yield _read_file_document(src, columns, codec, defer_html)


def _as_text(value: Any) -> str | None:
    """A field value as a clean string, or None for null / empty values."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.removeprefix("\ufeff"))


def _from_fields(fields: dict[str, Any], columns: ColumnMap, src: Source, line: int) -> Record:
    """Map one JSON object / CSV row / parquet row to a record."""
    raw_id = _as_text(fields.get(columns.id_col))
    doc_id = raw_id if raw_id is not None else f"{src.path}:{line}"
    text = fields.get(columns.text_col)
    if columns.text_col not in fields:
        keys = ", ".join(map(repr, list(fields)[:12])) or "none"
        return error_record(
            src.path,
            line,
            raw_id,
            f"no {columns.text_col!r} field (found {keys}); pass text_col= to name it",
        )
    if text is not None and not isinstance(text, str):
        return error_record(
            src.path,
            line,
            raw_id,
            f"{columns.text_col!r} is {type(text).__name__}, expected a string",
        )
    doc: DocumentRecord = {
        "doc_id": doc_id,
        "outlet": _as_text(fields.get(columns.outlet_col)),
        "title": _as_text(fields.get(columns.title_col)),
        "text": text or "",
        "published": _as_text(fields.get(columns.date_col)),
        "url": _as_text(fields.get(columns.url_col)),
        "source": src.path,
        "line": line,
    }
    if columns.keep:
        doc["kept"] = {name: kept_value(fields.get(name)) for name in columns.keep}
    return _document(doc)


def kept_value(value: Any) -> str | int | float | bool | None:
    """A kept column's value (:attr:`ColumnMap.keep`) as the output tables store it.

    Strings (NFC-normalised), numbers and booleans stay as they are; an empty string, NaN
    and a missing value are null; a date or time is its ISO text; a list or mapping (JSON,
    parquet) is its JSON text. The value depends on nothing but itself, so a document's
    kept values are the same however the corpus is cut into parts.

    Parameters
    ----------
    value : object
        The field's value as the reader found it.

    Returns
    -------
    str, int, float, bool or None

    Examples
    --------
    >>> kept_value(" "), kept_value(3), kept_value(["econ", "eu"]), kept_value({"a": 1})
    (None, 3, '["econ", "eu"]', '{"a": 1}')

    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # beyond int64 no table column holds it as a number; its digits are kept as text
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        return None if value != value else value  # NaN: missing
    if isinstance(value, str):
        return _normalise(_valid_unicode(value)) if value.strip() else None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return kept_value(value.decode("utf-8", errors="replace"))
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_valid_unicode_deep(value), ensure_ascii=False, default=str)
    return str(value)  # Decimal, time, timedelta, ...: their usual text


def _valid_unicode_deep(value: Any) -> Any:
    """``value`` with lone surrogates replaced in every string of nested lists and dicts."""
    if isinstance(value, dict):
        return {_valid_unicode(k): _valid_unicode_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid_unicode_deep(v) for v in value]
    return _valid_unicode(value)


def _document(doc: dict[str, Any]) -> Record:
    """Check a document's text (empty: an error record) and normalise its title.

    The text is kept as read: :func:`biaskit.analyze` normalises it for tagging and maps
    every offset back, so offsets index the input's text (an NFD accent or a BOM inside a
    JSON string included).
    """
    text = doc["text"] or ""
    if not _normalise(text).strip():
        return error_record(doc["source"], doc["line"], doc["doc_id"], "empty text")
    doc["text"] = text
    if doc.get("title"):
        doc["title"] = _normalise(doc["title"])
    return doc  # type: ignore[return-value]


def _jsonl_lines(src: Source, raw: BinaryIO, codec: str) -> Iterator[tuple[int, str | None]]:
    """``(line number, text)`` of each line; text is None where a line does not decode."""
    line_codec = "utf-8" if codec == "utf-8-sig" else codec
    try:
        ascii_safe = "\n".encode(line_codec) == b"\n"
    except UnicodeError:
        ascii_safe = False
    if ascii_safe:
        # split the bytes on newlines and decode line by line: one bad line (on stdin, where
        # nothing is checked up front) costs that line only
        for line_no, line in enumerate(raw, start=1):
            try:
                yield line_no, line.decode(line_codec).removeprefix("\ufeff")
            except UnicodeDecodeError:
                yield line_no, None
        return
    with _io.TextIOWrapper(raw, encoding=codec, newline="\n") as fh:  # UTF-16, UTF-32
        line_no = 0
        try:
            for line_no, line in enumerate(fh, start=1):  # noqa: B007 (used below)
                yield line_no, line.removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise _FileError(
                f"cannot decode as {_shown(codec)} after line {line_no}; the rest was skipped. "
                "Pass encoding= (CLI: --encoding) with the input's encoding",
                line_no + 1,
            ) from exc


def _broken_stream(
    src: Source, lines: Iterator[tuple[int, str | None]]
) -> Iterator[tuple[int, str | None]]:
    """Pass ``lines`` on; a read that fails part-way ends them with a :class:`_FileError`.

    The complete lines before the failure are kept; the error names the first line that
    could not be read (a truncated gzip file loses its last, partial line and nothing else).
    """
    last = 0
    try:
        for last, line in lines:  # noqa: B007 (used after the loop)
            yield last, line
    except (OSError, EOFError, zlib.error) as exc:
        raise _FileError(_cut_reason(src, exc, last), last + 1) from exc


def _cut_reason(src: Source, exc: BaseException, last: int, unit: str = "line") -> str:
    """Why a file stops part-way, and where (``last``: the last line or row read, or 0)."""
    kind = "gzip file" if src.gzip else "file"
    where = f"after the {unit} on line {last}" if unit == "row" else f"after line {last}"
    return (
        f"cannot read {kind} ({type(exc).__name__}: {exc}); the data ends "
        f"{where if last else 'before its first ' + unit}: the {unit}s before were read, the "
        "rest is missing"
    )


def _read_jsonl(src: Source, columns: ColumnMap, codec: str) -> Iterator[Record]:
    with _open_binary(src) as raw:
        for line_no, line in _broken_stream(src, _jsonl_lines(src, raw, codec)):
            if line is None:
                yield error_record(
                    src.path,
                    line_no,
                    None,
                    f"cannot decode as {_shown(codec)}; pass encoding= (CLI: --encoding) "
                    "with the input's encoding",
                )
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON ({exc.msg.removesuffix(' at')}, column {exc.colno})"
                yield error_record(src.path, line_no, None, reason)
                continue
            if not isinstance(obj, dict):
                yield error_record(
                    src.path,
                    line_no,
                    None,
                    f"expected a JSON object per line, got {type(obj).__name__}",
                )
                continue
            # lone surrogates ("\ud83d" escaped without its pair) become U+FFFD; a line
            # without a \uD800-\uDFFF escape or a surrogate of its own has none to replace
            if "\\ud" in line or "\\uD" in line or _SURROGATE.search(line):
                obj = {_valid_unicode(k): _valid_unicode(v) for k, v in obj.items()}
            yield _from_fields(obj, columns, src, line_no)


class _Lines:
    """The lines handed to a ``csv.reader``: counted, and those of the current row kept."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.rest = lines  # the lines not handed out yet
        self.count = 0  # lines handed out so far
        self.row: list[str] = []  # the lines of the row being read
        self.exhausted = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = next(self.rest)
        except StopIteration:
            self.exhausted = True
            raise
        self.count += 1
        self.row.append(line)
        return line


def _csv_rows(
    fh: Iterator[str], delimiter: str
) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
    """``(first line, last line, fields, None)`` per row; ``(line, line, None, reason)`` if bad.

    A stray quote opens a quoted field that swallows the lines after it, until the end of the
    file or until it pairs with the opening quote of a later field (then text follows the
    "closing" quote, which a strict reader reports). Either way the row spans several lines:
    it is reported, and the lines after its first line are parsed again as rows of their own,
    so one stray quote costs one row. A quote error within one line (``"a"b``) is read
    leniently, as the csv module does by default (``a"b`` → ``ab``).
    """
    offset = 0  # lines before the current reader's input
    source: Iterator[str] = iter(fh)
    while True:
        lines = _Lines(source)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        while True:
            lines.row = []
            start = offset + lines.count + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = offset + lines.count
                if lines.exhausted and lines.row:  # the input ended inside a quoted field
                    reason = (
                        "unterminated quote: a quoted field opened on this line never closes, "
                        f"so lines {start}-{end} were read as one row"
                    )
                elif "expected after" in str(exc) and len(lines.row) > 1:
                    reason = (
                        "unbalanced quote: a quoted field opened on this line only closes on "
                        f"line {end}, followed by more text (a stray or undoubled quote)"
                    )
                elif "expected after" in str(exc) and lines.row:
                    # one line: read it leniently, as before (the rest of the file is fine)
                    yield start, start, next(csv.reader(lines.row, delimiter=delimiter)), None
                    continue
                else:
                    yield start, offset + lines.count, None, f"malformed CSV row ({exc})"
                    continue
                yield (
                    start,
                    start,
                    None,
                    f"{reason}; this row was skipped and the lines after it read again. "
                    'Close the quote (a " inside a quoted field is written "")',
                )
                offset = start
                source = itertools.chain(lines.row[1:], lines.rest)
                break
            yield start, offset + lines.count, row, None


def _read_csv(src: Source, columns: ColumnMap, codec: str) -> Iterator[Record]:
    # articles easily exceed the csv module's default 128 kB field limit
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    delimiter = "\t" if src.format == "tsv" else ","
    # Undecodable bytes are decoded as escapes (U+DC80..U+DCFF, which strict decoding never
    # produces) so that a row in another encoding costs that row, not the whole file.
    with _open_binary(src) as raw, _io.TextIOWrapper(
        raw, encoding=codec, errors="surrogateescape", newline=""
    ) as fh:
        rows = _csv_rows(fh, delimiter)
        last = end = 0  # first and last line of the last row read
        try:
            try:
                last, end, header, problem = next(rows)
            except StopIteration:
                return
            if header is None:
                raise _FileError(f"malformed CSV header ({problem})", 1)
            bad = _undecodable(header, codec)
            if bad:
                raise _FileError(f"cannot decode the header {bad}", 1)
            names = [h.strip() for h in header]
            width = len(names)
            for last, end, row, problem in rows:  # noqa: B007 (end: read by the except)
                if row is None:
                    yield error_record(src.path, last, None, problem or "malformed CSV row")
                    continue
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                bad = _undecodable(row, codec, names)
                if bad:
                    yield error_record(src.path, last, None, f"cannot decode {bad}")
                    continue
                if len(row) > width:
                    yield error_record(
                        src.path,
                        last,
                        None,
                        f"row has {len(row)} fields, the header has {width} "
                        "(an unquoted delimiter in the text?)",
                    )
                    continue
                fields: dict[str, Any] = dict(zip(names, row, strict=False))
                for name in names[len(row) :]:
                    fields[name] = None  # short row: the missing fields are null
                yield _from_fields(fields, columns, src, last)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            # UnicodeDecodeError: UTF-16/32 decoders do not support surrogateescape, so an
            # undecodable unit there ends the file (the rows before it are kept)
            raise _FileError(_cut_reason(src, exc, last, "row"), end + 1) from exc


_ESCAPED = re.compile("[\udc80-\udcff]")


def _undecodable(fields: list[str], codec: str, names: list[str] | None = None) -> str | None:
    """Why a CSV row read with ``surrogateescape`` did not decode, or None if it did."""
    for i, value in enumerate(fields):
        m = _ESCAPED.search(value)
        if m:
            where = f" in field {names[i]!r}" if names and i < len(names) else ""
            return (
                f"as {_shown(codec)} (byte 0x{ord(m.group()) - 0xDC00:02x}{where}); pass "
                "encoding= (CLI: --encoding) with the file's encoding, e.g. 'latin-1'"
            )
    return None


def _read_parquet(src: Source, columns: ColumnMap) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _FileError(f"not a readable parquet file ({type(exc).__name__}: {exc})") from exc
    present = [
        c for c in dict.fromkeys([*columns.fields(), *columns.keep]) if c in pf.schema_arrow.names
    ]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=_PARQUET_BATCH, columns=present):
            for fields in batch.to_pylist():
                row += 1
                if columns.text_col not in fields:
                    fields[columns.text_col] = None
                yield _from_fields(fields, columns, src, row)
    except OSError as exc:
        raise _FileError(f"parquet file is corrupt after row {row} ({exc})", row + 1) from exc


def _read_file_document(
    src: Source, columns: ColumnMap, codec: str, defer_html: bool
) -> Record:
    """One .txt or .html file → one document; its id is the path below the directory."""
    with _open_binary(src) as fh:
        data = fh.read()
    text = data.decode(codec)  # checked by _check_decodable
    doc: dict[str, Any] = {
        "doc_id": src.relative,
        "outlet": src.outlet,
        "title": None,
        "text": text,
        "published": None,
        "url": None,
        "source": src.path,
        "line": 1,
    }
    if columns.keep:  # a text or HTML file has no columns: its kept values are null
        doc["kept"] = dict.fromkeys(columns.keep)
    if src.format == "html":
        if not text.strip():
            return error_record(src.path, 1, doc["doc_id"], "empty text")
        doc["html"] = True
        return doc if defer_html else finish_record(doc)  # type: ignore[return-value]
    return _document(doc)
