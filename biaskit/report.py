"""Standalone HTML reports and table/figure exports of an outlet comparison.

:func:`write_report` writes one self-contained HTML file: figures are embedded
as base64 PNG, styles are inline, there are no scripts and no external assets,
and every piece of text from the data is HTML-escaped. :func:`write_tables`
writes the same numbers as CSV and parquet with the figures as PNG files.
The CLI commands ``biaskit report`` and ``biaskit compare`` wrap these two.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from biaskit.comparison import (
    STANDARDIZED,
    CompareOptions,
    ComparisonResult,
    evidence,
    run_comparison,
)
from biaskit.errors import OutputError
from biaskit.schema import ATTRIBUTION_KINDS, check_columns
from biaskit.viz import attribution_bars, forest_plot, heatmap, plot_top_terms

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

__all__ = ["EXAMPLE_METRICS", "render_report", "write_report", "write_tables"]

#: Metrics whose example sentences the report shows per outlet.
EXAMPLE_METRICS: tuple[str, ...] = (
    "writer_framing_rate",
    "anonymous_rate",
    "hedge_rate",
    "quoted_framing_rate",
)

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:72em;
color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}
h3{font-size:1.05em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{color:#9a3412}.muted{color:#666;font-size:.85em}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
mark{background:#fde68a}blockquote{margin:.3em 0 .6em;padding-left:.8em;
border-left:3px solid #ccc}
dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;font-size:.9em}
dt{font-weight:600}dd{margin:0;word-break:break-word}
.scroll{overflow-x:auto}
"""


