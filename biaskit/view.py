"""Highlighted HTML view of an analysed article (Jupyter ``_repr_html_`` and standalone files).

Every sentence becomes a ``<span class="bk-s …">`` with one class per tag and kind
(``bk-claim``, ``bk-att-direct_quote``, ``bk-frame-loaded_language``…), a ``title`` tooltip
with probabilities and evidence, and inner marks for evidence terms (``bk-ev``), the source
(``bk-src``) and the cue (``bk-cue``). All article text is HTML-escaped; the page has no
external assets and works offline.
"""

from __future__ import annotations

import html
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.errors import InputError
from biaskit.schema import ATTRIBUTION_KINDS, FRAMING_KINDS

# colour-blind-safe palette (Okabe–Ito), light tints for backgrounds, strong for borders
_CSS = """
.bk-article{font:16px/1.7 Georgia,serif;max-width:50em;margin:1em auto;color:#1a1a1a}
.bk-article p{margin:0 0 .9em}
.bk-s{padding:1px 0;border-radius:3px}
.bk-headline{font-weight:bold;font-size:1.2em}
.bk-claim{border-bottom:2px solid #0072B2}
.bk-att-direct_quote,.bk-att-reported_speech{background:#E6F1FA}
.bk-att-according_to{background:#E8F5EE}
.bk-att-hedged{background:#FFF4D6}
.bk-att-anonymous{background:#F3E8F5}
.bk-frame-loaded_language{background:#FDE3D6;box-shadow:inset 3px 0 #D55E00}
.bk-frame-opinion{background:#FCE6EF;box-shadow:inset 3px 0 #CC79A7}
.bk-frame-speculation{background:#FFF0C9;box-shadow:inset 3px 0 #E69F00}
.bk-frame-promo{background:#ECECEC;color:#555;text-decoration:line-through #999}
.bk-qframe{outline:1px dashed #D55E00}
.bk-ev{text-decoration:underline 2px #D55E00;text-underline-offset:3px}
.bk-src{font-weight:bold;color:#004D80}
.bk-cue{font-style:italic;color:#00603E;text-decoration:underline dotted}
.bk-legend{font:13px/1.5 system-ui,sans-serif;max-width:50em;margin:0 auto 1em;display:flex;
 flex-wrap:wrap;gap:.4em}
.bk-legend span{padding:2px 6px;border-radius:3px}
"""

_LEGEND = [
    ("bk-claim", "claim"),
    ("bk-att-direct_quote", "direct quote / reported speech"),
    ("bk-att-according_to", "according to"),
    ("bk-att-hedged", "hedged"),
    ("bk-att-anonymous", "anonymous source"),
    ("bk-frame-loaded_language", "loaded language"),
    ("bk-frame-opinion", "opinion"),
    ("bk-frame-speculation", "speculation"),
    ("bk-frame-promo", "promo"),
    ("bk-qframe", "framing inside a quote"),
    ("bk-src", "source"),
    ("bk-cue", "cue"),
    ("bk-ev", "evidence word"),
]


def _classes(row: pd.Series) -> list[str]:
    cls = ["bk-s"]
    if row.get("is_headline"):
        cls.append("bk-headline")
    if row.get("claim"):
        cls.append("bk-claim")
    if row.get("attribution"):
        cls += [f"bk-att-{k}" for k in row["attribution_kind"] if k in ATTRIBUTION_KINDS]
    if row.get("framing"):
        cls += [f"bk-frame-{k}" for k in row["framing_kind"] if k in FRAMING_KINDS]
    if row.get("quoted_framing"):
        cls.append("bk-qframe")
    return cls


def _present(value: Any) -> str | None:
    """A text cell's value, or None when it is missing (None, NaN, pd.NA, empty)."""
    return value if isinstance(value, str) and value.strip() else None


