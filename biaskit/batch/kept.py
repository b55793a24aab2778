"""Kept input columns (``ScoreOptions.keep``) on the tables of one part, with stable types.

The readers give each document its kept values (``DocumentRecord["kept"]``, see
:func:`biaskit.io.kept_value`): text, numbers, booleans or null. A part's column takes one
Arrow type: the values' own type when they share one (integers and floats together are
floats), text when they mix text, numbers and booleans. Parts are typed independently, so
two parts may still differ (integers here, text there; null everywhere in one): the final
file then takes the type every part converts to (:func:`unified_kept_types`), and a number
or boolean stored as text is written as Arrow casts it, the same text in either case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from biaskit import io as bio

__all__ = ["kept_names", "with_kept", "unified_kept_types"]


def kept_names(docs: Iterable[bio.DocumentRecord]) -> list[str]:
    """The kept column names the documents carry (all documents of a run carry the same)."""
    for doc in docs:
        return list(doc.get("kept", ()))
    return []


def with_kept(
    table: pd.DataFrame, docs: Sequence[bio.DocumentRecord], names: Sequence[str]
) -> pd.DataFrame:
    """``table`` (with a ``doc_id`` column) plus the kept columns ``names`` of its documents.

    Parameters
    ----------
    table : pandas.DataFrame
        A sentence or article table of one part.
    docs : sequence of DocumentRecord
        The part's documents (each with ``kept``).
    names : sequence of str
        The kept columns, in order; they go after the table's own columns.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with one object column per name (see :func:`_column`).

    Examples
    --------
    >>> t = pd.DataFrame({"doc_id": ["a", "a", "b"]})
    >>> docs = [{"doc_id": "a", "kept": {"n": 1}}, {"doc_id": "b", "kept": {"n": "x"}}]
    >>> with_kept(t, docs, ["n"])["n"].tolist()
    ['1', '1', 'x']

    """
    if not names:
        return table
    by_id = {d["doc_id"]: d.get("kept", {}) for d in docs}
    rows = [by_id.get(i, {}) for i in table["doc_id"].tolist()]
    out = table.copy(deep=False)
    for name in names:
        out[name] = _column([r.get(name) for r in rows], out.index)
    return out


def _column(values: list[Any], index: pd.Index) -> pd.Series:
    """Values of one kept column as an object Series Arrow converts to one type.

    Object dtype, so that integers with nulls stay integers (a numeric Series would turn
    them into floats and Arrow would type the column ``double`` in this part only).
    """
    kinds = {type(v) for v in values if v is not None}
    if kinds == {int, float}:
        values = [float(v) if isinstance(v, int) else v for v in values]
    elif len(kinds) > 1:
        values = _as_text(values)
    return pd.Series(values, index=index, dtype=object)


def _as_text(values: list[Any]) -> list[str | None]:
    """Mixed values as text: numbers and booleans as Arrow casts them to string.

    The cast is the one the final file applies when one part stores a column as numbers
    and another as text, so a value reads the same whichever part it fell into.
    """
    import pyarrow as pa

    out: list[str | None] = list(values)
    groups: dict[type, list[int]] = {}
    for i, v in enumerate(values):
        if v is not None and not isinstance(v, str):
            groups.setdefault(type(v), []).append(i)
    for _, where in groups.items():
        cast = pa.array([values[i] for i in where]).cast(pa.string()).to_pylist()
        for i, text in zip(where, cast, strict=True):
            out[i] = text
    return out


def unified_kept_types(schemas: Sequence[Any], names: Sequence[str]) -> dict[str, Any]:
    """Kept columns whose types differ between parts beyond promotion → ``string``.

    Parameters
    ----------
    schemas : sequence of pyarrow.Schema
        The parts' schemas.
    names : sequence of str
        The kept columns.

    Returns
    -------
    dict of str to pyarrow.DataType
        Only the columns that need it: those whose part types Arrow cannot promote to one
        (integers in one part and text in another, booleans and numbers). Null and
        integer-to-float promotions are left to ``pyarrow.unify_schemas``.

    """
    import pyarrow as pa

    out: dict[str, Any] = {}
    for name in names:
        fields = [s.field(name) for s in schemas if name in s.names]
        try:
            pa.unify_schemas([pa.schema([f]) for f in fields], promote_options="permissive")
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            out[name] = pa.string()
    return out
