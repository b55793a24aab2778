"""Span-level evaluation of attributions: source, cue and content, exact and overlap match.

Convention (as in PARC/Citron-style attribution evaluation): a predicted span is
*overlap-correct* when it shares at least one word token with a gold span of the same role in
the same sentence, and *exact-correct* when its offsets equal the gold span's after trimming
surrounding punctuation and quotation marks. Precision counts predicted spans that match some
gold span; recall counts gold spans matched by some prediction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"\w+")
_TRIM = " \t\n,.;:!?\"“”‘’'«»()—–-"


def _tokens(start: int, end: int, text: str) -> set[int]:
    """Positions (doc offsets) of the word tokens inside a span."""
    return {start + m.start() for m in _TOKEN.finditer(text)}


def _trim(span: dict[str, Any]) -> tuple[int, int]:
    text = span["text"]
    left = len(text) - len(text.lstrip(_TRIM))
    right = len(text.rstrip(_TRIM))
    return span["start"] + left, span["start"] + max(right, left)


def _prf(tp_p: int, n_pred: int, tp_g: int, n_gold: int) -> dict[str, float]:
    p = tp_p / n_pred if n_pred else 0.0
    r = tp_g / n_gold if n_gold else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "n_pred": n_pred,
        "n_gold": n_gold,
    }


def span_scores(
    pairs: Iterable[tuple[list[dict[str, Any] | None], list[dict[str, Any] | None]]],
) -> dict[str, dict[str, float]]:
    """Exact and overlap P/R/F1 over (predicted spans, gold spans) pairs, one pair per sentence.

    Each span is ``{"start", "end", "text"}`` (doc offsets) or None (ignored).

    Examples
    --------
    >>> s = {"start": 0, "end": 4, "text": "said"}
    >>> span_scores([([s], [s])])["overlap"]["f1"]
    1.0
    """
    counts = {"exact": [0, 0, 0, 0], "overlap": [0, 0, 0, 0]}
    for pred, gold in pairs:
        pred = [p for p in pred if p]
        gold = [g for g in gold if g]
        ptok = [_tokens(p["start"], p["end"], p["text"]) for p in pred]
        gtok = [_tokens(g["start"], g["end"], g["text"]) for g in gold]
        pex = [_trim(p) for p in pred]
        gex = [_trim(g) for g in gold]
        for mode in counts:
            c = counts[mode]
            c[1] += len(pred)
            c[3] += len(gold)
            if mode == "overlap":
                c[0] += sum(any(pt & gt for gt in gtok) for pt in ptok)
                c[2] += sum(any(gt & pt for pt in ptok) for gt in gtok)
            else:
                c[0] += sum(pe in gex for pe in pex)
                c[2] += sum(ge in pex for ge in gex)
    return {mode: _prf(*c) for mode, c in counts.items()}


def attribution_span_report(pred: Any, gold: Any) -> dict[str, Any]:
    """Compare ``analyze`` output with gold attributions of the same sentences.

    Parameters
    ----------
    pred : pandas.DataFrame
        ``analyze`` output (``attributions`` column), one row per sentence.
    gold : pandas.DataFrame
        Corpus sentence table (``gold_attributions`` column), same sentences in the same order.

    Returns
    -------
    dict
        ``source``/``cue``/``content`` exact and overlap scores; ``kind_accuracy`` (share of
        gold-attributed sentences whose predicted kind set equals gold's) and
        ``source_type_accuracy`` (on sentences where the main source overlaps a gold source).
    """
    roles = {"source": [], "cue": [], "content": []}
    kind_ok = kind_n = st_ok = st_n = 0
    for p_atts, g_atts, p_kinds, g_kinds, (s, e) in zip(
        pred["attributions"],
        gold["gold_attributions"],
        pred["attribution_kind"],
        gold["gold_attribution_kind"],
        zip(gold["start"], gold["end"], strict=True),
        strict=True,
    ):
        p_atts = list(p_atts) if p_atts is not None else []
        g_atts = list(g_atts) if g_atts is not None else []

        def inside(span: dict[str, Any] | None, s: int = s, e: int = e) -> dict[str, Any] | None:
            # only spans located in this sentence count (continuations point elsewhere)
            return span if span and s <= span["start"] < e else None

        for role in roles:
            roles[role].append(
                ([inside(a.get(role)) for a in p_atts], [inside(a.get(role)) for a in g_atts])
            )
        if g_atts:
            kind_n += 1
            kind_ok += set(p_kinds if p_kinds is not None else []) == set(g_kinds)
            if p_atts and g_atts[0].get("source") and p_atts[0].get("source"):
                ps, gs = p_atts[0]["source"], g_atts[0]["source"]
                if _tokens(ps["start"], ps["end"], ps["text"]) & _tokens(
                    gs["start"], gs["end"], gs["text"]
                ):
                    st_n += 1
                    st_ok += p_atts[0].get("source_type") == g_atts[0].get("stype")
    out: dict[str, Any] = {role: span_scores(pairs) for role, pairs in roles.items()}
    out["kind_accuracy"] = round(kind_ok / kind_n, 4) if kind_n else 0.0
    out["source_type_accuracy"] = round(st_ok / st_n, 4) if st_n else 0.0
    out["n_gold_attributed"] = kind_n
    return out


def corpus_attribution_report(
    model: Any,
    documents: Any,
    sentences: Any,
    splits: Iterable[str] = ("dev", "test", "test_outlet"),
) -> dict[str, dict[str, Any]]:
    """Attribution spans and kinds of ``model`` on the gold corpus, per split.

    Runs :func:`biaskit.analyze` on each split's documents and scores the sentences whose
    offsets match a gold sentence (the segmenter may split a few differently; those are left
    out and counted in ``n_sentences`` versus ``n_aligned``).

    Parameters
    ----------
    model : biaskit.persist.Model
        The model to evaluate.
    documents, sentences : pandas.DataFrame
        The corpus tables of :func:`biaskit.corpus.load`.
    splits : iterable of str
        Splits to score (missing ones are skipped).

    Returns
    -------
    dict
        Per split: :func:`attribution_span_report` plus ``sentence`` (precision, recall and F1
        of the sentence-level ``attribution`` tag on the aligned sentences), ``n_sentences``
        and ``n_aligned``.
    """
    from biaskit.analysis import analyze

    out: dict[str, dict[str, Any]] = {}
    for split in splits:
        docs = documents[documents["split"] == split]
        gold = sentences[sentences["split"] == split]
        if docs.empty:
            continue
        cols = [c for c in ("doc_id", "text", "outlet", "title") if c in docs]
        pred = analyze(docs[cols], model, evidence=False)
        both = pred.merge(gold, on=["doc_id", "start", "end"], suffixes=("", "_gold"))
        report = attribution_span_report(both, both)
        y = both["gold_attribution"].astype(bool).to_numpy()
        p = both["attribution"].astype(bool).to_numpy()
        tp = int((y & p).sum())
        prec = tp / int(p.sum()) if p.any() else 0.0
        rec = tp / int(y.sum()) if y.any() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        report["sentence"] = {
            "precision": round(prec, 4),
            "recall": round(rec, 4),
            "f1": round(f1, 4),
        }
        report["n_sentences"] = int(len(gold))
        report["n_aligned"] = int(len(both))
        out[split] = report
    return out