def _tooltip(row: pd.Series) -> str:
    source, source_type, cue = (_present(row.get(k)) for k in ("source", "source_type", "cue"))
    parts = [
        f"claim {row['p_claim']:.2f} · attribution {row['p_attribution']:.2f} · "
        f"framing {row['p_framing']:.2f}"
    ]
    if row.get("attribution"):
        parts.append(
            f"attribution: {', '.join(row['attribution_kind'])}"
            + (f" — source: {source}" if source else "")
            + (f" ({source_type})" if source and source_type else "")
            + (f" — cue: {cue}" if cue else "")
        )
    if row.get("framing"):
        parts.append(f"framing (writer): {', '.join(row['framing_kind'])}")
    if row.get("quoted_framing"):
        parts.append(f"framing (quoted): {', '.join(row['quoted_framing_kind'])}")
    ev = [
        f"{e['tag']}: {e['term']} [{e['rule']}]"
        for e in (row.get("evidence") or [])
        if e.get("term") and e.get("rule") != "probability"
    ]
    if ev:
        parts.append("evidence: " + "; ".join(dict.fromkeys(ev)))
    return "\n".join(parts)


def _marks(row: pd.Series) -> list[tuple[int, int, str]]:
    """(start, end, class) of inner marks in doc offsets, all of them (they may overlap)."""
    marks: list[tuple[int, int, str]] = []
    for key, cls in (("source", "bk-src"), ("cue", "bk-cue")):
        s, e = row.get(f"{key}_start"), row.get(f"{key}_end")
        if s is not None and not pd.isna(s) and row["start"] <= int(s) < int(e) <= row["end"]:
            marks.append((int(s), int(e), cls))
    for ev in row.get("evidence") or []:
        s, e = ev.get("start"), ev.get("end")
        if s is None or e is None or pd.isna(s) or pd.isna(e):
            continue
        if row["start"] <= s < e <= row["end"]:
            # underline the words behind framing; attribution has its own source/cue marks
            if ev.get("tag") in ("framing", "quoted_framing") and ev["rule"].startswith("lexicon"):
                marks.append((int(s), int(e), "bk-ev"))
    return marks


def _segments(row: pd.Series) -> list[tuple[int, int, list[str]]]:
    """The sentence cut at every mark boundary: (start, end, classes covering the piece).

    Overlapping and nested marks (a loaded word inside a source, a cue inside a lexicon
    phrase) all stay visible: a piece covered by several marks carries all their classes.
    """
    marks = _marks(row)
    cuts = sorted({int(row["start"]), int(row["end"]), *(p for m in marks for p in m[:2])})
    order = ("bk-src", "bk-cue", "bk-ev")
    out = []
    for a, b in pairwise(cuts):
        covering = {c for s, e, c in marks if s <= a and b <= e}
        out.append((a, b, [c for c in order if c in covering]))
    return out


def render_html(
    table: pd.DataFrame,
    text: str | None = None,
    *,
    standalone: bool = False,
    title: str = "biaskit analysis",
) -> str:
    """HTML for one analysed article.

    Parameters
    ----------
    table : pandas.DataFrame
        ``biaskit.analyze`` output for a single document.
    text : str, optional
        The document text; rebuilt from the sentences when omitted (gaps become spaces).
    standalone : bool
        A full HTML page (with ``<head>``) rather than a fragment for Jupyter.
    title : str
        Page title.

    Returns
    -------
    str
    """
    table = _one_article(table, text)
    if text is None:
        end = int(table["end"].max()) if len(table) else 0
        chars = [" "] * end
        for s, e, t in zip(table["start"], table["end"], table["text"], strict=True):
            chars[s:e] = list(t)
        text = "".join(chars)
    out = []
    para = None
    for _, row in table.sort_values("sent_id").iterrows():
        if row["paragraph"] != para:
            if para is not None:
                out.append("</p>")
            out.append("<p>")
            para = row["paragraph"]
        inner = []
        for s, e, classes in _segments(row):
            piece = html.escape(text[s:e])
            inner.append(f'<span class="{" ".join(classes)}">{piece}</span>' if classes else piece)
        out.append(
            f'<span class="{" ".join(_classes(row))}" data-sent="{int(row["sent_id"])}" '
            f'title="{html.escape(_tooltip(row), quote=True)}">{"".join(inner)}</span> '
        )
    if para is not None:
        out.append("</p>")
    legend = "".join(f'<span class="{c}">{html.escape(label)}</span>' for c, label in _LEGEND)
    body = (
        f'<style>{_CSS}</style><div class="bk-legend">{legend}</div>'
        f'<div class="bk-article">{"".join(out)}</div>'
    )
    if not standalone:
        return body
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)}</title></head><body>{body}</body></html>"
    )