def _esc(value: Any) -> str:
    """HTML-escape any value's text (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def _fig_to_data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(fig: Figure, alt: str) -> str:
    return f'<img src="{_fig_to_data_uri(fig)}" alt="{_esc(alt)}">'


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _definition_list(data: Mapping[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, (Mapping, list, tuple)):
            text = json.dumps(value, indent=1, default=str, ensure_ascii=False)
            shown = f"<pre>{_esc(text)}</pre>"
        else:
            shown = _esc(value)
        parts.append(f"<dt>{_esc(key)}</dt><dd>{shown}</dd>")
    return "<dl>" + "".join(parts) + "</dl>"


def _highlight(text: str, terms: Sequence[str]) -> str:
    """Escape ``text`` and wrap occurrences of ``terms`` in <mark> (case-insensitive)."""
    terms = [t for t in terms if isinstance(t, str) and t.strip()]
    if not terms:
        return _esc(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(_esc(text[last:match.start()]))
        out.append(f"<mark>{_esc(match.group(0))}</mark>")
        last = match.end()
    out.append(_esc(text[last:]))
    return "".join(out)


def _standard(outlets: pd.DataFrame) -> pd.DataFrame:
    if "stratum" in outlets.columns:
        return outlets[outlets["stratum"] == STANDARDIZED]
    return outlets


def _outlet_table_html(outlets: pd.DataFrame, metrics: Sequence[str]) -> str:
    rows = _standard(outlets)
    by_outlet: dict[Any, dict[str, Any]] = {}
    for r in rows.itertuples(index=False):
        by_outlet.setdefault(r.outlet, {})[r.metric] = r
    head = "".join(f"<th>{_esc(m)}</th>" for m in metrics)
    body = []
    for outlet in sorted(by_outlet, key=str):
        cells = by_outlet[outlet]
        first = next(iter(cells.values()))
        tds = []
        for m in metrics:
            r = cells.get(m)
            if r is None:
                tds.append("<td></td>")
                continue
            mark = ' class="num warn"' if isinstance(r.warning, str) else ' class="num"'
            title = f' title="{_esc(r.warning)}"' if isinstance(r.warning, str) else ""
            tds.append(f"<td{mark}{title}>{_fmt(r.estimate)}<br><span class=\"muted\">"
                       f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]</span></td>")
        body.append(f"<tr><th>{_esc(outlet)}</th><td class=\"num\">{first.n_articles}</td>"
                    f"<td class=\"num\">{first.n_sentences}</td>{''.join(tds)}</tr>")
    return (f"<div class=\"scroll\"><table><thead><tr><th>outlet</th><th>articles</th>"
            f"<th>sentences</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _metric_legend(result: ComparisonResult) -> str:
    items = []
    for m in result.metrics:
        how = "ratio estimator" if m.kind_of_estimate == "ratio" else "mean per article"
        scale = f", ×{_fmt(m.scale)}" if m.scale != 1 else ""
        items.append(f"<dt>{_esc(m.name)}</dt><dd>{_esc(m.description or '–')} "
                     f"<span class=\"muted\">({_esc(how + scale)})</span></dd>")
    return f"<dl>{''.join(items)}</dl>"


def _pairwise_html(pairs: pd.DataFrame | None, alpha: float, limit: int = 200) -> str:
    if pairs is None or pairs.empty:
        return "<p>No pairs to compare (fewer than two outlets).</p>"
    sig = pairs[pairs["significant"]].sort_values(["p_adjusted", "metric"], kind="stable")
    if sig.empty:
        return (f"<p>No difference is significant at α = {_esc(alpha)} after correction "
                f"({len(pairs)} tests).</p>")
    rows = []
    for r in sig.head(limit).itertuples(index=False):
        rows.append(
            f"<tr><td>{_esc(r.metric)}</td><td>{_esc(r.outlet_a)}</td><td>{_esc(r.outlet_b)}</td>"
            f"<td class=\"num\">{_fmt(r.estimate_a)}</td>"
            f"<td class=\"num\">{_fmt(r.estimate_b)}</td>"
            f"<td class=\"num\">{_fmt(r.diff)} <span class=\"muted\">[{_fmt(r.ci_low)}, "
            f"{_fmt(r.ci_high)}]</span></td>"
            f"<td class=\"num\">{_fmt(r.effect_size)} <span class=\"muted\">"
            f"{_esc(r.effect_size_kind)}</span></td>"
            f"<td class=\"num\">{_fmt(r.p_adjusted)}</td></tr>")
    more = (f"<p class=\"muted\">{len(sig) - limit} more in pairwise.csv.</p>"
            if len(sig) > limit else "")
    return (f"<p>{len(sig)} of {len(pairs)} tests significant at α = {_esc(alpha)} "
            f"after correction.</p><table><thead><tr><th>metric</th><th>outlet a</th>"
            "<th>outlet b</th><th>a</th><th>b</th><th>a − b [CI]</th><th>effect size</th>"
            f"<th>adjusted p</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{more}")


def _warnings_html(result: ComparisonResult) -> str:
    notes: dict[str, list[str]] = {}
    for r in _standard(result.outlets).itertuples(index=False):
        if isinstance(r.warning, str):
            notes.setdefault(r.warning, []).append(f"{r.outlet} / {r.metric}")
    if not notes:
        return "<p>None.</p>"
    items = []
    for text, where in notes.items():
        shown = ", ".join(where[:8]) + (f" and {len(where) - 8} more" if len(where) > 8 else "")
        items.append(f"<li><span class=\"warn\">{_esc(text)}</span> "
                     f"<span class=\"muted\">({_esc(shown)})</span></li>")
    return "<ul>" + "".join(items) + "</ul>"


def _examples_html(sentences: pd.DataFrame, result: ComparisonResult, per_metric: int) -> str:
    by = result.options.by
    names = {m.name for m in result.metrics}
    chosen = [m for m in EXAMPLE_METRICS if m in names]
    if per_metric < 1 or not chosen or "text" not in sentences.columns \
            or "sent_id" not in sentences.columns:
        return "<p>No examples (no sentence text in the input).</p>"
    parts = []
    for outlet in sorted(sentences[by].dropna().unique(), key=str):
        blocks = []
        for name in chosen:
            ex = evidence(sentences, outlet, name, n=per_metric, by=by, max_per_article=1)
            if ex.empty:
                continue
            quotes = "".join(
                f"<blockquote>{_highlight(str(r.text), list(r.terms))}<br>"
                f"<span class=\"muted\">{_esc(r.doc_id)} #{_esc(r.sent_id)}"
                f"{' · source: ' + _esc(r.source) if isinstance(r.source, str) else ''}"
                f"{' · cue: ' + _esc(r.cue) if isinstance(r.cue, str) else ''}"
                f"{' · p=' + _fmt(r.probability, 2) if np.isfinite(r.probability) else ''}"
                "</span></blockquote>"
                for r in ex.itertuples(index=False))
            blocks.append(f"<h4>{_esc(name)}</h4>{quotes}")
        if blocks:
            parts.append(f"<h3>{_esc(outlet)}</h3>{''.join(blocks)}")
    return "".join(parts) or "<p>No example sentences.</p>"


def _provenance_html(sentences: pd.DataFrame, result: ComparisonResult,
                     run_info: Mapping[str, Any] | None,
                     model_card: Mapping[str, Any] | None) -> str:
    from biaskit import __version__

    counts: dict[str, Any] = {
        "biaskit version": __version__,
        "documents": len(result.articles),
        "sentences (non-promo)": int(result.articles["n_sentences"].sum())
        if "n_sentences" in result.articles.columns else "–",
        "groups compared": f"{len(_standard(result.outlets)['outlet'].unique())} "
                           f"({result.options.by})",
    }
    if "model_version" in sentences.columns:
        versions = sorted(map(str, sentences["model_version"].dropna().unique()))
        counts["model version(s)"] = ", ".join(versions) or "–"
    if "published" in sentences.columns:
        dates = pd.to_datetime(sentences["published"], errors="coerce", utc=True).dropna()
        if len(dates):
            counts["published"] = f"{dates.min().date()} – {dates.max().date()}"
    opts = result.options
    seed = ("Generator" if isinstance(opts.random_state, np.random.Generator)
            else opts.random_state)
    counts["settings"] = (f"n_boot={opts.n_boot}, ci={opts.ci}, alpha={opts.alpha}, "
                          f"test={opts.test}, n_perm={opts.n_perm}, "
                          f"correction={opts.correction}, strata={opts.strata}, "
                          f"min_articles={opts.min_articles}, random_state={seed}")
    html_parts = ["<h3>Data and settings</h3>", _definition_list(counts)]
    if run_info:
        html_parts += ["<h3>Run</h3>", _definition_list(run_info)]
    if model_card:
        html_parts += ["<h3>Model card</h3>", _definition_list(model_card)]
    return "".join(html_parts)


def _figures(sentences: pd.DataFrame, result: ComparisonResult) -> dict[str, Figure]:
    """All report figures by file stem."""
    figs: dict[str, Figure] = {}
    outlets = result.outlets
    metric_names = [m.name for m in result.metrics]
    if not outlets.empty:
        figs["heatmap"] = heatmap(outlets, metric_names)
        for name in metric_names:
            figs[f"forest_{name}"] = forest_plot(outlets, name)
    kind_cols = [f"n_{k}" for k in ATTRIBUTION_KINDS]
    if all(c in result.articles.columns for c in kind_cols):
        figs["attribution_kinds"] = attribution_bars(result.articles, by=result.options.by)
    if "evidence" in sentences.columns:
        figs["top_terms"] = plot_top_terms(sentences, by=result.options.by)
    return figs


def render_report(
    sentences: pd.DataFrame,
    *,
    run_info: Mapping[str, Any] | None = None,
    model_card: Mapping[str, Any] | None = None,
    options: CompareOptions | None = None,
    title: str = "biaskit: outlet comparison",
    examples: int = 3,
    result: ComparisonResult | None = None,
) -> str:
    """Build the report's HTML text (see :func:`write_report`).

    Parameters
    ----------
    sentences : pandas.DataFrame
        Tagged sentence table.
    run_info, model_card, options, title, examples
        As in :func:`write_report`.
    result : ComparisonResult, optional
        A comparison already computed from ``sentences`` (skips recomputing).

    Returns
    -------
    str
        A complete HTML document.

    """
    if result is None:
        result = run_comparison(sentences, options or CompareOptions(), pairs=True)
    figs = _figures(sentences, result)
    metric_names = [m.name for m in result.metrics]
    opts = result.options
    forest = "".join(_img(figs[f"forest_{m}"], f"forest plot of {m}") for m in metric_names
                     if f"forest_{m}" in figs)
    method_lines = sorted(set(_standard(result.outlets)["method"]))
    sections = [
        f"<h1>{_esc(title)}</h1>",
        "<p class=\"muted\">Rates are ratio estimators over articles (sums of counts), "
        "with article-clustered bootstrap intervals; pairwise differences are tested "
        "and corrected for multiple comparisons. Promo/boilerplate sentences are excluded "
        "from rates. Framing counts the writer's own voice; words inside quotations are "
        "counted separately as quoted framing.</p>",
        "<h2>Outlets</h2>",
        _outlet_table_html(result.outlets, metric_names),
        "<h3>Metrics</h3>", _metric_legend(result),
        "<h3>Method</h3><ul>" + "".join(f"<li>{_esc(t)}</li>" for t in method_lines) + "</ul>",
        "<h2>Warnings</h2>", _warnings_html(result),
        "<h2>Significant differences</h2>", _pairwise_html(result.pairwise, opts.alpha),
        "<h2>Figures</h2>",
        _img(figs["heatmap"], "heatmap of outlets by metric") if "heatmap" in figs else "",
        _img(figs["attribution_kinds"], "attribution kinds per outlet")
        if "attribution_kinds" in figs else "",
        _img(figs["top_terms"], "top loaded terms per outlet") if "top_terms" in figs else "",
        forest,
        "<h2>Example sentences</h2>",
        "<p class=\"muted\">The most confident sentences behind selected metrics, at most one "
        "per article; highlighted words are the evidence the tagger used.</p>",
        _examples_html(sentences, result, examples),
        "<h2>Provenance</h2>", _provenance_html(sentences, result, run_info, model_card),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")


def _atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same directory, then rename into place.

    The writer creates the temporary file itself, so it gets the usual
    permissions (umask), and readers never see a half-written file.
    """
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file path")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer(tmp)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def write_report(
    sentences: pd.DataFrame,
    out_path: str | os.PathLike[str],
    *,
    run_info: Mapping[str, Any] | None = None,
    model_card: Mapping[str, Any] | None = None,
    options: CompareOptions | None = None,
    title: str = "biaskit: outlet comparison",
    examples: int = 3,
) -> Path:
    """Write a self-contained HTML report of an outlet comparison.

    The file holds the outlet table (estimates with intervals), significant
    pairwise differences, warnings, figures (base64 PNG), example sentences
    per outlet with their evidence highlighted, and provenance (counts,
    settings, ``run_info`` and ``model_card``). No scripts, no external assets;
    all text is HTML-escaped.

    Parameters
    ----------
    sentences : pandas.DataFrame
        Tagged sentence table. Not modified.
    out_path : str or os.PathLike
        Output file; parent directories are created.
    run_info : mapping, optional
        Run provenance to print (inputs, command, time, ...).
    model_card : mapping, optional
        Model card to print (version, training data hash, metrics, ...).
    options : CompareOptions, optional
        Comparison settings (defaults of :class:`CompareOptions`).
    title : str
        Report title.
    examples : int
        Example sentences per outlet and metric.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    OutputError
        If ``out_path`` is a directory or cannot be written.

    """
    check_columns(sentences, ["doc_id"], table="sentence table")
    path = Path(out_path)
    if path.is_dir():  # fail before the (slow) comparison
        raise OutputError(f"{path}: is a directory; give a file path")
    text = render_report(sentences, run_info=run_info, model_card=model_card, options=options,
                         title=title, examples=examples)
    _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    logger.info("report written to %s (%d bytes)", path, len(text))
    return path


