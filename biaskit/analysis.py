"""Documents → tagged sentence table: segmentation, the tagger, attribution spans, evidence.

This is where a sentence gets its tags. :func:`analyze` runs, for a batch of documents:

1. :func:`biaskit.segment.segment_frame` — sentences with offsets;
2. the model's featurizer and tagger, once over the whole batch (vectorised) — probabilities
   for every label, decisions at the thresholds stored in the model;
3. :func:`biaskit.attribution.extract_article` — source, cue and content spans per article;
4. evidence for every positive tag: the lexicon entries that matched and the features that
   weighed most in the linear model, with character offsets into the document.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from biaskit.attribution import extract_article
from biaskit.errors import InputError
from biaskit.lexicons import default_matcher
from biaskit.quotes import quote_spans
from biaskit.schema import ATTRIBUTION_KINDS, FRAMING_KINDS, SEGMENT_COLUMNS, SENTENCE_COLUMNS
from biaskit.segment import _as_documents, segment_frame

logger = logging.getLogger(__name__)

FEATURE_COLUMNS = ("text", "in_quote", "is_headline", "sent_id", "paragraph")
_FRAMING_LEXICONS = {
    "loaded_terms": "loaded_language",
    "opinion_terms": "opinion",
    "speculation_cues": "speculation",
    "promo_phrases": "promo",
}
_ATTRIBUTION_LEXICONS = {"reporting_verbs", "attribution_phrases", "hedges"}
#: evidence items per positive tag from the model's weights (besides lexicon matches)
TOP_FEATURES = 3
#: probability above which the model alone may tag an attribution with no cue or rule behind it
CONFIDENT = 0.9
#: reporting verbs at least this reliable (lexicon weight), with a named or anonymous source,
#: make an attribution whatever the model says
CERTAIN_SPEECH_WEIGHT = 0.6


def _documents(docs: Any) -> pd.DataFrame:
    frame = _as_documents(docs)
    for col in ("title", "published", "url"):
        if col not in frame.columns:
            frame[col] = None
    frame["text"] = frame["text"].map(
        lambda t: unicodedata.normalize("NFC", t).removeprefix("\ufeff")
    )
    dup = frame["doc_id"].duplicated()
    if dup.any():
        raise InputError(
            f"duplicate doc_id {frame.loc[dup, 'doc_id'].iloc[0]!r} "
            f"(row {int(np.flatnonzero(dup)[0])}); "
            "doc_id must be unique"
        )
    return frame


def analyze(
    docs: Any, model: Any = None, *, evidence: bool = True, keep: Sequence[str] = ("published",)
) -> pd.DataFrame:
    """Tag every sentence of one or many documents.

    Parameters
    ----------
    docs : str, list of str, list of dict, or pandas.DataFrame
        One article text, several, or a documents table with ``text`` (and optionally
        ``doc_id``, ``outlet``, ``title``, ``published``, ``url``).
    model : Model or str or Path, optional
        A model from :func:`biaskit.load_model` or a path to a ``.skops`` file; the shipped
        default model when None (loaded once per process).
    evidence : bool
        Compute the ``evidence`` column (turn off for the fastest batch runs).
    keep : sequence of str
        Document columns copied onto every sentence row (after the schema columns), e.g.
        ``("published", "topic")`` so that ``biaskit.compare(..., strata="topic")`` works.

    Returns
    -------
    pandas.DataFrame
        The tagged sentence table, columns :data:`biaskit.schema.SENTENCE_COLUMNS` plus
        ``kind_proba`` (probability of each kind).

    Examples
    --------
    >>> table = analyze("“We will win,” Gen. Lee said. He reportedly left.")  # doctest: +SKIP
    >>> table[["text", "attribution", "attribution_kind", "source"]]  # doctest: +SKIP
    """
    from biaskit.persist import Model, load_model

    if model is None or not isinstance(model, Model):
        model = load_model(model)
    frame = _documents(docs)
    table = segment_frame(frame)
    if table.empty:
        out = pd.DataFrame(columns=[*SENTENCE_COLUMNS, "kind_proba", "attributions"])
        return out
    pipeline = model.pipeline
    features = pipeline.named_steps["features"]
    tagger = pipeline.named_steps["tagger"]
    X = features.transform(table[list(FEATURE_COLUMNS)])
    proba = tagger.predict_proba(X)
    labels = model.labels
    thr = np.array([model.card["thresholds"][lab] for lab in labels])
    # labels a user's model lacks get index len(labels) below: NaN there, so rules that need
    # such a label's threshold never fire (comparisons with NaN are False)
    thr_ext = np.append(thr, np.nan)
    idx: dict[str, int] = defaultdict(lambda: len(labels))
    idx.update({lab: j for j, lab in enumerate(labels)})
    decided = proba >= thr

    texts = dict(zip(frame["doc_id"], frame["text"], strict=True))
    matcher = default_matcher()
    att_spans: list[Any] = []
    all_matches: list[list[dict[str, Any]]] = []
    for doc_id, group in table.groupby("doc_id", sort=False):
        doc = texts[doc_id]
        spans = list(zip(group["start"], group["end"], strict=True))
        # lexicon matches once per sentence, shared by the attribution rules and evidence
        sent_matches = [matcher.matches(doc[s:e], offset=s) for s, e in spans]
        all_matches.extend(sent_matches)
        att_spans.extend(extract_article(doc, spans, sent_matches))

    names = features.get_feature_names_out() if evidence else None
    coefs = _coefficients(tagger, labels) if evidence else None
    # one list per tag column of the schema (segmentation columns come from the table)
    tag_columns = [c for c in SENTENCE_COLUMNS if c not in SEGMENT_COLUMNS and c != "model_version"]
    rows: dict[str, list[Any]] = {k: [] for k in [*tag_columns, "kind_proba", "attributions"]}
    # reliability fix (issue 10): ``table["doc_id"].map(texts)`` built an Arrow string column
    # holding a copy of the whole document per sentence (memory quadratic in the sentences of
    # a document: a 22,000-sentence text took > 20 GB); a list shares one str per document
    doc_texts = [texts[d] for d in table["doc_id"]]
    # quotation spans per sentence (doc offsets), to tell writer-voice cues from quoted ones
    quote_parts: dict[int, list[tuple[int, int]]] = {}
    row = 0
    for doc_id, group in table.groupby("doc_id", sort=False):
        spans = quote_spans(texts[doc_id])  # sorted, non-overlapping: ends are sorted too
        ends = [b for _, b in spans]
        for s0, e0 in zip(group["start"], group["end"], strict=True):
            # reliability fix (issue 10): bisect to the first quotation ending after s0; scanning
            # every quotation of the document for every sentence was quadratic in its length
            parts = []
            j = bisect.bisect_right(ends, s0)
            while j < len(spans) and spans[j][0] < e0:
                a, b = spans[j]
                parts.append((max(a, s0), min(b, e0)))
                j += 1
            quote_parts[row] = parts
            row += 1
    for i, (doc, start, end, in_quote) in enumerate(
        zip(doc_texts, table["start"], table["end"], table["in_quote"], strict=True)
    ):
        matches = all_matches[i]
        quoted_parts = quote_parts.get(i, [])
        w_matches = [
            m for m in matches if not any(qs <= m["start"] < qe for qs, qe in quoted_parts)
        ]
        # a user's model may predict only some labels: absent ones are never on
        p = np.append(proba[i], np.nan)
        d = np.append(decided[i], False)
        atts = att_spans[i]
        # --- attribution: the model decides, rules give spans; a strong rule rescues a near miss
        p_att = p[idx["attribution"]]
        att_kinds = [k for k in ATTRIBUTION_KINDS if d[idx[k]]]
        strong_rule = any(
            a.rule in ("quote_then_speaker", "according_to", "hedge", "speaker_colon_quote")
            and (a.source or "hedged" in a.kind)
            for a in atts
        )
        # a positive without any rule or attribution cue behind it needs a confident model
        cue_seen = bool(atts) or any(
            m["lexicon"] in _ATTRIBUTION_LEXICONS and m["weight"] >= 0.6 for m in w_matches
        )
        model_att = bool(d[idx["attribution"]] or att_kinds) and (cue_seen or p_att >= CONFIDENT)
        # constructions that are attributions whatever the model says (measured on the corpus
        # and on PolNeAR: docs/error-analysis.md, pattern 3)
        certain = any(_certain(a) for a in atts)
        is_att = (
            model_att
            or certain
            or (strong_rule and p_att >= 0.5 * thr_ext[idx["attribution"]])
        )
        if is_att:
            # the rules see the construction (quote marks, "according to", hedge); the model's
            # kinds decide only where no rule fired
            rule_kinds = {k for a in atts for k in a.kind}
            kinds = rule_kinds or set(att_kinds)
            if not kinds:
                kinds = {max(ATTRIBUTION_KINDS, key=lambda k: np.nan_to_num(p[idx[k]]))}
            att_kinds = [k for k in ATTRIBUTION_KINDS if k in kinds]
        else:
            att_kinds = []
        main = atts[0] if (is_att and atts) else None
        # --- framing, writer voice
        # a kind switches framing on only near the framing threshold (kinds such as
        # speculation have low thresholds of their own)
        fr_kinds = [k for k in FRAMING_KINDS if d[idx[k]]]
        near = p[idx["framing"]] >= 0.5 * thr_ext[idx["framing"]]
        is_fr = bool(d[idx["framing"]] or (fr_kinds and near) or "promo" in fr_kinds)
        if not is_fr:
            fr_kinds = []
        # a strong charged or evaluative term in the writer's voice rescues a near miss
        strong_terms = {
            _FRAMING_LEXICONS[m["lexicon"]]
            for m in w_matches
            if m["lexicon"] in _FRAMING_LEXICONS and m["weight"] >= 0.8
        }
        if not is_fr and strong_terms and p[idx["framing"]] >= 0.5 * thr_ext[idx["framing"]]:
            is_fr = True
        if is_fr:
            fr_kinds = [k for k in FRAMING_KINDS if k in set(fr_kinds) | strong_terms]
            if "promo" in fr_kinds:
                fr_kinds = ["promo"]  # boilerplate is promo and nothing else (guidelines §3)
        if is_fr and not fr_kinds:
            kind_p = {k: p[idx[k]] for k in FRAMING_KINDS if k in labels}
            fr_kinds = [max(kind_p, key=kind_p.get)] if kind_p else []
        # --- framing, quoted voice (kinds from the framing lexicons inside quotation marks)
        q_terms = [
            m
            for m in matches
            if m["lexicon"] in _FRAMING_LEXICONS
            and any(qs <= m["start"] < qe for qs, qe in quoted_parts)
        ]
        # the source's voice: charged terms inside quotation marks (the lexicon decides; the
        # model's quoted_framing label, weak on the corpus, adds weaker terms)
        q_fr = any(
            m["weight"] >= 0.5 and _FRAMING_LEXICONS[m["lexicon"]] != "promo" for m in q_terms
        ) or (bool(d[idx["quoted_framing"]] and in_quote > 0) and bool(q_terms))
        q_kinds: list[str] = []
        if q_fr:
            q_kinds = sorted(
                {
                    _FRAMING_LEXICONS[m["lexicon"]]
                    for m in matches
                    if m["lexicon"] in _FRAMING_LEXICONS
                    and _FRAMING_LEXICONS[m["lexicon"]] != "promo"
                }
            ) or ["loaded_language"]
        voice = "both" if is_fr and q_fr else "writer" if is_fr else "quoted" if q_fr else None
        rows["p_claim"].append(float(p[idx["claim"]]))
        rows["p_attribution"].append(float(p_att))
        rows["p_framing"].append(float(p[idx["framing"]]))
        rows["claim"].append(bool(d[idx["claim"]]) and "promo" not in fr_kinds)
        rows["attribution"].append(is_att)
        rows["framing"].append(is_fr)
        rows["attribution_kind"].append(att_kinds)
        rows["framing_kind"].append(fr_kinds)
        rows["quoted_framing"].append(q_fr)
        rows["quoted_framing_kind"].append(q_kinds)
        rows["framing_voice"].append(voice)
        for key in ("source", "cue", "content"):
            span = getattr(main, key) if main is not None else None
            if key != "content":
                rows[key].append(doc[span[0] : span[1]] if span else None)
            rows[f"{key}_start"].append(span[0] if span else None)
            rows[f"{key}_end"].append(span[1] if span else None)
        rows["source_type"].append(main.source_type if main is not None else None)
        rows["source_entity"].append(main.entity if main is not None else None)
        rows["kind_proba"].append(
            {lab: round(float(proba[i, j]), 4) for j, lab in enumerate(labels)}
        )
        rows["attributions"].append([_att_record(doc, a) for a in atts] if is_att else [])
        if evidence:
            rows["evidence"].append(
                _evidence(
                    doc,
                    start,
                    end,
                    X,
                    i,
                    names,
                    coefs,
                    labels,
                    p,
                    d,
                    idx,
                    {
                        "claim": rows["claim"][-1],
                        "attribution": is_att,
                        "framing": is_fr,
                        "quoted_framing": q_fr,
                    },
                    att_kinds,
                    fr_kinds,
                    matches,
                    atts if is_att else [],
                    in_quote,
                )
            )
        else:
            rows["evidence"].append([])
    out = table.copy()
    for key, values in rows.items():
        out[key] = values
    out["model_version"] = model.version
    for col in (
        "source_start",
        "source_end",
        "cue_start",
        "cue_end",
        "content_start",
        "content_end",
    ):
        out[col] = out[col].astype("Int64")
    out = out[[*SENTENCE_COLUMNS, "kind_proba", "attributions"]]
    for col in keep:
        if col not in frame.columns:
            if col == "published":
                continue
            raise InputError(f"keep: the documents have no column {col!r}")
        out[col] = out["doc_id"].map(dict(zip(frame["doc_id"], frame[col], strict=True)))
    return out


def _certain(a: Any) -> bool:
    """An attribution construction clear enough to tag without the model's agreement."""
    if a.rule in ("according_to", "document_verb", "quote_then_speaker", "speaker_colon_quote"):
        return a.source is not None
    if a.rule == "hedge":
        return a.cue_weight >= 0.6
    if a.rule == "reported_speech":
        return a.cue_weight >= CERTAIN_SPEECH_WEIGHT and a.source_type in (
            "person", "organisation", "anonymous"
        )
    return False


