"""Plots of outlet comparisons (matplotlib).

Every function builds its own :class:`matplotlib.figure.Figure` on an Agg
canvas and returns it; nothing touches pyplot or the global backend, so the
functions work headless (CI, batch jobs) and inside notebooks alike (display
the returned figure, or ``fig.savefig(...)``). matplotlib is imported only
when a plot is made.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from biaskit.aggregate import articles as _articles
from biaskit.comparison import BUILTIN_METRICS, STANDARDIZED
from biaskit.errors import InputError
from biaskit.schema import ATTRIBUTION_KINDS, OUTLET_COLUMNS, check_columns

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

__all__ = [
    "attribution_bars",
    "forest_plot",
    "heatmap",
    "plot_top_terms",
    "top_terms",
]

#: Framing kinds counted as loaded or evaluative terms by :func:`top_terms`.
EVALUATIVE_KINDS: tuple[str, ...] = ("loaded_language", "opinion")


def _figure(width: float, height: float) -> Figure:
    """A new figure on an Agg canvas (no pyplot, no global backend change)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _standard_rows(outlet_table: pd.DataFrame) -> pd.DataFrame:
    check_columns(outlet_table, OUTLET_COLUMNS, table="outlet table")
    if "stratum" in outlet_table.columns:
        return outlet_table[outlet_table["stratum"] == STANDARDIZED]
    return outlet_table


def _metric_label(metric: str) -> str:
    known = BUILTIN_METRICS.get(metric)
    return f"{metric}: {known.description}" if known else metric