def write_tables(
    sentences: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    options: CompareOptions | None = None,
    figures: bool = True,
) -> dict[str, Path]:
    """Write the comparison tables (CSV and parquet) and figures (PNG).

    Writes ``outlets.csv``/``.parquet``, ``pairwise.csv``/``.parquet``,
    ``articles.parquet`` and, with ``figures``, ``figures/*.png`` (heatmap,
    attribution kinds, top terms, one forest plot per metric).

    Parameters
    ----------
    sentences : pandas.DataFrame
        Tagged sentence table. Not modified.
    out_dir : str or os.PathLike
        Output directory (created if missing).
    options : CompareOptions, optional
        Comparison settings.
    figures : bool
        Also write PNG figures.

    Returns
    -------
    dict of str to pathlib.Path
        Written files by name (``"outlets.csv"``, ``"figures/heatmap.png"``, ...).

    Raises
    ------
    OutputError
        If ``out_dir`` is a file or cannot be written.

    """
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: exists and is not a directory")
    if (directory / "run.json").is_file():
        # a `biaskit score` output directory: its own articles.parquet (the per-article summary
        # with title, url and source) would be replaced by the comparison's
        raise OutputError(
            f"{directory}: holds the output of `biaskit score` (run.json); "
            "writing the comparison there would replace its articles.parquet. Write it to "
            f"another directory, e.g. {directory / 'compare'}"
        )
    result = run_comparison(sentences, options or CompareOptions(), pairs=True)
    n_outlets = result.outlets["outlet"].nunique() if len(result.outlets) else 0
    if n_outlets < 2:
        logger.warning(
            "%d outlet(s) in the table: pairwise.csv has no comparisons (it needs two outlets "
            "or more; check the outlet column or --outlet-col of `biaskit score`)",
            n_outlets,
        )
    tables = {"outlets": result.outlets, "pairwise": result.pairwise}
    written: dict[str, Path] = {}
    for name, table in tables.items():
        assert table is not None
        for ext in ("csv", "parquet"):
            path = directory / f"{name}.{ext}"
            if ext == "csv":
                _atomic_write(path, lambda tmp, t=table: t.to_csv(tmp, index=False))
            else:
                _atomic_write(path, lambda tmp, t=table: t.to_parquet(tmp, index=False))
            written[path.name] = path
    path = directory / "articles.parquet"
    _atomic_write(path, lambda tmp: result.articles.to_parquet(tmp, index=False))
    written[path.name] = path
    if figures:
        for stem, fig in _figures(sentences, result).items():
            path = directory / "figures" / f"{stem}.png"
            _atomic_write(path, lambda tmp, f=fig: f.savefig(tmp, format="png", dpi=120))
            written[f"figures/{path.name}"] = path
    logger.info("wrote %d files to %s", len(written), directory)
    return written

