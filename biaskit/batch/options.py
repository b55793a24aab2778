"""Options and result of :func:`~biaskit.batch.score`: ScoreOptions and ScoreResult."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from biaskit import io as bio
from biaskit.errors import InputError

Engine = Literal["local", "dask"]
OutputFormat = Literal["parquet", "csv"]
#: A scoring function: documents table (``schema.DOCUMENT_COLUMNS``) → tagged sentence table.
Scorer = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class ScoreOptions:
    """Options of :func:`score` (the CLI flags ``biaskit score --NAME`` carry the same names).

    Parameters
    ----------
    id_col, text_col, outlet_col, title_col, date_col, url_col : str
        Input fields (JSONL keys, CSV/parquet columns) of each document field. A missing id
        becomes ``FILE:LINE``; for text/HTML files it is the path below the given directory and
        the outlet is the first sub-directory.
    keep : tuple of str
        Further input columns copied onto the output tables, e.g. ``("topic", "section")``:
        onto every sentence row (after the schema columns, as ``analyze(keep=...)`` does)
        and every article row, so that ``compare(..., strata="topic")`` works on the
        scores. A CSV/TSV/parquet input must have each column; a JSONL line without the key,
        and a text or HTML file, gets null. Strings, numbers and booleans are stored as
        they are, lists and mappings as their JSON text (:func:`biaskit.io.kept_value`); a
        column whose values mix text with numbers or booleans is stored as text. The
        columns of the output tables themselves (``text``, ``title``, ...) cannot be kept.
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

    # the reader's defaults (io.ColumnMap), stated once
    id_col: str = bio.ColumnMap.id_col
    text_col: str = bio.ColumnMap.text_col
    outlet_col: str = bio.ColumnMap.outlet_col
    title_col: str = bio.ColumnMap.title_col
    date_col: str = bio.ColumnMap.date_col
    url_col: str = bio.ColumnMap.url_col
    keep: tuple[str, ...] = ()
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
        object.__setattr__(self, "keep", _keep_names(self.keep))
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
            keep=self.keep,
        )

    @property
    def n_jobs(self) -> int:
        """Number of workers: ``jobs``, or every core this process may use."""
        if self.jobs is not None:
            return self.jobs
        if hasattr(os, "sched_getaffinity"):
            return max(1, len(os.sched_getaffinity(0)))
        return os.cpu_count() or 1


def _keep_names(keep: object) -> tuple[str, ...]:
    """``keep`` as a tuple of column names; InputError for a name the output cannot take."""
    # one name given alone is one column (a str would otherwise be read letter by letter)
    names = (keep,) if isinstance(keep, str) else keep
    try:
        names = tuple(names)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(f"keep must be a sequence of column names, got {keep!r}") from None
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise InputError(f"keep: column names must be non-empty strings, got {bad[0]!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"keep: {', '.join(map(repr, twice))} named more than once")
    taken = [n for n in names if n in _output_columns()]
    if taken:
        raise InputError(
            f"keep: {', '.join(map(repr, taken))} "
            f"{'is a column' if len(taken) == 1 else 'are columns'} of the output tables "
            "already; keep other columns (map an input column onto a document field with "
            "id_col=, title_col=, ... instead)"
        )
    return names


def _output_columns() -> frozenset[str]:
    """Column names of the sentence and article tables of a run (a kept column may not clash)."""
    # imported here: engines imports this module
    from biaskit.batch.engines import _ARTICLE_EXTRA
    from biaskit.schema import ARTICLE_COLUMNS, SENTENCE_COLUMNS

    # analyze adds kind_proba and attributions, and keeps published
    return frozenset(
        {*SENTENCE_COLUMNS, *ARTICLE_COLUMNS, *_ARTICLE_EXTRA, "kind_proba", "attributions"}
    )


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
