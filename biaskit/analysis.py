"""Documents → tagged sentence table: segmentation, the tagger, attribution spans, evidence.

This is where a sentence gets its tags. :func:`analyze` runs, for a batch of documents:

1. :func:`biaskit.segment.segment_frame` — sentences with offsets;
2. the model's featurizer and tagger, once over the whole batch (vectorised) — probabilities
   for every label, decisions at the thresholds stored in the model;
3. lexicon matches (for the whole batch at once) and :func:`biaskit.attribution.extract_article`
   — source, cue and content spans per article;
4. the tag decisions, as array operations over all sentences; Python runs per sentence only
   where a rule fired or a lexicon term matched (what the rules say) and where a tag is on
   (kinds, spans);
5. evidence for every positive tag: the lexicon entries that matched and the features that
   weighed most in the linear model (found rank by rank for the whole batch), with character
   offsets into the document; each kind of item is built for the whole batch and put in each
   sentence's order by one sort.

Performance (issue #5) is measured by ``benchmarks/bench_tagger.py``.
"""

from __future__ import annotations

import bisect
import gc
import logging
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from biaskit._offsets import OffsetMap, normalise
from biaskit.attribution import STATE_ADJECTIVES, extract_article
from biaskit.errors import InputError
from biaskit.lexicons import default_matcher
from biaskit.quotes import quote_spans, remembered
from biaskit.schema import ATTRIBUTION_KINDS, FRAMING_KINDS, SEGMENT_COLUMNS, SENTENCE_COLUMNS
from biaskit.segment import _as_documents, segment_frame

logger = logging.getLogger(__name__)

# the attribution span columns of the sentence table: "source" ... "content_end"
_SPAN_COLUMNS = SENTENCE_COLUMNS[
    SENTENCE_COLUMNS.index("source") : SENTENCE_COLUMNS.index("content_end") + 1
]

#: the offset columns of the attribution spans (nullable integers)
_OFFSET_COLUMNS = frozenset(
    ("source_start", "source_end", "cue_start", "cue_end", "content_start", "content_end")
)

FEATURE_COLUMNS = ("text", "in_quote", "is_headline", "sent_id", "paragraph")
_FRAMING_LEXICONS = {
    "loaded_terms": "loaded_language",
    "opinion_terms": "opinion",
    "speculation_cues": "speculation",
    "promo_phrases": "promo",
}
_ATTRIBUTION_LEXICONS = {"reporting_verbs", "attribution_phrases", "hedges"}
#: below this lexicon weight an attribution term is more often something else ("the state",
#: "a flag", "peace talks"): evidence only where a rule took it as the cue
_LOOSE_CUE = 0.5
#: evidence items per positive tag from the model's weights (besides lexicon matches)
TOP_FEATURES = 3
#: probability above which the model alone may tag an attribution with no cue or rule behind it
CONFIDENT = 0.9
#: reporting verbs at least this reliable (lexicon weight), with a named or anonymous source,
#: make an attribution whatever the model says
CERTAIN_SPEECH_WEIGHT = 0.6
#: the same for a described source (a role or a broad group: "experts", "the judge"), which
#: needs a plain verb of saying ("said", "says", "told"; lexicon weight)
CERTAIN_ROLE_WEIGHT = 0.9
#: plain verbs of saying (the first word of the cue)
_SAY_CUES = frozenset(("say", "says", "said", "saying", "tell", "tells", "told", "stated"))
#: request verbs: with no reporting frame, not sure enough to overrule the model
_REQUEST_CUES = frozenset(("ask", "asks", "asked", "asking", "asked for", "ask for"))
#: attribution rules that, with a source or a hedge, rescue a near miss of the model
_STRONG_RULES = frozenset(
    (
        "quote_then_speaker", "according_to", "hedge", "speaker_colon_quote", "quote_sequel",
        "estimate", "transcript_label", "speaker_turn",
    )
)
#: the tags that get evidence, in the order of their items
_TAGS = ("claim", "attribution", "framing", "quoted_framing")
#: sort keys of evidence items per tag: lexicon and rules, each feature rank, probability
_KEYS_PER_TAG = TOP_FEATURES + 2
#: sort keys of evidence items per sentence
_KEYS = _KEYS_PER_TAG * len(_TAGS)
#: a value not computed yet
_UNKNOWN = object()
#: a word of an n-gram the run comparison can match exactly (ASCII and ’ only)
_FAST_WORD = re.compile(r"[A-Za-z0-9_’'-]+")
#: the only characters outside ASCII and ``’`` that ``re.IGNORECASE`` matches to ASCII letters
#: (İ ı ſ K), or whose ``str.lower()`` holds ASCII (checked over every code point)
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
#: the characters besides letters and digits that ``[\w’'-]`` holds
_WORD_PUNCT = "_’'-"


