"""Tagged sentence table → article table (one row per document).

The article table is the unit of every outlet statistic: sentences within an
article are correlated (one writer, one story), so :mod:`biaskit.comparison`
resamples articles, never sentences. Each row holds *counts* (not rates), so
that an outlet's rate is a ratio of sums over its articles — a ratio
estimator that weights long articles by their length.

Promo sentences (``"promo"`` in ``framing_kind``: "READ MORE:", "Share this
story") are boilerplate, not reporting: they are counted in ``n_promo`` and
left out of every other count, so they never dilute a rate.

The columns are defined in :data:`biaskit.schema.ARTICLE_COLUMNS`.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biaskit.errors import InputError
from biaskit.schema import (
    ARTICLE_COLUMNS,
    ATTRIBUTION_KINDS,
    FRAMING_KINDS,
    SENTENCE_COLUMNS,
    check_columns,
)

logger = logging.getLogger(__name__)

__all__ = ["REQUIRED_SENTENCE_COLUMNS", "articles", "is_article_table", "kind_mask"]

#: Sentence-table columns :func:`articles` reads.
REQUIRED_SENTENCE_COLUMNS: tuple[str, ...] = (
    "doc_id",
    "outlet",
    "claim",
    "attribution",
    "framing",
    "attribution_kind",
    "framing_kind",
    "quoted_framing",
    "source",
    "source_type",
    "source_entity",
)

#: source_type values that count as a named source.
NAMED_SOURCE_TYPES: tuple[str, ...] = ("person", "organisation")

_WRITER_FRAMING_KINDS = tuple(k for k in FRAMING_KINDS if k != "promo")


def _is_missing(value: Any) -> bool:
    """Return True for None, NaN and pd.NA (scalars only)."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def kind_mask(values: Iterable[Any], kinds: Sequence[str], *, column: str) -> np.ndarray:
    """Encode list-valued kind cells as integer bit masks.

    Bit ``i`` of the result is set when ``kinds[i]`` is listed in the cell.
    Cells may be lists, tuples, numpy arrays (after a parquet round trip), a
    single string, or missing (no kinds).

    Parameters
    ----------
    values : iterable
        The column's cells.
    kinds : sequence of str
        The allowed kinds, in bit order.
    column : str
        Column name, used in error messages.

    Returns
    -------
    numpy.ndarray
        One ``int64`` mask per cell.

    Raises
    ------
    InputError
        If a cell lists a kind that is not in ``kinds``.

    Examples
    --------
    >>> kind_mask([["hedged"], None, ("direct_quote", "anonymous")],
    ...           ["direct_quote", "hedged", "anonymous"], column="attribution_kind").tolist()
    [2, 0, 5]

    """
    cells = values.tolist() if isinstance(values, (pd.Series, np.ndarray)) else list(values)
    fast = _kind_mask_lists(cells, kinds)
    if fast is not None:
        return fast
    # cells of other shapes, or an unknown kind (raised with its row): one cell at a time
    bits = {kind: 1 << i for i, kind in enumerate(kinds)}
    out: list[int] = []
    for row, cell in enumerate(cells):
        if isinstance(cell, str):
            items: Iterable[Any] = (cell,) if cell else ()
        elif isinstance(cell, (list, tuple, np.ndarray, set, frozenset)):
            items = cell
        elif _is_missing(cell):
            items = ()
        else:
            raise InputError(
                f"column {column!r}, row {row}: expected a list of kinds, "
                f"got {type(cell).__name__} {cell!r}"
            )
        mask = 0
        for item in items:
            if item is None or item == "":
                continue
            bit = bits.get(item)
            if bit is None:
                raise InputError(
                    f"column {column!r}, row {row}: unknown kind {item!r}; "
                    f"expected one of {', '.join(kinds)}"
                )
            mask |= bit
        out.append(mask)
    return np.asarray(out, dtype=np.int64)


#: cell types :func:`_kind_mask_lists` takes (numpy arrays: lists read back from parquet)
_LIST_TYPES = (list, tuple, np.ndarray)