def forest_plot(outlet_table: pd.DataFrame, metric: str, *, title: str | None = None) -> Figure:
    """Forest plot of one metric: each outlet's estimate with its interval.

    Outlets are sorted by estimate. Rows with a warning (few articles,
    undefined rates) are drawn with hollow markers and a dagger.

    Parameters
    ----------
    outlet_table : pandas.DataFrame
        Output of :func:`biaskit.comparison.compare` (standardized rows are
        used when stratified).
    metric : str
        Metric to plot.
    title : str, optional
        Figure title (default: the metric and its description).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        If the table has no rows for ``metric``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"outlet": ["A", "B"], "metric": ["m", "m"], "estimate": [1.0, 2.0],
    ...                   "ci_low": [0.5, 1.5], "ci_high": [1.5, 2.5], "n_articles": [30, 40],
    ...                   "n_sentences": [300, 400], "warning": [None, None]})
    >>> forest_plot(t, "m").axes[0].get_xlabel()
    'm'

    """
    rows = _standard_rows(outlet_table)
    rows = rows[rows["metric"] == metric]
    if rows.empty:
        known = ", ".join(map(str, outlet_table["metric"].unique()[:20]))
        raise InputError(f"forest_plot: no rows for metric {metric!r}; metrics: {known}")
    rows = rows.sort_values("estimate", na_position="first", kind="stable")
    fig = _figure(7.0, 1.2 + 0.35 * len(rows))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    est = rows["estimate"].to_numpy(dtype=float)
    lo = rows["ci_low"].to_numpy(dtype=float)
    hi = rows["ci_high"].to_numpy(dtype=float)
    warn = (rows["warning"].notna().to_numpy() if "warning" in rows.columns
            else np.zeros(len(rows), dtype=bool))
    err = np.vstack([np.nan_to_num(est - lo), np.nan_to_num(hi - est)])
    ax.errorbar(est, y, xerr=err, fmt="none", ecolor="#555555", elinewidth=1.2, capsize=3)
    ax.scatter(est[~warn], y[~warn], color="#1f4e79", zorder=3, label="estimate")
    if warn.any():
        ax.scatter(est[warn], y[warn], facecolors="white", edgecolors="#b03a2e", zorder=3,
                   label="estimate (see warning)")
    labels = [f"{o} (n={n}){' †' if w else ''}"
              for o, n, w in zip(rows["outlet"], rows["n_articles"], warn, strict=True)]
    ax.set_yticks(y, labels)
    ax.set_xlabel(metric)
    # long descriptions ("… per 100 sentences") wrap instead of running off the figure
    ax.set_title(textwrap.fill(title or _metric_label(metric), 60), fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    if warn.any():
        ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def heatmap(
    outlet_table: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    standardize: bool = True,
) -> Figure:
    """Outlet × metric heatmap.

    With ``standardize`` (default) each metric's column is centred and scaled
    across outlets (z-scores), so colours compare outlets within a metric;
    cells are annotated with the estimate itself.

    Parameters
    ----------
    outlet_table : pandas.DataFrame
        Output of :func:`biaskit.comparison.compare`.
    metrics : sequence of str, optional
        Metrics (columns) to show, in order (default: all in the table).
    standardize : bool
        Colour by z-score within metric (True) or by raw estimate (False).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"outlet": ["A", "B"], "metric": ["m", "m"], "estimate": [1.0, 2.0],
    ...                   "ci_low": [0.5, 1.5], "ci_high": [1.5, 2.5], "n_articles": [30, 40],
    ...                   "n_sentences": [300, 400]})
    >>> len(heatmap(t).axes)
    2

    """
    rows = _standard_rows(outlet_table)
    wide = rows.pivot_table(index="outlet", columns="metric", values="estimate",
                            aggfunc="first", dropna=False, sort=False)
    order = list(metrics) if metrics is not None else list(dict.fromkeys(rows["metric"]))
    missing = [m for m in order if m not in wide.columns]
    if missing:
        raise InputError(f"heatmap: metric(s) {', '.join(missing)} not in the outlet table")
    wide = wide[order].sort_index(key=lambda s: s.map(str))
    values = wide.to_numpy(dtype=float)
    if standardize:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nanmean(values, axis=0) if values.size else values
            sd = np.nanstd(values, axis=0)
            colour = np.where(sd > 0, (values - mean) / np.where(sd > 0, sd, 1), 0.0)
        colour = np.where(np.isnan(values), np.nan, colour)
        bound = max(1.0, float(np.nanmax(np.abs(colour))) if np.isfinite(colour).any() else 1.0)
        vmin, vmax, cmap, label = -bound, bound, "RdBu_r", "z-score within metric"
    else:
        colour = values
        finite = colour[np.isfinite(colour)]
        vmin = float(finite.min()) if finite.size else 0.0
        vmax = float(finite.max()) if finite.size else 1.0
        cmap, label = "viridis", "estimate"
    from matplotlib import colormaps

    fig = _figure(2.0 + 0.75 * len(order), 1.6 + 0.4 * len(wide))
    ax = fig.add_subplot()
    masked = np.ma.masked_invalid(colour)
    image = ax.imshow(masked, cmap=colormaps[cmap].with_extremes(bad="#dddddd"),
                      vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(np.arange(len(order)), order, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(np.arange(len(wide)), [str(i) for i in wide.index], fontsize=8)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                # white text on the dark ends of the colour scale, black elsewhere
                dark = (abs(colour[i, j]) > 0.6 * vmax if standardize
                        else colour[i, j] < vmin + 0.4 * (vmax - vmin))
                ax.text(j, i, f"{values[i, j]:.3g}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    ax.set_title("Outlets by metric", fontsize=10, loc="left")
    return fig


def _kind_counts(table: pd.DataFrame, by: str) -> pd.DataFrame:
    kind_cols = [f"n_{k}" for k in ATTRIBUTION_KINDS]
    if all(c in table.columns for c in kind_cols) and "sent_id" not in table.columns:
        arts = table
    else:
        arts = _articles(table)
    check_columns(arts, [by, *kind_cols], table="article table")
    return arts.groupby(by, sort=True)[kind_cols].sum()


def attribution_bars(table: pd.DataFrame, *, by: str = "outlet") -> Figure:
    """Stacked bars: how each outlet attributes (mix of attribution kinds).

    Each bar is an outlet's attribution-kind labels as shares of all its
    attribution-kind labels (a sentence can carry several kinds), so bars sum
    to 1; the number of labels is printed at the bar's end.

    Parameters
    ----------
    table : pandas.DataFrame
        Tagged sentence table or article table.
    by : str
        Grouping column.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> arts = pd.DataFrame({"outlet": ["A", "B"], "n_direct_quote": [3, 1],
    ...     "n_reported_speech": [1, 1], "n_according_to": [0, 2], "n_hedged": [0, 1],
    ...     "n_anonymous": [1, 0]})
    >>> len(attribution_bars(arts).axes[0].patches)
    10

    """
    counts = _kind_counts(table, by)
    totals = counts.sum(axis=1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts.to_numpy(dtype=float) / np.where(totals > 0, totals, np.nan)[:, None]
    shares = np.nan_to_num(shares)
    fig = _figure(7.5, 1.4 + 0.4 * len(counts))
    ax = fig.add_subplot()
    y = np.arange(len(counts))
    left = np.zeros(len(counts))
    colours = ["#1f4e79", "#4f81bd", "#9bbb59", "#f39c12", "#b03a2e"]
    for j, kind in enumerate(ATTRIBUTION_KINDS):
        ax.barh(y, shares[:, j], left=left, color=colours[j % len(colours)],
                label=kind.replace("_", " "))
        left += shares[:, j]
    for yi, total in zip(y, totals, strict=True):
        ax.text(1.01, yi, f"{int(total)}", va="center", fontsize=7)
    ax.set_yticks(y, [str(i) for i in counts.index], fontsize=8)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("share of attribution-kind labels")
    ax.set_title("How outlets attribute", fontsize=10, loc="left")
    ax.legend(ncols=len(ATTRIBUTION_KINDS), fontsize=7, loc="upper center",
              bbox_to_anchor=(0.5, -0.25 if len(counts) > 3 else -0.45), frameon=False)
    return fig


def _writer_voice(sentences: pd.DataFrame) -> np.ndarray:
    """Sentences whose ``framing`` evidence is in the writer's voice.

    ``framing_voice`` "writer" or "both" (in a "both" sentence the quoted
    words carry the separate ``quoted_framing`` tag); without that column,
    sentences mostly outside quotation marks (``in_quote < 0.5``).
    """
    if "framing_voice" in sentences.columns:
        voice = sentences["framing_voice"].astype(object)
        return voice.isin(["writer", "both"]).to_numpy(dtype=bool)
    if "in_quote" in sentences.columns:
        return (sentences["in_quote"].astype("float64").fillna(0.0) < 0.5).to_numpy()
    return np.ones(len(sentences), dtype=bool)


def top_terms(
    sentences: pd.DataFrame,
    n: int = 10,
    *,
    by: str = "outlet",
    kinds: Sequence[str] = EVALUATIVE_KINDS,
) -> pd.DataFrame:
    """Most frequent loaded/evaluative terms per outlet, in the writer's voice only.

    An evidence item counts when its ``tag`` is ``"framing"`` (words inside
    quotations carry the tag ``"quoted_framing"``), its ``kind`` is in
    ``kinds`` (model features without a kind, such as character n-grams, are
    not terms), and it is the writer's: the item's own ``voice`` when given,
    else the sentence's ``framing_voice`` is "writer" or "both" (without that
    column, ``in_quote < 0.5``). Words inside quotations are the sources', not
    the outlet's, and are left out. Terms are trimmed and lower-cased.

    Parameters
    ----------
    sentences : pandas.DataFrame
        Tagged sentence table with an ``evidence`` column.
    n : int
        Terms per outlet.
    by : str
        Grouping column.
    kinds : sequence of str
        Framing kinds to count.

    Returns
    -------
    pandas.DataFrame
        Columns ``outlet`` (the ``by`` value), ``term``, ``count``, ``rank``
        (1 = most frequent); ties broken alphabetically.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"outlet": ["A", "A"], "framing_voice": ["writer", "quoted"],
    ...     "evidence": [[{"tag": "framing", "kind": "loaded_language", "term": "Regime"}],
    ...                  [{"tag": "framing", "kind": "loaded_language", "term": "thugs"}]]})
    >>> top_terms(s).values.tolist()
    [['A', 'regime', 1, 1]]

    """
    check_columns(sentences, [by, "evidence"], table="sentence table")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n: expected a positive integer, got {n!r}")
    wanted = set(kinds)
    sentence_writer = _writer_voice(sentences)
    counters: dict[Any, Counter[str]] = {}
    for group, items, writer in zip(sentences[by], sentences["evidence"], sentence_writer,
                                    strict=True):
        if not isinstance(items, (list, tuple, np.ndarray)):
            continue
        for item in items:
            if not isinstance(item, Mapping) or item.get("tag") != "framing":
                continue
            # lexicon matches carry a kind; model features (char n-grams) do not
            if item.get("kind") not in wanted:
                continue
            voice = item.get("voice")
            if (voice != "writer") if voice is not None else not writer:
                continue
            term = item.get("term")
            if not isinstance(term, str) or not term.strip():
                continue
            counters.setdefault(group, Counter())[term.strip().casefold()] += 1
    rows = []
    for group in sorted(counters, key=str):
        ranked = sorted(counters[group].items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        rows.extend((group, term, count, i + 1) for i, (term, count) in enumerate(ranked))
    return pd.DataFrame(rows, columns=["outlet", "term", "count", "rank"])


def plot_top_terms(
    sentences: pd.DataFrame,
    n: int = 10,
    *,
    by: str = "outlet",
    kinds: Sequence[str] = EVALUATIVE_KINDS,
    outlets: Sequence[Any] | None = None,
) -> Figure:
    """Small multiples of :func:`top_terms`: one bar chart per outlet.

    Parameters
    ----------
    sentences : pandas.DataFrame
        Tagged sentence table with ``evidence``.
    n : int
        Terms per outlet.
    by : str
        Grouping column.
    kinds : sequence of str
        Framing kinds to count.
    outlets : sequence, optional
        Outlets to show (default: all with at least one term).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"outlet": ["A"], "framing_voice": ["writer"],
    ...     "evidence": [[{"tag": "framing", "kind": "opinion", "term": "reckless"}]]})
    >>> len(plot_top_terms(s).axes)
    1

    """
    terms = top_terms(sentences, n, by=by, kinds=kinds)
    groups = list(outlets) if outlets is not None else list(dict.fromkeys(terms["outlet"]))
    if not groups:
        fig = _figure(6.0, 1.5)
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "no loaded or evaluative terms in the writer's voice",
                ha="center", va="center")
        return fig
    cols = min(3, len(groups))
    nrows = math.ceil(len(groups) / cols)
    fig = _figure(3.6 * cols, 0.6 + nrows * (0.9 + 0.22 * n))
    for i, group in enumerate(groups):
        ax = fig.add_subplot(nrows, cols, i + 1)
        part = terms[terms["outlet"] == group].sort_values("rank", ascending=False)
        ax.barh(np.arange(len(part)), part["count"], color="#b03a2e")
        ax.set_yticks(np.arange(len(part)), part["term"].tolist(), fontsize=7)
        ax.set_title(str(group), fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
        if part.empty:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
    fig.suptitle("Top loaded/evaluative terms, writer's voice", fontsize=10)
    return fig