def _documents(docs: Any) -> tuple[pd.DataFrame, dict[str, tuple[str, OffsetMap]]]:
    """The documents table to tag, and the raw text and offset map of each changed document.

    Texts are tagged in NFC without a leading BOM (lexicons and features expect it). Only
    the documents that this changes (few; the check is cheap) get
    ``doc_id -> (raw text, OffsetMap)``, so that :func:`_to_raw_offsets` can give the user
    offsets into the text they passed.
    """
    frame = _as_documents(docs)
    for col in ("title", "published", "url"):
        if col not in frame.columns:
            frame[col] = None
    raw_texts = frame["text"].tolist()
    normalised = [normalise(t) for t in raw_texts]
    changed = {
        doc_id: (raw, offsets)
        for doc_id, raw, (_, offsets) in zip(frame["doc_id"], raw_texts, normalised, strict=True)
        if offsets is not None
    }
    if changed:
        # only then: an unchanged column keeps its dtype and its values as they were
        frame["text"] = pd.Series(
            [t for t, _ in normalised], index=frame.index, dtype=frame["text"].dtype
        )
    dup = frame["doc_id"].duplicated()
    if dup.any():
        raise InputError(
            f"duplicate doc_id {frame.loc[dup, 'doc_id'].iloc[0]!r} "
            f"(row {int(np.flatnonzero(dup)[0])}); "
            "doc_id must be unique"
        )
    return frame, changed


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
        Compute the ``evidence`` column (turn off for the fastest batch runs: the column is
        then empty lists; tags, kinds, probabilities and spans are the same).
    keep : sequence of str
        Document columns copied onto every sentence row (after the schema columns), e.g.
        ``("published", "topic")`` so that ``biaskit.compare(..., strata="topic")`` works.

    Returns
    -------
    pandas.DataFrame
        The tagged sentence table, columns :data:`biaskit.schema.SENTENCE_COLUMNS` plus
        ``kind_proba`` (probability of each kind).
        Every offset (``start``/``end``, the spans' columns, the ``attributions`` and
        ``evidence`` items) indexes the text as passed, and the strings cut from it (``text``,
        ``source``, ``cue``, span texts, evidence terms) are its slices, though the tagger
        reads the text in Unicode NFC without a leading byte order mark.

    Notes
    -----
    The boolean tags are the model's decisions at the thresholds stored in its card, with
    the rules of biaskit's guidelines on top, so a tag can differ from ``p_* >= threshold``:

    - ``attribution``: the model's decision (the tag or one of its kinds above its threshold)
      where a rule or a reporting cue backs it, or ``p_attribution >= 0.9`` without one; a
      clear construction ("according to X", “…,” X said) whatever the model says; and, when
      ``p_attribution >= 0.5 x threshold``, a near miss backed by one of the strong rules
      (a hedge, a quote sequel, an estimate, a transcript label or turn, …) with a source.
    - ``framing`` (writer's voice): ``p_framing >= threshold``; or a framing kind above its
      own threshold (speculation and promo have low ones), or a strong charged term, when
      ``p_framing >= 0.5 x threshold``; a promo line always.
    - ``claim``: ``p_claim >= threshold``.

    The ``evidence`` column says, per sentence and tag, which rule, lexicon entries and
    features decided it, and the probability.

    Examples
    --------
    >>> table = analyze("“We will win,” Gen. Lee said. He reportedly left.")  # doctest: +SKIP
    >>> table[["text", "attribution", "attribution_kind", "source"]]  # doctest: +SKIP
    """
    # the cyclic garbage collector would walk the whole batch (matches, spans, evidence) over
    # and over, about a tenth of the run time; a call leaves only a few dozen objects in cycles
    with _gc_paused():
        return _analyze(docs, model, evidence=evidence, keep=keep)


def _analyze(docs: Any, model: Any, *, evidence: bool, keep: Sequence[str]) -> pd.DataFrame:
    """:func:`analyze` with the garbage collector paused."""
    from biaskit.persist import Model, load_model

    if model is None or not isinstance(model, Model):
        model = load_model(model)
    frame, changed = _documents(docs)
    # the segmenter, the attribution rules and the quotation parts below each need the
    # quotations of every document: found once
    with remembered(frame["text"].tolist()):
        table = _tag(frame, model, evidence=evidence, keep=keep)
    if changed:
        _to_raw_offsets(table, changed)
    return table


def _tag(frame: pd.DataFrame, model: Any, *, evidence: bool, keep: Sequence[str]) -> pd.DataFrame:
    """:func:`analyze` of the documents table ``frame`` (from :func:`_documents`)."""
    table = segment_frame(frame)
    if table.empty:
        # the same columns as a table with rows, ``keep`` included, so that tables concatenate
        kept = _kept_columns(frame, keep)
        return pd.DataFrame(columns=[*SENTENCE_COLUMNS, "kind_proba", "attributions", *kept])
    pipeline = model.pipeline
    features = pipeline.named_steps["features"]
    tagger = pipeline.named_steps["tagger"]
    # featurised once; the same matrix serves every label and the evidence
    X = features.transform(table[list(FEATURE_COLUMNS)])
    proba = tagger.predict_proba(X)
    labels = list(model.labels)
    n = len(table)
    thr = np.array([model.card["thresholds"][lab] for lab in labels])
    # labels a user's model lacks get index len(labels) below: NaN probability and False
    # decision there, so rules that need such a label never fire (comparisons with NaN are
    # False)
    thr_ext = np.append(thr, np.nan)
    idx: dict[str, int] = defaultdict(lambda: len(labels))
    idx.update({lab: j for j, lab in enumerate(labels)})
    P = np.column_stack([proba, np.full(n, np.nan)])
    D = np.column_stack([proba >= thr, np.zeros(n, dtype=bool)])

    texts = dict(zip(frame["doc_id"], frame["text"], strict=True))
    # the outlet names its own transcript questions ("LEDGER: Why now?"): not a quotation
    outlets = (
        dict(zip(frame["doc_id"], frame["outlet"], strict=True)) if "outlet" in frame else {}
    )
    doc_ids = table["doc_id"].tolist()
    starts = table["start"].tolist()
    ends = table["end"].tolist()
    # reliability fix (issue 10): ``table["doc_id"].map(texts)`` built an Arrow string column
    # holding a copy of the whole document per sentence (memory quadratic in the sentences of
    # a document: a 22,000-sentence text took > 20 GB); a list shares one str per document
    doc_texts = [texts[d] for d in doc_ids]

    # --- per document: lexicon matches, attribution rules, quotation parts. segment_frame
    # emits each document's sentences as one contiguous run of rows.
    # lexicon matches of every sentence, found for the whole batch at once and shared by the
    # attribution rules and the evidence
    sentences = [doc[s:e] for doc, s, e in zip(doc_texts, starts, ends, strict=True)]
    all_matches: list[list[dict[str, Any]]] = default_matcher().matches_many(sentences, starts)
    att_spans: list[list[Any]] = []
    # quotation parts per sentence (doc offsets), only where a lexicon term matched: they
    # tell writer-voice cues from quoted ones
    quote_parts: dict[int, list[tuple[int, int]]] = {}
    runs = _runs(doc_ids)
    if len(runs) != len(set(doc_ids)):
        raise RuntimeError("segment_frame must emit each document's sentences as one run")
    for a, b in runs:
        doc = doc_texts[a]
        spans = list(zip(starts[a:b], ends[a:b], strict=True))
        sent_matches = all_matches[a:b]
        outlet = outlets.get(doc_ids[a])
        att_spans.extend(
            extract_article(
                doc, spans, sent_matches, outlet=outlet if isinstance(outlet, str) else None
            )
        )
        if any(sent_matches):
            quotes = quote_spans(doc)  # sorted, non-overlapping: ends are sorted too
            q_ends = [e for _, e in quotes]
            for k, (s0, e0) in enumerate(spans):
                if sent_matches[k]:
                    quote_parts[a + k] = _parts(quotes, q_ends, s0, e0)

    # --- what the rules and lexicons say, only for sentences where something matched
    # lists while filled (setting a numpy element costs several times a list item's), arrays
    # for the decisions
    cue_seen_l = [False] * n
    strong_rule_l = [False] * n
    certain_l = [False] * n
    has_strong_term_l = [False] * n
    q_lexicon_l = [False] * n
    q_any_l = [False] * n
    strong_terms: dict[int, set[str]] = {}
    for i in range(n):
        atts = att_spans[i]
        matches = all_matches[i]
        if not atts and not matches:
            continue
        if atts:
            cue_seen_l[i] = True
            strong_rule_l[i] = any(
                a.rule in _STRONG_RULES and (a.source or "hedged" in a.kind) for a in atts
            )
            # constructions that are attributions whatever the model says (measured on the
            # corpus and on PolNeAR: docs/error-analysis.md, pattern 3)
            certain_l[i] = any(_certain(a) for a in atts)
        if not matches:
            continue
        quoted_parts = quote_parts[i]
        # most sentences hold no quotation: every match is then in the writer's voice
        w_matches = (
            [m for m in matches if not any(qs <= m["start"] < qe for qs, qe in quoted_parts)]
            if quoted_parts
            else matches
        )
        # a positive without any rule or attribution cue behind it needs a confident model
        if not atts:
            cue_seen_l[i] = any(
                m["lexicon"] in _ATTRIBUTION_LEXICONS and m["weight"] >= 0.6 for m in w_matches
            )
        # a strong charged or evaluative term in the writer's voice rescues a near miss
        terms = {
            _FRAMING_LEXICONS[m["lexicon"]]
            for m in w_matches
            if m["lexicon"] in _FRAMING_LEXICONS and m["weight"] >= 0.8
        }
        if terms:
            strong_terms[i] = terms
            has_strong_term_l[i] = True
        if not quoted_parts:
            continue
        # framing, quoted voice: kinds from the framing lexicons inside quotation marks
        q_terms = [
            m
            for m in matches
            if m["lexicon"] in _FRAMING_LEXICONS
            and any(qs <= m["start"] < qe for qs, qe in quoted_parts)
        ]
        q_any_l[i] = bool(q_terms)
        q_lexicon_l[i] = any(
            m["weight"] >= 0.5 and _FRAMING_LEXICONS[m["lexicon"]] != "promo" for m in q_terms
        )

    cue_seen, strong_rule, certain, has_strong_term, q_lexicon, q_any = (
        np.array(flags, dtype=bool)
        for flags in (cue_seen_l, strong_rule_l, certain_l, has_strong_term_l, q_lexicon_l, q_any_l)
    )

    # --- decisions, vectorised over sentences
    ia, ifr = idx["attribution"], idx["framing"]
    att_cols = [idx[k] for k in ATTRIBUTION_KINDS]
    fr_cols = [idx[k] for k in FRAMING_KINDS]
    p_att = P[:, ia]
    # attribution: the model decides, rules give spans; a strong rule rescues a near miss
    model_att = (D[:, ia] | D[:, att_cols].any(axis=1)) & (cue_seen | (p_att >= CONFIDENT))
    is_att = model_att | certain | (strong_rule & (p_att >= 0.5 * thr_ext[ia]))
    # framing, writer voice: a kind switches framing on only near the framing threshold
    # (kinds such as speculation have low thresholds of their own)
    near = P[:, ifr] >= 0.5 * thr_ext[ifr]
    fr_model = D[:, ifr] | (D[:, fr_cols].any(axis=1) & near) | D[:, idx["promo"]]
    is_fr = fr_model | (has_strong_term & near)
    # the source's voice: charged terms inside quotation marks (the lexicon decides; the
    # model's quoted_framing label, weak on the corpus, adds weaker terms)
    in_quote = table["in_quote"].to_numpy(dtype=float)
    q_fr = q_lexicon | (D[:, idx["quoted_framing"]] & (in_quote > 0) & q_any)
    claim = D[:, idx["claim"]].copy()

    framing_labels = [k for k in FRAMING_KINDS if k in labels]
    att_kind_col: list[list[str]] = [[] for _ in range(n)]
    fr_kind_col: list[list[str]] = [[] for _ in range(n)]
    q_kind_col: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(is_att).tolist():
        atts = att_spans[i]
        # the rules see the construction (quote marks, "according to", hedge); the model's
        # kinds decide only where no rule fired
        kinds = {k for a in atts for k in a.kind} or {
            k for k, c in zip(ATTRIBUTION_KINDS, att_cols, strict=True) if D[i, c]
        }
        if not kinds:
            p = P[i]
            kinds = {max(ATTRIBUTION_KINDS, key=lambda k: np.nan_to_num(p[idx[k]]))}
        att_kind_col[i] = [k for k in ATTRIBUTION_KINDS if k in kinds]
    # the model's framing kind decisions as lists (a numpy element at a time is slow)
    fr_on, fr_model_l = D[:, fr_cols].tolist(), fr_model.tolist()
    for i in np.flatnonzero(is_fr).tolist():
        kinds = (
            {k for k, on in zip(FRAMING_KINDS, fr_on[i], strict=True) if on}
            if fr_model_l[i]
            else set()
        )
        fr_kinds = [k for k in FRAMING_KINDS if k in kinds | strong_terms.get(i, set())]
        if "promo" in fr_kinds:
            fr_kinds = ["promo"]  # boilerplate is promo and nothing else (guidelines §3)
        if not fr_kinds and framing_labels:
            kind_p = {k: P[i, idx[k]] for k in framing_labels}
            fr_kinds = [max(kind_p, key=kind_p.get)]
        if "promo" in fr_kinds:
            claim[i] = False
        fr_kind_col[i] = fr_kinds
    for i in np.flatnonzero(q_fr).tolist():
        q_kind_col[i] = sorted(
            {
                _FRAMING_LEXICONS[m["lexicon"]]
                for m in all_matches[i]
                if m["lexicon"] in _FRAMING_LEXICONS
                and _FRAMING_LEXICONS[m["lexicon"]] != "promo"
            }
        ) or ["loaded_language"]
    is_fr_l, q_fr_l = is_fr.tolist(), q_fr.tolist()
    voice = [
        "both" if w and q else "writer" if w else "quoted" if q else None
        for w, q in zip(is_fr_l, q_fr_l, strict=True)
    ]

    # --- spans of the sentence's main attribution, and all of its attributions
    span_cols: dict[str, Any] = {
        k: [None] * n for k in _SPAN_COLUMNS if k not in _OFFSET_COLUMNS
    }
    # per span kind: the rows that have one and its offsets (nullable integer columns below)
    span_rows: dict[str, list[int]] = {key: [] for key in ("source", "cue", "content")}
    span_offsets: dict[str, list[tuple[int, int]]] = {key: [] for key in span_rows}
    att_records: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for i in np.flatnonzero(is_att).tolist():
        atts = att_spans[i]
        if not atts:
            continue
        doc = doc_texts[i]
        main = atts[0]
        for key in ("source", "cue", "content"):
            span = getattr(main, key)
            if span:
                if key != "content":
                    span_cols[key][i] = doc[span[0] : span[1]]
                span_rows[key].append(i)
                span_offsets[key].append(span)
        span_cols["source_type"][i] = main.source_type
        span_cols["source_entity"][i] = main.entity
        att_records[i] = [_att_record(doc, a) for a in atts]
    for key, rows in span_rows.items():
        offsets = np.array(span_offsets[key], dtype=np.int64).reshape(-1, 2)
        for col, values in ((f"{key}_start", offsets[:, 0]), (f"{key}_end", offsets[:, 1])):
            span_cols[col] = _nullable_ints(n, rows, values)

    # arrays where the dtype is known: pandas need not infer it value by value
    columns: dict[str, Any] = {
        "p_claim": P[:, idx["claim"]],
        "p_attribution": p_att,
        "p_framing": P[:, ifr],
        "claim": claim,
        "attribution": is_att,
        "framing": is_fr,
        "attribution_kind": att_kind_col,
        "framing_kind": fr_kind_col,
        "quoted_framing": q_fr,
        "quoted_framing_kind": q_kind_col,
        "framing_voice": voice,
        **span_cols,
        "evidence": [[] for _ in range(n)],
        # map over zip: a fifth faster than a comprehension with zip(..., strict=False)
        "kind_proba": list(map(dict, map(zip, repeat(labels), _round(proba, 4).tolist()))),
        "attributions": att_records,
    }
    if evidence:
        ctx = _EvidenceContext(
            X,
            features.get_feature_names_out(),
            tagger,
            labels,
            P,
            idx,
            {"claim": claim, "attribution": is_att, "framing": is_fr, "quoted_framing": q_fr},
        )
        columns["evidence"] = ctx.column(
            sentences, starts, doc_texts, fr_kind_col, all_matches, att_spans
        )
    # one constructor call over whole columns (assigning them one by one to a copy of the
    # segment table re-checked the frame every time)
    data: dict[str, Any] = {col: table[col] for col in SEGMENT_COLUMNS}
    for col in SENTENCE_COLUMNS[len(SEGMENT_COLUMNS) :]:
        data[col] = model.version if col == "model_version" else columns[col]
    data["kind_proba"] = columns["kind_proba"]
    data["attributions"] = columns["attributions"]
    out = pd.DataFrame(data, index=table.index)
    for col in _kept_columns(frame, keep):
        out[col] = out["doc_id"].map(dict(zip(frame["doc_id"], frame[col], strict=True)))
    return out


def _to_raw_offsets(table: pd.DataFrame, changed: dict[str, tuple[str, OffsetMap]]) -> None:
    """Make the rows of the documents in ``changed`` index the text the user passed, in place.

    Every offset of the sentence table is a document offset (the spans' columns, the
    ``attributions`` items and the evidence items included): each is mapped with the
    document's :class:`~biaskit._offsets.OffsetMap` (starts to starts, ends to ends), and the
    strings cut from the document (``text``, ``source``, ``cue``, span texts, evidence terms)
    are cut again from the raw text, so that they keep slicing exactly. ``source_entity`` is a
    resolved name, not a slice: it stays NFC, the same for NFC and NFD spellings of a name.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`_tag`.
    changed : dict
        ``doc_id -> (raw text, offset map)`` of the documents whose text normalisation changed
        (from :func:`_documents`).
    """
    rows = np.flatnonzero(table["doc_id"].isin(list(changed)).to_numpy()).tolist()
    if not rows:
        return
    doc_ids = table["doc_id"].tolist()
    starts = table["start"].to_numpy(dtype=np.int64, copy=True)
    ends = table["end"].to_numpy(dtype=np.int64, copy=True)
    texts = table["text"].tolist()
    for i in rows:
        raw, offsets = changed[doc_ids[i]]
        starts[i], ends[i] = offsets.start(int(starts[i])), offsets.end(int(ends[i]))
        texts[i] = raw[starts[i] : ends[i]]
    table["start"] = starts
    table["end"] = ends
    table["text"] = pd.Series(texts, index=table.index, dtype=table["text"].dtype)

    # the main attribution's spans: nullable offsets, and the strings of source and cue
    for key in ("source", "cue", "content"):
        s_col, e_col = table[f"{key}_start"], table[f"{key}_end"]
        missing = s_col.isna().to_numpy()
        span_starts = s_col.to_numpy(dtype=np.int64, na_value=0)
        span_ends = e_col.to_numpy(dtype=np.int64, na_value=0)
        strings = table[key].tolist() if key != "content" else None
        for i in rows:
            if missing[i]:
                continue
            raw, offsets = changed[doc_ids[i]]
            span_starts[i] = offsets.start(int(span_starts[i]))
            span_ends[i] = offsets.end(int(span_ends[i]))
            if strings is not None:
                strings[i] = raw[span_starts[i] : span_ends[i]]
        table[f"{key}_start"] = pd.arrays.IntegerArray(span_starts, missing.copy())
        table[f"{key}_end"] = pd.arrays.IntegerArray(span_ends, missing.copy())
        if strings is not None:
            table[key] = pd.Series(strings, index=table.index, dtype=table[key].dtype)

    # all attributions of each sentence, and the evidence items that point into the text
    attributions = table["attributions"].tolist()
    evidence = table["evidence"].tolist()
    for i in rows:
        raw, offsets = changed[doc_ids[i]]
        for record in attributions[i]:
            for key in ("source", "cue", "content"):
                span = record[key]
                if span is not None:
                    span["start"] = s = offsets.start(span["start"])
                    span["end"] = e = offsets.end(span["end"])
                    span["text"] = raw[s:e]
        for item in evidence[i]:
            if item["start"] is not None:
                item["start"] = s = offsets.start(item["start"])
                item["end"] = e = offsets.end(item["end"])
                item["term"] = raw[s:e]


def _kept_columns(frame: pd.DataFrame, keep: Sequence[str]) -> list[str]:
    """The document columns of ``keep`` that go into the sentence table, in order."""
    kept = []
    for col in keep:
        if col not in frame.columns:
            if col == "published":
                continue
            raise InputError(f"keep: the documents have no column {col!r}")
        kept.append(col)
    return kept


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) for the duration of the block."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _nullable_ints(n: int, rows: list[int], values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An ``Int64`` array of length ``n``: ``values`` at ``rows``, missing elsewhere."""
    data = np.zeros(n, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    data[rows] = values
    mask[rows] = False
    return pd.arrays.IntegerArray(data, mask)


def _runs(keys: list[Any]) -> list[tuple[int, int]]:
    """``(start, end)`` row ranges of the runs of equal consecutive keys."""
    cuts = [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
    bounds = [0, *cuts, len(keys)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _parts(
    quotes: list[tuple[int, int]], q_ends: list[int], s0: int, e0: int
) -> list[tuple[int, int]]:
    """The parts of the quotations ``quotes`` (sorted, disjoint) inside ``[s0, e0)``."""
    # reliability fix (issue 10): bisect to the first quotation ending after s0; scanning
    # every quotation of the document for every sentence was quadratic in its length
    parts = []
    j = bisect.bisect_right(q_ends, s0)
    while j < len(quotes) and quotes[j][0] < e0:
        a, b = quotes[j]
        parts.append((max(a, s0), min(b, e0)))
        j += 1
    return parts


def _certain(a: Any) -> bool:
    """An attribution construction clear enough to tag without the model's agreement."""
    if a.rule in (
        "according_to", "document_verb", "quote_then_speaker", "speaker_colon_quote", "what_call",
        "put_it",
    ):
        return a.source is not None
    if a.rule == "headline_colon":
        # "Shopkeeper: ‘They did nothing’": a label then a quotation (a label then plain words
        # is usually a topic, "Peru earthquake: death toll reaches 41")
        return a.source is not None and "direct_quote" in a.kind
    if a.rule == "hedge":
        return a.cue_weight >= 0.6
    if a.rule == "reported_speech":
        if a.frame is not None and a.source_type != "none":
            # a reporting verb with an explicit clause or closing the sentence reports
            # content whatever its lexicon weight ("Observers note that …", "…, the authors
            # report."); attribution.Attribution.frame
            return True
        if a.texts.get("cue", "").lower() in _REQUEST_CUES:
            # "X asked regulators to raise rates", "X asked for a recount": a request is
            # as often an action reported as fact as an attribution; the model decides
            return False
        if (
            a.source_type == "role"
            and a.cue_weight >= CERTAIN_ROLE_WEIGHT
            and a.content
            and a.texts.get("cue", "").split(" ", 1)[0].lower() in _SAY_CUES
        ):
            # "Experts say …", "a federal judge said: …": the plainest verbs of saying with a
            # described source report content (guidelines §2, "Experts say")
            return True
        return a.cue_weight >= CERTAIN_SPEECH_WEIGHT and a.source_type in (
            "person", "organisation", "anonymous"
        )
    return False


def _att_record(doc: str, a: Any) -> dict[str, Any]:
    """All spans of one attribution (the columns hold only the sentence's main one)."""
    return {
        "kind": list(a.kind),
        "rule": a.rule,
        # the reporting frame that made the rule sure ("that", "final"; attribution.py)
        "frame": a.frame,
        "source_type": a.source_type,
        "entity": a.entity,
        "source": _span_record(doc, a.source),
        "cue": _span_record(doc, a.cue),
        "content": _span_record(doc, a.content),
    }


def _span_record(doc: str, span: tuple[int, int] | None) -> dict[str, Any] | None:
    """Start, end and text of one span of an attribution."""
    if span is None:
        return None
    return {"start": int(span[0]), "end": int(span[1]), "text": doc[span[0] : span[1]]}


def _coefficients(tagger: Any, labels: list[str]) -> dict[str, np.ndarray | None]:
    models = tagger.linear_models()
    return {
        lab: (m.coef_.ravel() if m is not None else None)
        for lab, m in zip(labels, models, strict=True)
    }


class _EvidenceContext:
    """What the evidence of the sentences of one :func:`analyze` call draws on, built once."""

    def __init__(
        self,
        X: Any,
        names: np.ndarray,
        tagger: Any,
        labels: list[str],
        P: np.ndarray,
        idx: dict[str, int],
        tags: dict[str, np.ndarray],
    ) -> None:
        X = X.tocsr()
        self.indptr, self.indices = X.indptr, X.indices
        self.names, self.tags = names, tags
        coefs = _coefficients(tagger, labels)
        self.contrib: dict[str, np.ndarray] = {}
        self.top: dict[str, _Top] = {}
        # each tag's probability, rounded as in the evidence (NaN for labels a model lacks)
        self.proba = {tag: _round(P[:, idx[tag]], 4).tolist() for tag in _TAGS}
        # per feature column: its evidence term, rule and whether it is an n-gram of words
        self.features: dict[int, tuple[str, str, bool]] = {}
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        for tag in _TAGS:
            coef = coefs.get(tag)
            if coef is None:
                continue
            # each stored feature value times the tag's weight, for the whole batch at once
            # (the same products as a row at a time)
            contrib = X.data * coef[X.indices]
            self.contrib[tag] = contrib
            if np.isfinite(contrib).all():
                self.top[tag] = _top_positive(contrib, rows, tags[tag], X.indices)
        # per n-gram term in this call: its lowercased words when the string comparison can
        # decide (see _find), and the compiled pattern where it cannot
        self.words: dict[str, list[str] | None] = {}
        self.patterns: dict[str, re.Pattern[str]] = {}

    def _row_top_features(self, tag: str, i: int) -> list[tuple[int, float]]:
        """Feature columns of ``i``'s ``TOP_FEATURES`` largest positive contributions.

        With each, its contribution rounded to 4 decimals (the evidence weight). In the order
        of ``np.argsort(-contrib)`` over the sentence's row, cut at the first contribution that
        is not positive: the order evidence always had, also among equal contributions. The
        batch sort (:func:`_top_positive`) gives the same wherever no two of them tie; this
        serves the rows where they do.
        """
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        contrib = self.contrib[tag][a:b]
        out = []
        for k in np.argsort(-contrib)[:TOP_FEATURES].tolist():
            if contrib[k] <= 0:
                break
            out.append((int(self.indices[a + k]), round(float(contrib[k]), 4)))
        return out

    def _feature(self, j: int) -> tuple[str, str, bool]:
        """Evidence term, rule and whether it is an n-gram of words, of feature column ``j``."""
        feature = self.features.get(j)
        if feature is None:
            name = str(self.names[j])  # str: names may be numpy strings
            feature = self.features[j] = (
                name.split(":", 1)[1] if ":" in name else name,
                f"feature:{name}",
                name.startswith("word:"),
            )
        return feature

    def column(
        self,
        sentences: list[str],
        starts: list[int],
        doc_texts: list[str],
        fr_kinds: list[list[str]],
        all_matches: list[list[dict[str, Any]]],
        att_spans: list[list[Any]],
    ) -> list[list[dict[str, Any]]]:
        """The ``evidence`` column: items for the positive tags of every sentence.

        A sentence's items are, for each positive tag in the order of ``_TAGS``: the lexicon
        entries that back the tag (and for attribution the rules that gave the spans), the
        features that weighed most, the tag's probability. Each kind of item is built for the
        whole batch at once, with a sort key (sentence, tag, kind of item); one stable sort
        then puts them in that order. Sentences with no positive tag get an empty list.

        Parameters
        ----------
        sentences, starts : list
            Each sentence's text and its offset in its document.
        doc_texts : list of str
            Each sentence's document.
        fr_kinds : list of list of str
            Each sentence's framing kinds (the framing lexicon items follow them).
        all_matches : list of list of dict
            Each sentence's lexicon matches (document offsets).
        att_spans : list of list
            Each sentence's attributions from :func:`biaskit.attribution.extract_article`.

        Returns
        -------
        list of list of dict
        """
        n = len(sentences)
        items: list[dict[str, Any]] = []
        keys: list[np.ndarray] = []
        with_matches = np.fromiter(map(bool, all_matches), dtype=bool, count=n)
        # per sentence, its lowercased text where _find may compare strings (else None)
        lowered: list[Any] = [_UNKNOWN] * n
        for t, tag in enumerate(_TAGS):
            on = self.tags[tag]
            base = _KEYS_PER_TAG * t
            # lexicon entries that back the tag, then the attribution rule that gave the spans
            rows: list[int] = []
            if tag == "attribution":
                with_atts = np.fromiter(map(bool, att_spans), dtype=bool, count=n)
                for i in np.flatnonzero(on & (with_matches | with_atts)).tolist():
                    k = len(items)
                    for m in all_matches[i]:
                        lex = m["lexicon"]
                        if (
                            lex in _ATTRIBUTION_LEXICONS
                            and (lex != "hedges" or m["kind"] == "distancing")
                            and (
                                # an attitude adjective ("are confident that", not "Certain
                                # voters") and a form that is usually something else ("the
                                # flag", "one state regulator", "energy sources": weight
                                # < 0.5) back the tag only inside a rule's cue (or, for a
                                # source phrase, its source)
                                m["weight"] >= _LOOSE_CUE
                                and m["term"].lower() not in STATE_ADJECTIVES
                                or any(
                                    a.cue and a.cue[0] <= m["start"] < a.cue[1]
                                    or lex == "attribution_phrases"
                                    and a.source
                                    and a.source[0] <= m["start"] < a.source[1]
                                    for a in att_spans[i]
                                )
                            )
                        ):
                            items.append(_item(tag, m["kind"], m, f"lexicon:{lex}/{m['kind']}"))
                    doc = doc_texts[i]
                    for att in att_spans[i][:2]:
                        if att.cue:
                            items.append(
                                {
                                    "tag": tag,
                                    "kind": "+".join(att.kind),
                                    "term": doc[att.cue[0] : att.cue[1]],
                                    "start": att.cue[0],
                                    "end": att.cue[1],
                                    "weight": 1.0,
                                    "rule": f"attribution:{att.rule}",
                                }
                            )
                    rows += [i] * (len(items) - k)
            elif tag != "claim":  # framing, quoted_framing
                for i in np.flatnonzero(on & with_matches).tolist():
                    k = len(items)
                    for m in all_matches[i]:
                        lex = m["lexicon"]
                        if lex in _FRAMING_LEXICONS:
                            kind = _FRAMING_LEXICONS[lex]
                            if tag == "quoted_framing" or kind in fr_kinds[i]:
                                items.append(_item(tag, kind, m, f"lexicon:{lex}/{m['kind']}"))
                    rows += [i] * (len(items) - k)
            keys.append(np.array(rows, dtype=np.int64) * _KEYS + base)
            if tag not in self.contrib:
                continue
            # highest-weighted features of the linear model for this tag
            top = self.top.get(tag)
            if top is None:  # contributions not all finite: every row on its own
                f_rows: list[int] = []
                ranks: list[int] = []
                f_columns: list[int] = []
                weights: list[float] = []
                alone = np.flatnonzero(on).tolist()
            else:
                keep = ~top.tied[top.rows]
                f_rows, ranks = top.rows[keep].tolist(), top.ranks[keep].tolist()
                f_columns, weights = top.columns[keep].tolist(), top.weights[keep].tolist()
                alone = np.flatnonzero(top.tied).tolist()
            for i in alone:
                for rank, (j, weight) in enumerate(self._row_top_features(tag, i)):
                    f_rows.append(i)
                    ranks.append(rank)
                    f_columns.append(j)
                    weights.append(weight)
            for j in set(f_columns).difference(self.features):
                self._feature(j)
            features = list(map(self.features.__getitem__, f_columns))
            k = len(items)
            items += [
                {
                    "tag": tag,
                    "kind": None,
                    "term": term,
                    "start": None,
                    "end": None,
                    "weight": weight,
                    "rule": rule,
                }
                for (term, rule, _), weight in zip(features, weights, strict=True)
            ]
            # n-grams of words point at their first occurrence as whole words ("one" must not
            # point into "once")
            find = self._find
            for p in [p for p, feature in enumerate(features) if feature[2]]:
                i = f_rows[p]
                text = sentences[i]
                low = lowered[i]
                if low is _UNKNOWN:
                    # isascii is a flag lookup: most texts skip the scan for the four
                    low = lowered[i] = (
                        text.lower() if text.isascii() or not _FOLDS_TO_ASCII.search(text) else None
                    )
                hit = find(text, low, features[p][0])
                if hit:
                    item = items[k + p]
                    item["start"], item["end"] = starts[i] + hit[0], starts[i] + hit[1]
                    item["term"] = text[hit[0] : hit[1]]
            keys.append(
                np.array(f_rows, dtype=np.int64) * _KEYS
                + (base + 1)
                + np.array(ranks, dtype=np.int64)
            )
            # the tag's probability
            proba = self.proba[tag]
            on_rows = np.flatnonzero(on)
            items += [
                {
                    "tag": tag,
                    "kind": None,
                    "term": None,
                    "start": None,
                    "end": None,
                    "weight": proba[i],
                    "rule": "probability",
                }
                for i in on_rows.tolist()
            ]
            keys.append(on_rows.astype(np.int64) * _KEYS + (base + 1 + TOP_FEATURES))
        key = np.concatenate(keys)
        ordered = [items[k] for k in np.argsort(key, kind="stable").tolist()]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(key // _KEYS, minlength=n))])
        bounds_l = bounds.tolist()
        return [ordered[a:b] for a, b in zip(bounds_l[:-1], bounds_l[1:], strict=True)]

    def _find(self, text: str, lowered: str | None, term: str) -> tuple[int, int] | None:
        r"""Span of the first match of ``_ngram_pattern(term)`` in ``text``, or None.

        The pattern's steps done with string methods where that is exact: the term holds only
        ASCII letters, digits and ``_’'-``, and ``lowered`` (``text.lower()``, None when the
        text holds one of the four characters that match ASCII letters case-insensitively)
        has the text's length, so comparing lowercased slices is ``re.IGNORECASE``'s
        comparison, ``str.isspace`` is ``\s`` and ``c.isalnum() or c in _WORD_PUNCT`` is
        ``[\w’'-]``. Other terms and texts go to the regex.
        """
        if term in self.words:
            words = self.words[term]
        else:
            split = term.split()
            ok = split and all(_FAST_WORD.fullmatch(w) for w in split)
            words = self.words[term] = [w.lower() for w in split] if ok else None
        if lowered is None or words is None:
            return self._search(text, term)
        n_text = len(text)
        first = words[0]
        p = lowered.find(first)
        while p >= 0:
            # ``[\w’'-]`` tested inline (the hot loop of the evidence)
            if p == 0 or not (text[p - 1].isalnum() or text[p - 1] in _WORD_PUNCT):
                q = p + len(first)
                for w in words[1:]:
                    if q >= n_text or not text[q].isspace():
                        break
                    q += 1
                    while q < n_text and text[q].isspace():
                        q += 1
                    if not lowered.startswith(w, q):
                        break
                    q += len(w)
                else:
                    if q >= n_text or not (text[q].isalnum() or text[q] in _WORD_PUNCT):
                        return p, q
            p = lowered.find(first, p + 1)
        return None

    def _search(self, text: str, term: str) -> tuple[int, int] | None:
        pattern = self.patterns.get(term)
        if pattern is None:
            pattern = self.patterns[term] = _ngram_pattern(term)
        hit = pattern.search(text)
        return (hit.start(), hit.end()) if hit else None


class _Top(NamedTuple):
    """The ``TOP_FEATURES`` largest positive contributions of each row (see _top_positive)."""

    #: per entry: its row, its rank in the row (0 the largest), its column, its value
    #: rounded to 4 decimals (entries in no particular order)
    rows: np.ndarray
    ranks: np.ndarray
    columns: np.ndarray
    weights: np.ndarray
    #: per row: two of its first ``TOP_FEATURES`` entries, or the last of them and the next,
    #: are equal
    tied: np.ndarray


def _top_positive(
    contrib: np.ndarray, rows: np.ndarray, wanted: np.ndarray, columns: np.ndarray
) -> _Top:
    """The ``TOP_FEATURES`` largest positive entries of each ``wanted`` row; rows with ties.

    ``contrib`` (finite), ``rows`` (sorted) and ``columns`` give each stored entry's value,
    row and column. Rows not wanted have no entries. The order among equal values is left
    open: rows where it matters are the ``tied`` ones.

    Rank by rank: the largest value left in each row (one ``maximum.reduceat``) is the entry
    of that rank, and the row is tied when the value is there more than once (the entry of
    the next rank equals it). A few passes over the entries instead of sorting them.
    """
    n = len(wanted)
    pos = np.flatnonzero((contrib > 0) & wanted[rows])
    m = len(pos)
    tied = np.zeros(n, dtype=bool)
    counts = np.bincount(rows[pos], minlength=n)
    present = np.flatnonzero(counts)
    if not m:
        empty = np.zeros(0, dtype=np.int64)
        return _Top(empty, empty, columns[empty], np.zeros(0), tied)
    counts = counts[present]
    seg = np.concatenate([[0], np.cumsum(counts)[:-1]])
    left = contrib[pos]  # the values not taken yet; taken ones become -inf
    at = np.arange(m)
    out_rows, out_ranks, out_at = [], [], []
    for rank in range(TOP_FEATURES):
        best = np.maximum.reduceat(left, seg)
        is_best = left == np.repeat(best, counts)
        live = best > -np.inf  # rows with an entry left
        tied[present[live & (np.add.reduceat(is_best, seg, dtype=np.int64) > 1)]] = True
        first = np.minimum.reduceat(np.where(is_best, at, m), seg)[live]
        left[first] = -np.inf
        out_rows.append(present[live])
        out_ranks.append(np.full(len(first), rank))
        out_at.append(first)
    taken = pos[np.concatenate(out_at)]
    return _Top(
        np.concatenate(out_rows),
        np.concatenate(out_ranks),
        columns[taken],
        _round(contrib[taken], 4),
        tied,
    )


def _round(values: np.ndarray, ndigits: int) -> np.ndarray:
    """``round(v, ndigits)`` of every value, as an array (a fraction of the time of the loop).

    ``rint(v * 10**ndigits) / 10**ndigits`` is Python's (correctly rounded) result wherever the
    product is not within its own rounding error of a half: below 2**30 that error is under
    2.4e-7, so products more than 1e-6 from a half are clear. Others (near a half, large or
    not finite) go to ``round``.
    """
    scale = 10.0**ndigits
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values * scale
        out = np.rint(scaled) / scale
        clear = (np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) & (np.abs(scaled) < 2.0**30)
    rest = np.flatnonzero(~clear)
    if len(rest):
        flat, src = out.reshape(-1), values.reshape(-1)
        flat[rest] = [round(v, ndigits) for v in src[rest].tolist()]
    return out


def _ngram_pattern(term: str) -> re.Pattern[str]:
    """The n-gram ``term`` as whole words, case-insensitive, any whitespace between words."""
    return re.compile(
        r"(?<![\w’'-])" + r"\s+".join(map(re.escape, term.split())) + r"(?![\w’'-])",
        re.IGNORECASE,
    )


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