def _kind_mask_lists(cells: list[Any], kinds: Sequence[str]) -> np.ndarray | None:
    """:func:`kind_mask` of cells that are all lists of known kinds (or None/""), vectorised.

    None when a cell is not a list or an item is not a known kind: the caller then goes
    cell by cell (and raises the error of the first bad row).
    """
    if not all(type(cell) in _LIST_TYPES for cell in cells):
        return None
    n = len(cells)
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=n)
    if not lengths.any():
        return np.zeros(n, dtype=np.int64)
    items = list(itertools.chain.from_iterable(cells))
    try:
        codes = pd.Index(list(kinds)).get_indexer(pd.Index(items, dtype=object))
    except (TypeError, ValueError):  # unhashable or odd items
        return None
    unknown = codes < 0
    if unknown.any() and any(
        items[i] is not None and items[i] != "" for i in np.flatnonzero(unknown)
    ):
        return None  # not a kind (None and "" stand for no kind)
    rows = np.repeat(np.arange(n), lengths)
    known = ~unknown
    # a kind listed twice in a cell sets its bit once
    hit = np.zeros((n, len(kinds)), dtype=bool)
    hit[rows[known], codes[known]] = True
    return hit.astype(np.int64) @ (np.int64(1) << np.arange(len(kinds), dtype=np.int64))


def _as_bool(series: pd.Series, column: str) -> np.ndarray:
    """Boolean column → numpy bool array; missing values count as False."""
    if series.dtype == bool:
        return series.to_numpy()
    try:
        return series.astype("boolean").fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"column {column!r}: expected booleans (True/False), got dtype {series.dtype}"
        ) from exc


def _source_keys(sentences: pd.DataFrame) -> pd.Series:
    """Per-sentence source identity: source_entity, else the source span.

    Trimmed and casefolded so that "Reuters" and "reuters " count once.
    """
    entity = sentences["source_entity"].astype(object).to_numpy()
    span = sentences["source"].astype(object).to_numpy()
    keys = np.full(len(sentences), None, dtype=object)
    # most sentences have no source: only the rows with one are looked at
    for i in np.flatnonzero(pd.notna(entity) | pd.notna(span)).tolist():
        value = entity[i]
        if not (isinstance(value, str) and value.strip()):
            value = span[i]
        if isinstance(value, str) and value.strip():
            keys[i] = value.strip().casefold()
    return pd.Series(keys, index=sentences.index, dtype=object)


