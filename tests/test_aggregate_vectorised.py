"""The vectorised paths of ``aggregate`` against the cell-by-cell rules they replace.

``kind_mask`` takes a numpy path when every cell is a list (tuple, array) of kinds and
``_source_keys`` only looks at the rows with a source; both must give exactly what the
per-cell definitions below give, errors included, on random tables.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from biaskit import aggregate
from biaskit.errors import InputError
from biaskit.schema import ATTRIBUTION_KINDS, FRAMING_KINDS


def reference_kind_mask(values: Any, kinds: tuple[str, ...], column: str) -> np.ndarray:
    """The per-cell definition (``kind_mask`` as it was before the numpy path)."""
    bits = {kind: 1 << i for i, kind in enumerate(kinds)}
    out = []
    for row, cell in enumerate(values):
        if isinstance(cell, str):
            items: Any = (cell,) if cell else ()
        elif isinstance(cell, (list, tuple, np.ndarray, set, frozenset)):
            items = cell
        elif cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
            items = ()
        else:
            raise InputError(f"column {column!r}, row {row}: expected a list of kinds")
        mask = 0
        for item in items:
            if item is None or item == "":
                continue
            if item not in bits:
                raise InputError(f"column {column!r}, row {row}: unknown kind {item!r}")
            mask |= bits[item]
        out.append(mask)
    return np.asarray(out, dtype=np.int64)


def reference_source_keys(entity: list[Any], span: list[Any]) -> list[Any]:
    out = []
    for e, s in zip(entity, span, strict=True):
        value = e if isinstance(e, str) and e.strip() else s
        out.append(value.strip().casefold() if isinstance(value, str) and value.strip() else None)
    return out


def _cell(rng: random.Random, kinds: tuple[str, ...], odd: bool) -> Any:
    r = rng.random()
    if odd:
        if r < 0.05:
            return None
        if r < 0.08:
            return float("nan")
        if r < 0.10:
            return rng.choice([*kinds, ""])
        if r < 0.13:
            return tuple(rng.sample(kinds, 2))
        if r < 0.16:
            return np.array(rng.sample(kinds, 1), dtype=object)
        if r < 0.17:
            return [None, "", kinds[0], kinds[0]]  # blanks skipped, a repeat counted once
        if r < 0.175:
            return ["not-a-kind"]
        if r < 0.177:
            return 3
    return rng.sample(kinds, rng.randint(0, min(3, len(kinds))))


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        return ("InputError", str(exc).split(":")[0])  # the column and row


@pytest.mark.parametrize("odd", [False, True])
@pytest.mark.parametrize("kinds", [ATTRIBUTION_KINDS, FRAMING_KINDS])
def test_kind_mask_equals_the_per_cell_rule(kinds, odd):
    rng = random.Random(len(kinds) * 2 + odd)  # seeded: the same tables every run
    for _ in range(300):
        cells = [_cell(rng, kinds, odd) for _ in range(rng.randint(0, 40))]
        for values in (cells, pd.Series(cells, dtype=object), iter(cells)):
            got = _outcome(aggregate.kind_mask, values, kinds, column="k")
            want = _outcome(reference_kind_mask, cells, kinds, "k")
            if isinstance(want, tuple):
                assert got == want
            else:
                assert got.dtype == np.int64
                np.testing.assert_array_equal(got, want)


def test_source_keys_equal_the_per_row_rule():
    rng = random.Random(3)
    choices = [None, float("nan"), pd.NA, "", "  ", " Reuters", "reuters ", "Jane Roe", 5]
    for _ in range(200):
        n = rng.randint(0, 30)
        entity = [rng.choice(choices) for _ in range(n)]
        span = [rng.choice(choices) for _ in range(n)]
        frame = pd.DataFrame({"source_entity": entity, "source": span}, dtype=object)
        frame.index = frame.index * 3 + 1  # the keys keep the table's index
        got = aggregate._source_keys(frame)
        assert list(got.index) == list(frame.index)
        assert got.tolist() == reference_source_keys(entity, span)


def test_articles_of_list_and_array_cells_agree():
    """Lists (from analyze) and numpy arrays (read back from parquet) count the same."""
    rng = random.Random(5)
    n = 200
    table = pd.DataFrame(
        {
            "doc_id": [f"d{rng.randint(0, 20)}" for _ in range(n)],
            "claim": [rng.random() < 0.5 for _ in range(n)],
            "attribution": [rng.random() < 0.5 for _ in range(n)],
            "framing": [rng.random() < 0.5 for _ in range(n)],
            "attribution_kind": [_cell(rng, ATTRIBUTION_KINDS, False) for _ in range(n)],
            "framing_kind": [_cell(rng, FRAMING_KINDS, False) for _ in range(n)],
            "quoted_framing": [rng.random() < 0.5 for _ in range(n)],
            "source": [rng.choice([None, "the mayor", "Reuters"]) for _ in range(n)],
            "source_type": [rng.choice([None, "person", "anonymous"]) for _ in range(n)],
            "source_entity": [rng.choice([None, "Jane Roe", " reuters"]) for _ in range(n)],
        }
    )
    table.insert(1, "outlet", table["doc_id"].map(lambda d: f"o{int(d[1:]) % 3}"))
    arrays = table.assign(
        attribution_kind=[np.array(c, dtype=object) for c in table["attribution_kind"]],
        framing_kind=[np.array(c, dtype=object) for c in table["framing_kind"]],
    )
    pd.testing.assert_frame_equal(aggregate.articles(table), aggregate.articles(arrays))