def write_html(
    table: pd.DataFrame, text: str | None, path: str | Path, *, title: str = "biaskit analysis"
) -> Path:
    """Write the standalone highlighted view of one article to ``path``."""
    path = Path(path)
    path.write_text(render_html(table, text, standalone=True, title=title), encoding="utf-8")
    return path


class ArticleView:
    """Wraps an analysed article so Jupyter renders it highlighted (``_repr_html_``).

    Examples
    --------
    >>> ArticleView  # doctest: +SKIP
    """

    def __init__(self, table: pd.DataFrame, text: str | None = None) -> None:
        self.table = table
        self.text = text

    def _repr_html_(self) -> str:
        return render_html(self.table, self.text)

    def to_html(self, path: str | Path) -> Path:
        """Write a standalone HTML file."""
        return write_html(self.table, self.text, path)


def show(
    table: pd.DataFrame, text: str | None = None, *, doc_id: Any = None
) -> ArticleView:
    """Highlighted view of one analysed article, for Jupyter.

    Parameters
    ----------
    table : pandas.DataFrame
        ``biaskit.analyze`` output: one article, or several with ``doc_id`` naming one.
    text : str, optional
        That article's text (rebuilt from the sentences when omitted).
    doc_id : optional
        Which article of a table of several to show.

    Returns
    -------
    ArticleView
        Renders itself in Jupyter; ``.to_html(path)`` writes a standalone page.

    Raises
    ------
    InputError
        A table of several articles without ``doc_id``, an unknown ``doc_id``, or a ``text``
        that is not the table's article (checked here, not when Jupyter renders the view).

    Examples
    --------
    >>> table = biaskit.analyze(docs)  # doctest: +SKIP
    >>> biaskit.show(table, doc_id="a1")  # doctest: +SKIP
    """
    if doc_id is not None:
        if "doc_id" not in table.columns or not (table["doc_id"] == doc_id).any():
            known = list(dict.fromkeys(table.get("doc_id", pd.Series(dtype=object))))[:5]
            raise InputError(f"doc_id {doc_id!r} is not in the table (doc_ids: {known} …)")
        table = table[table["doc_id"] == doc_id]
    return ArticleView(_one_article(table, text), text)


def _one_article(table: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """``table`` if it holds one article (and ``text`` is that article's), else InputError."""
    ids = list(dict.fromkeys(table["doc_id"])) if "doc_id" in table.columns else []
    if len(ids) > 1:
        shown = ", ".join(repr(i) for i in ids[:3]) + (" …" if len(ids) > 3 else "")
        raise InputError(
            f"the table holds {len(ids)} articles ({shown}); show one: "
            f"biaskit.show(table, doc_id={ids[0]!r}), or filter the table by doc_id"
        )
    if text is not None:
        for row in table.itertuples():
            if text[row.start : row.end] != row.text:
                raise InputError(
                    f"text does not match the table: sentence {row.sent_id} is "
                    f"{row.text[:40]!r} but text[{row.start}:{row.end}] is "
                    f"{text[row.start : row.end][:40]!r}; pass the text that was analysed "
                    "(or leave text out)"
                )
    return table


def evidence_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Flatten the evidence column into records (one per evidence item) for inspection."""
    rows = []
    for _, r in table.iterrows():
        for ev in r["evidence"] or []:
            rows.append({"doc_id": r["doc_id"], "sent_id": r["sent_id"], **ev})
    return rows