def _distinct(codes: np.ndarray, keys: np.ndarray, select: np.ndarray, n_docs: int) -> np.ndarray:
    """Number of distinct keys per document among selected rows.

    ``keys`` are integer codes of the source keys (-1: no source), so that a (document,
    key) pair is one integer and the distinct pairs one ``np.unique``.
    """
    use = select & (keys >= 0)
    if not use.any():
        return np.zeros(n_docs, dtype=np.int64)
    width = np.int64(keys.max()) + 1
    pairs = np.unique(codes[use].astype(np.int64) * width + keys[use])
    return np.bincount(pairs // width, minlength=n_docs).astype(np.int64)


def _default_passthrough(sentences: pd.DataFrame) -> list[str]:
    """Extra per-document columns worth carrying to the article table.

    Every column outside the sentence contract, except per-sentence gold
    labels (``gold_*``) and list/dict-valued columns.
    """
    known = set(SENTENCE_COLUMNS) | set(ARTICLE_COLUMNS)
    chosen = []
    for col in sentences.columns:
        if col in known or str(col).startswith("gold_"):
            continue
        sample = sentences[col].dropna()
        if len(sample) and isinstance(sample.iloc[0], (list, tuple, dict, np.ndarray)):
            continue
        chosen.append(col)
    return chosen


def is_article_table(table: pd.DataFrame) -> bool:
    """Return True if ``table`` looks like an article table rather than sentences.

    Parameters
    ----------
    table : pandas.DataFrame
        A sentence table or an article table.

    Returns
    -------
    bool
        True when every article column is present and there is no ``sent_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> is_article_table(pd.DataFrame(columns=["doc_id", "sent_id"]))
    False

    """
    return "sent_id" not in table.columns and all(c in table.columns for c in ARTICLE_COLUMNS)


def articles(sentences: pd.DataFrame, *, passthrough: Sequence[str] | None = None) -> pd.DataFrame:
    """Aggregate a tagged sentence table into an article table.

    Parameters
    ----------
    sentences : pandas.DataFrame
        Tagged sentence table (:data:`biaskit.schema.SENTENCE_COLUMNS`; at least
        :data:`REQUIRED_SENTENCE_COLUMNS`). List-valued columns may be lists
        or numpy arrays. Not modified.
    passthrough : sequence of str, optional
        Per-document columns to copy onto the article rows (value of the
        document's first sentence, by ``sent_id`` when present). Default:
        every column outside the sentence contract that is not list-valued
        and not a ``gold_*`` label — e.g. ``topic``, ``published``, a strata
        column.

    Returns
    -------
    pandas.DataFrame
        One row per ``doc_id``, in order of first appearance, with the
        columns of :data:`biaskit.schema.ARTICLE_COLUMNS` followed by the
        passthrough columns. Counts are ``int64``.

    Raises
    ------
    SchemaError
        If a required column is missing.
    InputError
        If a ``doc_id`` is missing, a ``(doc_id, sent_id)`` occurs twice, an
        ``outlet`` is missing, blank or not a scalar, a document has sentences
        from two outlets, or a kind column lists an unknown kind.

    Notes
    -----
    Promo sentences count only in ``n_promo``. Attribution and framing kinds
    are counted wherever the tagger lists them. ``n_sources`` counts distinct
    ``source_entity`` values (falling back to the ``source`` span when the
    entity is missing), trimmed and casefolded; ``n_named_sources`` keeps
    those with ``source_type`` person or organisation, ``n_anonymous_sources``
    those with ``source_type`` anonymous.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({
    ...     "doc_id": ["d1", "d1"], "outlet": ["A", "A"], "sent_id": [0, 1],
    ...     "claim": [True, True], "attribution": [True, False], "framing": [False, True],
    ...     "attribution_kind": [["reported_speech"], []], "framing_kind": [[], ["opinion"]],
    ...     "quoted_framing": [False, False], "source": ["the mayor", None],
    ...     "source_type": ["role", None], "source_entity": ["Jane Roe", None]})
    >>> row = articles(s).iloc[0]
    >>> int(row.n_claims), int(row.n_attributed_claims), int(row.n_opinion), int(row.n_sources)
    (2, 1, 1, 1)

    """
    check_columns(sentences, REQUIRED_SENTENCE_COLUMNS, table="sentence table")
    if passthrough is None:
        passthrough = _default_passthrough(sentences)
    else:
        passthrough = list(passthrough)
        check_columns(sentences, passthrough, table="sentence table (passthrough columns)")

    frame = sentences
    codes, doc_ids = pd.factorize(frame["doc_id"], sort=False)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise InputError(f"sentence table: doc_id is missing in row {frame.index[row]!r}")
    n_docs = len(doc_ids)
    if n_docs == 0:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=object if c in ("doc_id", "outlet") else "int64")
                for c in (*ARTICLE_COLUMNS, *passthrough)
            }
        )

    if "sent_id" in frame.columns:
        # a sentence listed twice (the same scores read twice) would be counted
        # twice and narrow every interval; refuse instead of guessing
        keys = pd.DataFrame({"doc": codes, "sent": frame["sent_id"].to_numpy()})
        try:
            dup = keys.duplicated(keep=False).to_numpy()
        except TypeError as exc:
            raise InputError("sentence table: column 'sent_id' must hold scalars "
                             "(int), not lists or dicts") from exc
        if dup.any():
            row = int(np.flatnonzero(dup)[0])
            sent = frame["sent_id"].iloc[row]
            sent = sent.item() if isinstance(sent, np.generic) else sent
            n_keys = int(keys[dup].drop_duplicates().shape[0])
            raise InputError(
                f"sentence table: (doc_id, sent_id) ({doc_ids[codes[row]]!r}, "
                f"{sent!r}) occurs more than once ({n_keys} "
                f"duplicated key(s) in {int(dup.sum())} rows); each sentence must be "
                "listed once (was the same data read twice?)"
            )

    try:
        outlet_codes, outlets = pd.factorize(frame["outlet"], sort=False)
    except TypeError as exc:
        raise InputError(
            "sentence table: column 'outlet' must hold scalars (str, number), "
            "not lists or dicts"
        ) from exc
    # a blank outlet name is no outlet: treated as missing, like NaN (checked
    # on the distinct names, not per sentence)
    blank = [i for i, v in enumerate(outlets) if isinstance(v, str) and not v.strip()]
    if blank:
        outlet_codes = np.where(np.isin(outlet_codes, blank), -1, outlet_codes)
    if (outlet_codes < 0).any():
        row = int(np.flatnonzero(outlet_codes < 0)[0])
        raise InputError(
            f"sentence table: outlet is missing or blank in row {frame.index[row]!r} "
            f"(doc_id {frame['doc_id'].iloc[row]!r})"
        )
    # first row of each document, in table order (np.unique returns first occurrences)
    _, first_row = np.unique(codes, return_index=True)
    doc_outlet = outlet_codes[first_row]
    clash = doc_outlet[codes] != outlet_codes
    if clash.any():
        row = int(np.flatnonzero(clash)[0])
        raise InputError(
            f"sentence table: document {doc_ids[codes[row]]!r} has sentences from outlets "
            f"{outlets[doc_outlet[codes[row]]]!r} and {outlets[outlet_codes[row]]!r}; "
            "doc_id must be unique across outlets"
        )

    att = kind_mask(frame["attribution_kind"], ATTRIBUTION_KINDS, column="attribution_kind")
    fra = kind_mask(frame["framing_kind"], FRAMING_KINDS, column="framing_kind")
    promo = (fra & (1 << FRAMING_KINDS.index("promo"))) != 0
    keep = ~promo
    claim = _as_bool(frame["claim"], "claim")
    attribution = _as_bool(frame["attribution"], "attribution")
    framing = _as_bool(frame["framing"], "framing")
    quoted = _as_bool(frame["quoted_framing"], "quoted_framing")

    inconsistent = int(((att != 0) & ~attribution & keep).sum())
    if inconsistent:
        logger.warning(
            "%d sentence(s) list attribution kinds but are not tagged attribution; "
            "kind counts include them",
            inconsistent,
        )

    def count(select: np.ndarray) -> np.ndarray:
        return np.bincount(codes[select & keep], minlength=n_docs).astype(np.int64)

    out: dict[str, Any] = {
        "doc_id": np.asarray(doc_ids, dtype=object),
        "outlet": np.asarray(outlets, dtype=object)[doc_outlet],
        "n_sentences": count(np.ones(len(frame), dtype=bool)),
        "n_promo": np.bincount(codes[promo], minlength=n_docs).astype(np.int64),
        "n_claims": count(claim),
        "n_attributed_claims": count(claim & attribution),
        "n_attributed": count(attribution),
    }
    for i, kind in enumerate(ATTRIBUTION_KINDS):
        out[f"n_{kind}"] = count((att & (1 << i)) != 0)
    out["n_writer_framing"] = count(framing)
    for kind in _WRITER_FRAMING_KINDS:
        out[f"n_{kind}"] = count((fra & (1 << FRAMING_KINDS.index(kind))) != 0)
    out["n_quoted_framing"] = count(quoted)

    keys, _ = pd.factorize(_source_keys(frame).to_numpy(), use_na_sentinel=True)
    source_type = frame["source_type"].astype(object).to_numpy()
    named = np.isin(source_type, NAMED_SOURCE_TYPES)
    anonymous = source_type == "anonymous"
    out["n_sources"] = _distinct(codes, keys, keep, n_docs)
    out["n_named_sources"] = _distinct(codes, keys, keep & named, n_docs)
    out["n_anonymous_sources"] = _distinct(codes, keys, keep & anonymous, n_docs)

    table = pd.DataFrame(out, columns=list(ARTICLE_COLUMNS))
    if passthrough:
        if "sent_id" in frame.columns:
            # the document's first sentence by sent_id, whatever the row order
            order = np.lexsort((frame["sent_id"].to_numpy(), codes))
            starts = np.r_[True, codes[order][1:] != codes[order][:-1]]
            first_row = order[starts]
        extra = frame[passthrough].iloc[first_row].reset_index(drop=True)
        table = pd.concat([table, extra], axis=1)
    logger.debug("aggregated %d sentences into %d articles", len(frame), n_docs)
    return table