def _att_record(doc: str, a: Any) -> dict[str, Any]:
    """All spans of one attribution (the columns hold only the sentence's main one)."""
    rec: dict[str, Any] = {
        "kind": list(a.kind),
        "rule": a.rule,
        "source_type": a.source_type,
        "entity": a.entity,
    }
    for key in ("source", "cue", "content"):
        span = getattr(a, key)
        rec[key] = (
            None
            if span is None
            else {"start": int(span[0]), "end": int(span[1]), "text": doc[span[0] : span[1]]}
        )
    return rec


def _coefficients(tagger: Any, labels: list[str]) -> dict[str, np.ndarray | None]:
    models = tagger.linear_models()
    return {
        lab: (m.coef_.ravel() if m is not None else None)
        for lab, m in zip(labels, models, strict=True)
    }


def _evidence(
    doc: str,
    start: int,
    end: int,
    X: Any,
    i: int,
    names: np.ndarray,
    coefs: dict[str, np.ndarray | None],
    labels: list[str],
    p: np.ndarray,
    d: np.ndarray,
    idx: dict[str, int],
    tags: dict[str, bool],
    att_kinds: list[str],
    fr_kinds: list[str],
    matches: list[dict[str, Any]],
    atts: list[Any],
    in_quote: float,
) -> list[dict[str, Any]]:
    """Evidence items for the positive tags of one sentence (doc offsets)."""
    items: list[dict[str, Any]] = []
    text = doc[start:end]
    row = X.getrow(i)
    for tag, positive in tags.items():
        if not positive:
            continue
        # lexicon entries that back this tag
        for m in matches:
            lex = m["lexicon"]
            if (
                tag == "attribution"
                and lex in _ATTRIBUTION_LEXICONS
                and (lex != "hedges" or m["kind"] == "distancing")
            ):
                items.append(_item(tag, m["kind"], m, f"lexicon:{lex}/{m['kind']}"))
            elif tag in ("framing", "quoted_framing") and lex in _FRAMING_LEXICONS:
                kind = _FRAMING_LEXICONS[lex]
                if tag == "framing" and kind in fr_kinds or tag == "quoted_framing":
                    items.append(_item(tag, kind, m, f"lexicon:{lex}/{m['kind']}"))
        # the attribution rule that gave the spans
        if tag == "attribution":
            for a in atts[:2]:
                if a.cue:
                    items.append(
                        {
                            "tag": tag,
                            "kind": "+".join(a.kind),
                            "term": doc[a.cue[0] : a.cue[1]],
                            "start": a.cue[0],
                            "end": a.cue[1],
                            "weight": 1.0,
                            "rule": f"attribution:{a.rule}",
                        }
                    )
        # highest-weighted features of the linear model for this tag
        coef = coefs.get(tag) if coefs else None
        if coef is None:
            continue
        contrib = row.data * coef[row.indices]
        order = np.argsort(-contrib)[:TOP_FEATURES]
        for k in order:
            if contrib[k] <= 0:
                break
            name = str(names[row.indices[k]])
            item = {
                "tag": tag,
                "kind": None,
                "term": name.split(":", 1)[1] if ":" in name else name,
                "start": None,
                "end": None,
                "weight": round(float(contrib[k]), 4),
                "rule": f"feature:{name}",
            }
            if name.startswith("word:"):
                # the n-gram as whole words ("one" must not point into "once")
                hit = re.search(
                    r"(?<![\w’'-])" + r"\s+".join(map(re.escape, item["term"].split()))
                    + r"(?![\w’'-])",
                    text,
                    re.IGNORECASE,
                )
                if hit:
                    item["start"], item["end"] = start + hit.start(), start + hit.end()
                    item["term"] = hit.group()
            items.append(item)
        items.append(
            {
                "tag": tag,
                "kind": None,
                "term": None,
                "start": None,
                "end": None,
                "weight": round(float(p[idx[tag]]), 4),
                "rule": "probability",
            }
        )
    return items


def _item(tag: str, kind: str, m: dict[str, Any], rule: str) -> dict[str, Any]:
    return {
        "tag": tag,
        "kind": kind,
        "term": m["term"],
        "start": m["start"],
        "end": m["end"],
        "weight": float(m["weight"]),
        "rule": rule,
    }
