"""External evaluation of biaskit's shipped model on real news labelled by other people.

What it measures
----------------
The SHIPPED default model (``biaskit.load_model()``), unchanged and never trained on these
sets, on two public datasets read from ``../shared/data`` (see its README for the rules of use):

1. **PolNeAR** (attribution in political news, BRAT standoff), ``dev`` (84 articles) and
   ``train`` (840 articles; ``--max-docs`` caps it) as a second, larger check. Through
   :func:`biaskit.brat.score_brat`:

   - sentence-level attribution P/R/F1 on biaskit's own segmentation. A sentence is
     gold-positive when it holds the start of a gold cue span. PolNeAR's notion of attribution
     is broader than biaskit's: beliefs and other propositional attitudes count in both
     (ANNOTATION.md §2 "Beliefs and intentions"), but PolNeAR also annotates intentions, plans,
     evaluations and many actions of political actors ("voted", "backed", "sent a letter"),
     which biaskit does not count. No gold event is removed or remapped: the figure is reported
     as is, and the mapping note is printed with it. A diagnostic second mapping also counts
     sentences that hold words of a gold *content* span (the sentences of a multi-sentence
     quotation, which biaskit's guidelines count as attributed);
   - cue and source span P/R/F1, exact and token-overlap (:mod:`biaskit.evaluation`);
   - attributed sentences per 100 per outlet, predicted vs gold, with Spearman's rho.

2. **CheckThat! 2023 Task 2, English** (sentence subjectivity), ``dev`` (219 sentences) and
   ``train`` (830) as a second check: SUBJ ↔ biaskit's writer-voice ``framing`` tag (any kind),
   OBJ ↔ no writer-voice framing, each sentence scored on its own with
   :func:`biaskit.train.read_labelled` + :func:`biaskit.train.evaluate_model`. The task's
   metric is macro-F1 over OBJ and SUBJ.

Beside every metric, baselines computed in the same run:

- ``regex``: attribution when ``\\b(said|says|told|according to|reportedly)\\b`` matches
  (the matches are the cue spans); for subjectivity, ``lexicon-match``: framing when any term of
  biaskit's loaded/opinion/speculation lexicons (weight >= 0.5) matches;
- ``majority``: the majority class of the set's own ``train`` split (label prior only);
- ``lexicon-only``: biaskit's pipeline with lexicon features only
  (``make_model(use_words=False, use_structure=False)``), fitted on the biaskit corpus
  ``train`` split with the shipped model's ``C``/seed, thresholds tuned on corpus ``dev`` (the
  same recipe as ``train.BASELINES``).

Then it counts failure patterns of the shipped model (false negatives and false positives,
grouped by what the gold cue or the sentence looks like) and measures a few candidate general
fixes by post-processing the model's output (nothing in biaskit is changed): see
``docs/error-analysis.md``. No dataset text is written anywhere: the JSON output holds numbers,
category names and short cue words only.

How to run
----------
::

    python benchmarks/external_eval.py                     # everything (about 2 minutes)
    python benchmarks/external_eval.py --max-docs 200      # cap PolNeAR train
    python benchmarks/external_eval.py --json external.json

When ``../shared/data`` is absent (users of biaskit do not have it) the script says so and
exits with code 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
REGEX = re.compile(r"\b(said|says|told|according to|reportedly)\b", re.IGNORECASE)
SYSTEMS = ("biaskit", "lexicon-only", "regex", "majority")
TARGETS = {
    ("polnear-dev", "sentence F1"): 0.85,
    ("polnear-dev", "cue F1 overlap"): 0.85,
    ("checkthat-dev", "macro-F1 OBJ/SUBJ"): 0.75,
}
CHECKTHAT_MAPPING = (
    "SUBJ <-> biaskit writer-voice `framing` (any kind, including promo); OBJ <-> no "
    "writer-voice framing; quoted framing (the source's voice) does not count; each sentence is "
    "scored alone (read_labelled: no article context, not a headline)."
)
_FRAMING_LEXICONS = ("loaded_terms", "opinion_terms", "speculation_cues")


# --------------------------------------------------------------------------- systems


def lexicon_only_model(corpus: Path, shipped: Any) -> Any:
    """biaskit's pipeline with lexicon features only, fitted on the biaskit corpus."""
    from biaskit.corpus import load
    from biaskit.model import LABELS, make_model
    from biaskit.persist import Model
    from biaskit.train import FEATURE_COLUMNS, gold_matrix

    _, table = load(corpus, skip_invalid=True)
    Y = gold_matrix(table)
    known = [j for j in range(len(LABELS)) if (Y[:, j] >= 0).all()]
    labels = [LABELS[j] for j in known]
    Y = Y[:, known]
    split = table["split"].to_numpy()
    params = shipped.card.get("params", {})
    pipe = make_model(random_state=int(params.get("random_state", 0)),
                      C=float(params.get("C", 0.5)), use_words=False, use_structure=False)
    cols = list(FEATURE_COLUMNS)
    pipe.fit(table.loc[split == "train", cols], Y[split == "train"])
    tagger = pipe.named_steps["tagger"]
    tagger.tune_thresholds(pipe.named_steps["features"].transform(table.loc[split == "dev", cols]),
                           Y[split == "dev"])
    card = {"name": "lexicon-only", "labels": labels, "sha256": "",
            "thresholds": {lab: float(t) for lab, t in zip(labels, tagger.thresholds_,
                                                            strict=True)},
            "trained_on": {k: int(v) for k, v in pd.Series(split).value_counts().items()}}
    return Model(pipe, card, Path("lexicon-only.skops"))


def regex_table(seg: pd.DataFrame) -> pd.DataFrame:
    """The reporting-verb regex baseline as an ``analyze``-shaped table."""
    out = seg[["doc_id", "outlet", "sent_id", "start", "end", "text"]].copy()
    atts = []
    for start, text in zip(out["start"], out["text"], strict=True):
        atts.append([{"kind": [], "rule": "regex", "source": None, "content": None,
                      "cue": {"start": int(start) + m.start(), "end": int(start) + m.end(),
                              "text": m.group()}} for m in REGEX.finditer(text)])
    out["attributions"] = atts
    out["attribution"] = [bool(a) for a in atts]
    out["p_attribution"] = out["attribution"].astype(float)
    return out


def constant_table(seg: pd.DataFrame, positive: bool) -> pd.DataFrame:
    """The majority-class baseline as an ``analyze``-shaped table (no spans)."""
    out = seg[["doc_id", "outlet", "sent_id", "start", "end", "text"]].copy()
    out["attribution"] = positive
    out["p_attribution"] = float(positive)
    out["attributions"] = [[] for _ in range(len(out))]
    return out


def _record(doc: str, a: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"kind": list(a.kind), "rule": a.rule}
    for key in ("source", "cue", "content"):
        span = getattr(a, key)
        rec[key] = None if span is None else {"start": int(span[0]), "end": int(span[1]),
                                              "text": doc[span[0] : span[1]]}
    return rec


def rule_attributions(docs: pd.DataFrame, table: pd.DataFrame) -> list[list[Any]]:
    """biaskit's attribution rules on every sentence, whatever the tagger decided."""
    from biaskit.attribution import extract_article

    texts = dict(zip(docs["doc_id"], docs["text"], strict=True))
    out: list[list[Any]] = [[] for _ in range(len(table))]
    tab = table.reset_index(drop=True)
    for doc_id, group in tab.groupby("doc_id", sort=False):
        spans = list(zip(group["start"], group["end"], strict=True))
        for i, atts in zip(group.index, extract_article(texts[doc_id], spans), strict=True):
            out[i] = atts
    return out


# --------------------------------------------------------------------------- PolNeAR


def polnear_majority(root: Path, max_docs: int | None) -> tuple[bool, float]:
    """Majority class of PolNeAR ``train`` sentences (biaskit segmentation, cue mapping)."""
    from biaskit.brat import read_brat, score_brat
    from biaskit.segment import segment_frame

    corpus = read_brat(root, split="train", max_docs=max_docs)
    seg = segment_frame(corpus.documents)
    res = score_brat(corpus, constant_table(seg, False))
    rate = res["n_gold_sentences"] / max(res["n_sentences"], 1)
    return rate >= 0.5, rate


def run_polnear(root: Path, split: str, max_docs: int | None, models: dict[str, Any],
                majority: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Scores of every system on one PolNeAR split, and the material for error analysis."""
    from biaskit.analysis import analyze
    from biaskit.brat import read_brat, score_brat

    corpus = read_brat(root, split=split, max_docs=max_docs)
    tables = {name: analyze(corpus.documents, m, evidence=False).reset_index(drop=True)
              for name, m in models.items()}
    seg = tables["biaskit"]
    tables["regex"] = regex_table(seg)
    tables["majority"] = constant_table(seg, majority)
    scores = {name: score_brat(corpus, t) for name, t in tables.items()}
    return scores, {"corpus": corpus, "table": tables["biaskit"]}


def _gold_by_sentence(corpus: Any, table: pd.DataFrame) -> tuple[dict[int, list[Any]],
                                                                   np.ndarray]:
    """Gold events per sentence row (by cue start) and the content-overlap flags."""
    gold: dict[int, list[Any]] = defaultdict(list)
    content = np.zeros(len(table), dtype=bool)
    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=True))
    index = {d: g for d, g in table.groupby("doc_id", sort=False)}
    for ev in corpus.attributions:
        g = index.get(ev.doc_id)
        if g is None:
            continue
        hit = g.index[(g["start"] <= ev.cue_start) & (g["end"] > ev.cue_start)]
        if len(hit):
            gold[int(hit[0])].append(ev)
        doc = texts[ev.doc_id]
        for s, e in ev.content:
            for k in g.index[(g["start"] < e) & (g["end"] > s)]:
                lo, hi = max(s, int(table.loc[k, "start"])), min(e, int(table.loc[k, "end"]))
                if re.search(r"\w", doc[lo:hi]):
                    content[k] = True
    return gold, content


_INTENTION = re.compile(
    r"\b(?:want|wants|wanted|wanting|plan|plans|planned|planning|intend\w*|would like|hope\w*|"
    r"seek\w*|sought|pledg\w*|promis\w*|vow\w*|refus\w*|decid\w*|aim\w*|try|tries|tried|"
    r"trying|push\w*|calls? for|called for|calling for|demand\w*|vied|vie|vying|set about|"
    r"determined|intent on|looks? to|looking to|is seeking|threaten\w*|offer\w*)\b")
_BELIEF = re.compile(
    r"\b(?:think\w*|thought|believ\w*|expect\w*|worr\w*|fear\w*|know\w*|knew|feel\w*|felt|"
    r"see|sees|saw|seen|view\w*|consider\w*|agree\w*|doubt\w*|suspect\w*|understand\w*|"
    r"understood|recogni[sz]\w*|assum\w*|concern\w*|convinced|sure|aware|illusions?|"
    r"skeptic\w*|sceptic\w*|optimistic|pessimistic|confident|despair|wonder\w*|seem\w*|"
    r"regard\w*|judg\w*|favou?r\w*|support\w*|oppos\w*|prefer\w*|like|likes|dislike\w*)\b")
_EVIDENCE = re.compile(r"\b(?:show\w*|found|find\w*|reveal\w*|indicat\w*|suggest\w*|"
                       r"conclud\w*|estimat\w*|document\w*|confirm\w*|rated|ranked|project\w*)\b")
_NOMINAL_HEAD = re.compile(
    r"^(?:the|a|an|this|that|these|those|his|her|their|its|our|my|your|some|such|any|"
    r"[\w’']+['’]s)\b|^(?:criticism|message|conclusion|decision|pledge|proposal|statement|"
    r"comments?|remarks?|view|views|outlook|recognition|agreement|claims?|allegations?|"
    r"accusations?|warnings?|argument|position|opinion|concerns?|request|demands?|promise|plan|"
    r"questions?|praise|support|opposition|endorsement|response|criticisms?|rhetoric|speech|"
    r"testimony|report|reports|announcement|reaction|assessment|analysis|account|version)\b")
_PASSIVE = re.compile(r"^(?:is|was|were|are|been|be|being|has been|have been|had been|"
                      r"is being|was being|to be|widely|long)\b")
_COMMUNICATION = re.compile(
    r"\b(?:call\w*|criticiz\w*|criticis\w*|condemn\w*|denounc\w*|accus\w*|defend\w*|"
    r"prais\w*|blast\w*|attack\w*|respond\w*|repl\w*|ask\w*|mention\w*|cit\w*|rais\w*|"
    r"dismiss\w*|reject\w*|question\w*|argu\w*|press\w*|tout\w*|promot\w*|highlight\w*|"
    r"describ\w*|characteri\w*|label\w*|dub\w*|blam\w*|credit\w*|deliver\w*|speak\w*|spoke\w*|"
    r"talk\w*|discuss\w*|debat\w*|address\w*|jok\w*|testif\w*|signal\w*|hint\w*|"
    r"acknowledg\w*|conced\w*|admit\w*|downplay\w*|rail\w*|lash\w*|slam\w*|declin\w*|"
    r"comment\w*|put it|echo\w*|counter\w*|challeng\w*|thank\w*|applaud\w*|mock\w*|"
    r"insult\w*|brought up|bring up|noted|notes|note|wrote|writ\w*|tweet\w*|post\w*|"
    r"message\w*|paint\w*|portray\w*|frame\w*|explain\w*|urg\w*|warn\w*|announc\w*|"
    r"disclos\w*|releas\w*|stress\w*|emphasi\w*|insist\w*|interview\w*|quot\w*|"
    r"rul\w*|decl\w*|proclaim\w*|recount\w*|recall\w*|describ\w*)\b")
# a transcript speaker label ("SMITH: …") or a signature line after a quotation ("― Ana Ruiz")
_PREPOSITIONS = frozenset({"in", "per", "from", "for", "to", "of", "about", "on", "under", "by",
                           "with", "at", "among", "after", "over", "against"})
_SPEAKER_LABEL = re.compile(r"^\s*(?P<src>[A-Z][A-Z.'\- ]{1,40})(?P<cue>:)\s")
_SIGNATURE = re.compile(r"^\s*(?P<cue>[―—])\s*(?P<src>[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,4})"
                        r"\s*(?:,[^.]{0,60})?\.?\s*$")
_HEADLINE_COLON = re.compile(r"^(?P<src>[A-Z][^:“\"‘’”]{1,40})(?P<cue>:)\s+[“\"‘']")


def _is_promo(label: str) -> bool:
    from biaskit.lexicons import default_matcher

    return any(m["lexicon"] == "promo_phrases" for m in default_matcher().matches(label))
#: rules whose evidence is strong on its own (W1c)
_STRONG_SOURCES = ("person", "organisation", "anonymous")


def _cue_text(doc: str, ev: Any) -> str:
    return " ".join(doc[s:e] for s, e in (ev.cue or ev.anchor)).strip()


def _known_cue(cue: str) -> bool:
    from biaskit.lexicons import default_matcher

    return any(m["lexicon"] in ("reporting_verbs", "attribution_phrases", "hedges")
               and m["weight"] >= 0.5 and (m["lexicon"] != "hedges" or m["kind"] == "distancing")
               for m in default_matcher().matches(cue))


def polnear_fn_category(cue: str, ev: Any, sent_id: int, rules: list[Any]) -> str:
    """Failure pattern of a missed gold-attributed sentence, from its first gold cue."""
    low = cue.lower()
    if not re.search(r"\w", cue):
        return "fn:punctuation_cue_speaker_label_or_headline_colon"
    if sent_id == 0:
        return "fn:headline_attribution"
    if rules:
        return "fn:rule_found_it_tagger_rejected"
    if _known_cue(cue):
        return "fn:lexicon_cue_no_rule_no_tag"
    if low in _PREPOSITIONS:
        return "fn:preposition_cue_in_a_poll_per_the_rules"
    if _INTENTION.search(low):
        return "fn:intention_or_plan_not_attribution_in_biaskit"
    if _EVIDENCE.search(low):
        return "fn:evidence_verb_polls_studies_show"
    if _NOMINAL_HEAD.search(low) and not _COMMUNICATION.search(low.split(" ", 1)[0]):
        return "fn:nominal_cue_criticism_message_pledge"
    if ev.agentless or _PASSIVE.search(low):
        return "fn:passive_or_agentless_cue"
    if _BELIEF.search(low):
        return "fn:belief_or_attitude_verb_missing"
    if _COMMUNICATION.search(low):
        return "fn:communication_verb_outside_lexicon"
    return "fn:action_of_political_actor_not_speech"


def polnear_fp_category(i: int, table: pd.DataFrame, in_content: bool) -> str:
    """Failure pattern of a sentence tagged attributed without a gold cue."""
    rules = [a["rule"] for a in table.loc[i, "attributions"]]
    if in_content:
        return "fp:sentence_inside_gold_content_multisentence_quote"
    if table.loc[i, "in_quote"] >= 0.5:
        return "fp:standalone_quotation_no_gold_attribution"
    if rules:
        return "fp:rule_fired_on_non_attribution"
    return "fp:tagger_only_no_rule_no_quote"


def polnear_patterns(material: dict[str, Any], examples: int = 0) -> dict[str, Any]:
    """Counts of failure patterns (and top cue words) on one split."""
    corpus, table = material["corpus"], material["table"]
    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=True))
    rules = material.setdefault("rules", rule_attributions(corpus.documents, table))
    gold, content = _gold_by_sentence(corpus, table)
    counts: Counter[str] = Counter()
    cues: dict[str, Counter[str]] = defaultdict(Counter)
    shown: dict[str, list[int]] = defaultdict(list)
    pred = table["attribution"].to_numpy()
    for i, evs in gold.items():
        if pred[i]:
            continue
        ev = min(evs, key=lambda e: e.cue_start)
        doc = texts[ev.doc_id]
        cue = _cue_text(doc, ev)
        cat = polnear_fn_category(cue, ev, int(table.loc[i, "sent_id"]), rules[i])
        counts[cat] += 1
        cues[cat][" ".join(cue.lower().split()[:3])] += 1
        shown[cat].append(i)
    for i in np.flatnonzero(pred):
        if i in gold:
            continue
        cat = polnear_fp_category(int(i), table, bool(content[i]))
        counts[cat] += 1
        shown[cat].append(int(i))
    if examples:
        # for the analyst's terminal only (never written to a file)
        rng = np.random.default_rng(0)
        for cat, rows in sorted(shown.items(), key=lambda kv: -len(kv[1])):
            print(f"\n## {cat} ({len(rows)})")
            for i in rng.choice(rows, size=min(examples, len(rows)), replace=False):
                extra = [(_cue_text(texts[e.doc_id], e)) for e in gold.get(int(i), [])]
                print(f"  - {table.loc[i, 'text'][:220]!r}  gold cues={extra}")
    return {"counts": dict(counts.most_common()),
            "top_cues": {k: dict(v.most_common(8)) for k, v in cues.items()}}


def what_if_polnear(material: dict[str, Any], model: Any) -> dict[str, dict[str, Any]]:
    """Candidate general fixes measured by post-processing the shipped model's output."""
    from biaskit.brat import score_brat

    corpus, table = material["corpus"], material["table"]
    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=True))
    rules = material.setdefault("rules", rule_attributions(corpus.documents, table))
    thr = float(model.card["thresholds"]["attribution"])

    def variant(accept: Callable[[int], list[dict[str, Any]] | None]) -> dict[str, Any]:
        out = table.copy()
        att = out["attribution"].to_numpy().copy()
        recs = list(out["attributions"])
        for i in np.flatnonzero(~att):
            new = accept(int(i))
            if new is not None:
                att[i] = True
                recs[i] = new
        out["attribution"] = att
        out["attributions"] = recs
        res = score_brat(corpus, out)
        return {"sentence_f1": res["sentence"]["f1"], "precision": res["sentence"]["precision"],
                "recall": res["sentence"]["recall"],
                "cue_overlap_f1": res["cue"]["overlap"]["f1"],
                "source_overlap_f1": res["source"]["overlap"]["f1"],
                "n_changed": int((att != table["attribution"].to_numpy()).sum())}

    def doc(i: int) -> str:
        return texts[table.loc[i, "doc_id"]]

    def rule_with_source(i: int, near_miss: bool) -> list[dict[str, Any]] | None:
        atts = [a for a in rules[i] if a.source is not None or "hedged" in a.kind]
        if not atts or (near_miss and table.loc[i, "p_attribution"] < 0.5 * thr):
            return None
        return [_record(doc(i), a) for a in atts]

    def strong_rule(i: int) -> list[dict[str, Any]] | None:
        atts = [a for a in rules[i] if strong(doc(i), a)]
        return [_record(doc(i), a) for a in atts] if atts else None

    with proposed_lexicon():
        rules_l1 = rule_attributions(corpus.documents, table)
        strong_l1 = [[_record(doc(i), a) for a in r if strong(doc(i), a)] or None
                     for i, r in enumerate(rules_l1)]

    def speaker_label(i: int) -> list[dict[str, Any]] | None:
        return label_attribution(table.loc[i, "text"], int(table.loc[i, "start"]),
                                 int(table.loc[i, "sent_id"]))

    def headline(i: int) -> list[dict[str, Any]] | None:
        return label_attribution(table.loc[i, "text"], int(table.loc[i, "start"]),
                                 int(table.loc[i, "sent_id"]), labels=False)

    # W0 (mapping, not a fix): PolNeAR marks a multi-sentence quotation once, where its cue
    # is; sentences tagged only through quote_continuation are set to "not attributed"
    w0 = table.copy()
    cont_only = np.array([bool(a) and all(r["rule"] == "quote_continuation" for r in a)
                          for a in table["attributions"]])
    w0["attribution"] = table["attribution"].to_numpy() & ~cont_only
    w0["attributions"] = [[] if c else a for c, a in zip(cont_only, table["attributions"],
                                                         strict=True)]
    r0 = score_brat(corpus, w0)
    return {
        "baseline (shipped, unchanged)": variant(lambda i: None),
        "W0 mapping: quote-continuation sentences not counted": {
            "sentence_f1": r0["sentence"]["f1"], "precision": r0["sentence"]["precision"],
            "recall": r0["sentence"]["recall"], "n_changed": int(cont_only.sum())},
        "W1 accept any rule with a source (or hedge)": variant(
            lambda i: rule_with_source(i, False)),
        "W1b W1 only when p_attribution >= 0.5 x threshold": variant(
            lambda i: rule_with_source(i, True)),
        "W1c accept strong rules only (see strong())": variant(strong_rule),
        "W2 speaker labels and signature lines": variant(speaker_label),
        "W3 headline 'Name: ‘quote’' (colon rule also with quotes)": variant(headline),
        "W1c+W2+W3": variant(lambda i: strong_rule(i) or speaker_label(i) or headline(i)),
        "W1c+W2+W3+L1 (proposed lexicon rows, rules rerun)": variant(
            lambda i: strong_l1[i] or speaker_label(i) or headline(i)),
    }


def label_attribution(text: str, start: int, sent_id: int | None, *,
                      labels: bool = True) -> list[dict[str, Any]] | None:
    """W2/W3: an attribution record for a speaker label, a signature line or a headline colon.

    W2 (``labels=True``): a transcript label ("SMITH: …") or a signature line after a quotation
    ("― Ana Ruiz"), outside the headline and not a promo label. W3 (``sent_id == 0``,
    ``labels=False``): a headline "Name: ‘quote’" (biaskit's headline_colon rule skips
    sentences with quotes); the colon must open the quotation, so section labels ("Analysis:")
    and kickers do not count.
    """
    if labels:
        # not in a headline (kicker labels: "STORM FURY: …") and not a promo label ("READ MORE:")
        m = (_SPEAKER_LABEL.match(text) or _SIGNATURE.match(text)) if sent_id != 0 else None
        if m and _is_promo(m.group("src")):
            return None
    else:
        m = _HEADLINE_COLON.match(text) if sent_id == 0 else None
    if not m:
        return None

    def span(g: str) -> dict[str, Any]:
        return {"start": start + m.start(g), "end": start + m.end(g), "text": m.group(g)}

    return [{"kind": ["direct_quote"] if labels else ["reported_speech"],
             "rule": "speaker_label" if labels else "headline_colon_quote",
             "source": span("src"), "cue": span("cue"), "content": None}]


#: L1: lexicon rows and document nouns proposed in docs/error-analysis.md (term, lexicon, kind,
#: weight), applied to the attribution rules only (the tagger's features are left alone)
PROPOSED_ENTRIES = (
    ("called on", "reporting_verbs", "speech", 0.75),
    ("calls on", "reporting_verbs", "speech", 0.75),
    ("declined to comment", "reporting_verbs", "speech", 0.9),
    ("declined to say", "reporting_verbs", "speech", 0.9),
    ("did not respond to", "reporting_verbs", "speech", 0.7),
    ("did not immediately respond to", "reporting_verbs", "speech", 0.8),
    ("writes", "reporting_verbs", "written", 0.8),
    ("tweeted", "reporting_verbs", "written", 0.9),
    ("was accused of", "hedges", "distancing", 0.6),
    ("is accused of", "hedges", "distancing", 0.6),
    ("were accused of", "hedges", "distancing", 0.6),
    ("has been accused of", "hedges", "distancing", 0.6),
    ("stands accused of", "hedges", "distancing", 0.6),
)
# not proposed: "is expected to" as a hedge. PolNeAR annotates it, but biaskit's guidelines make
# such forecasts claims (ANNOTATION.md §1), and as a distancing cue it cost precision on the
# biaskit corpus in this script's in-domain check
PROPOSED_DOC_WORDS = r"|averages|polling|research|findings|tally|tallies|numbers|models"


@contextmanager
def proposed_lexicon() -> Iterator[None]:
    """Run biaskit's attribution rules with the L1 entries (restored afterwards)."""
    import biaskit.attribution as att
    from biaskit.lexicons import LexiconEntry, LexiconMatcher, normalise_term

    matcher = LexiconMatcher()
    for term, lexicon, kind, weight in PROPOSED_ENTRIES:
        key = normalise_term(term)
        old = matcher.entries.get(key, [])
        if any(e.lexicon == lexicon and e.weight >= weight for e in old):
            continue  # already listed at least as strongly: only add or raise, never lower
        keep = [e for e in old if e.lexicon != lexicon]
        matcher.entries[key] = [LexiconEntry(lexicon, kind, weight, term), *keep]
        starts = getattr(matcher, "_starts", None)  # first word -> longest phrase (if indexed)
        if isinstance(starts, dict):
            first, n = key.split(" ", 1)[0], len(key.split())
            starts[first] = max(starts.get(first, 0), n)
    saved = att.default_matcher, att._DOC_WORDS
    pattern = saved[1].pattern.replace(r")\b", PROPOSED_DOC_WORDS + r")\b", 1)
    att.default_matcher = lambda: matcher  # type: ignore[assignment]
    att._DOC_WORDS = re.compile(pattern, saved[1].flags)
    try:
        yield
    finally:
        att.default_matcher, att._DOC_WORDS = saved


def _cue_weight(doc: str, a: Any) -> float:
    import biaskit.attribution as att

    if a.cue is None:
        return 0.0
    return max((m["weight"] for m in att.default_matcher().matches(doc[a.cue[0] : a.cue[1]])
                if m["lexicon"] in ("reporting_verbs", "attribution_phrases", "hedges")),
               default=0.0)


def strong(doc: str, a: Any) -> bool:
    """W1c: a rule output strong enough to tag the sentence without the tagger.

    ``according_to`` and ``document_verb`` ("a report found", "polls show") always; ``hedge``
    when its cue has lexicon weight >= 0.6 ("reportedly", "allegedly"); the
    ``reported_speech`` rule when its cue has lexicon weight >= 0.8 and its source is a named
    person, an organisation or an anonymous source (not a vague role, not a quote continuation).
    """
    if a.rule in ("according_to", "document_verb"):
        return a.source is not None
    if a.rule == "hedge":
        return _cue_weight(doc, a) >= 0.6
    return (a.rule == "reported_speech" and a.source is not None
            and a.source_type in _STRONG_SOURCES and _cue_weight(doc, a) >= 0.8)


def what_if_corpus(corpus_dir: Path, model: Any) -> dict[str, Any]:
    """The W1/W1c gate changes on biaskit's own corpus dev+test: do they cost in-domain
    precision?"""
    from biaskit.analysis import analyze
    from biaskit.corpus import load
    from biaskit.train import label_metrics

    docs, sents = load(corpus_dir, skip_invalid=True)
    part = docs[docs["split"].isin(["dev", "test"])]
    table = analyze(part, model, evidence=False).reset_index(drop=True)
    merged = table.merge(sents[["doc_id", "start", "end", "gold_attribution"]],
                         on=["doc_id", "start", "end"], how="left")
    keep = merged["gold_attribution"].notna().to_numpy()
    rules = rule_attributions(part, table)
    y = merged["gold_attribution"].fillna(False).astype(int).to_numpy()[keep]
    base = table["attribution"].to_numpy()
    w1 = base | np.array([any(a.source is not None or "hedged" in a.kind for a in r)
                          for r in rules])
    texts = dict(zip(part["doc_id"], part["text"], strict=True))
    w1c = base | np.array([any(strong(texts[d], a) for a in r)
                           for d, r in zip(table["doc_id"], rules, strict=True)])
    with proposed_lexicon():
        rules_l1 = rule_attributions(part, table)
        w1c_l1 = base | np.array([any(strong(texts[d], a) for a in r)
                                  for d, r in zip(table["doc_id"], rules_l1, strict=True)])
    w23 = w1c_l1 | np.array([
        label_attribution(t, s, int(k)) is not None
        or label_attribution(t, s, int(k), labels=False) is not None
        for t, s, k in zip(table["text"], table["start"], table["sent_id"], strict=True)])
    p = table["p_attribution"].to_numpy()
    out = {}
    for name, pred in (("baseline (shipped, unchanged)", base),
                       ("W1 accept any rule with a source (or hedge)", w1),
                       ("W1c accept strong rules only (see strong())", w1c),
                       ("W1c+L1 (proposed lexicon rows, rules rerun)", w1c_l1),
                       ("W1c+W2+W3+L1", w23)):
        m = label_metrics(y, p[keep], pred[keep].astype(int))
        out[name] = {**{k: m[k] for k in ("precision", "recall", "f1")},
                     "n_aligned_sentences": int(keep.sum())}
    # the framing decision changes C1/C3 on the corpus's gold sentences (writer-voice framing)
    gold_part = sents[sents["split"].isin(["dev", "test"])].reset_index(drop=True)
    proba, dec = _framing_decisions(model, gold_part)
    j = model.labels.index("framing")
    own = proba[:, j] >= model.card["thresholds"]["framing"]
    yf = gold_part["gold_framing"].astype(int).to_numpy()
    inq = gold_part["in_quote"].to_numpy()
    for name, pred in (("framing: baseline (shipped, unchanged)", dec[:, j]),
                       ("framing: C1 from p_framing only", own),
                       ("framing: C2 kinds count only when p_framing >= 0.5 x threshold",
                        dec[:, j].astype(bool) & (proba[:, j] >= 0.5 * model.card["thresholds"][
                            "framing"])),
                       ("framing: C3 C1 and not mostly inside quotation marks",
                        own & (inq < 0.5)),
                       (f"framing: C5 no lexicon cue: only if p_framing >= {C5_NO_CUE_FLOOR}",
                        dec[:, j].astype(bool) & (framing_lexicon_hits(gold_part["text"])
                                                  | (proba[:, j] >= C5_NO_CUE_FLOOR)))):
        m = label_metrics(yf, proba[:, j], np.asarray(pred).astype(int))
        out[name] = {**{k: m[k] for k in ("precision", "recall", "f1")},
                     "n_sentences": int(len(gold_part))}
    return out


# --------------------------------------------------------------------------- CheckThat


def _macro(tp: int, fp: int, fn: int, tn: int) -> dict[str, float]:
    def f1(a: int, b: int, c: int) -> float:
        return 2 * a / (2 * a + b + c) if a else 0.0

    subj, obj = f1(tp, fp, fn), f1(tn, fn, fp)
    n = tp + fp + fn + tn
    return {"macro_f1": round((subj + obj) / 2, 4), "subj_f1": round(subj, 4),
            "obj_f1": round(obj, 4), "subj_precision": round(tp / (tp + fp), 4) if tp + fp else 0,
            "subj_recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "accuracy": round((tp + tn) / n, 4) if n else 0.0, "n": n,
            "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn}}


def _confusion(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    y, pred = y.astype(bool), pred.astype(bool)
    return _macro(int((y & pred).sum()), int((~y & pred).sum()), int((y & ~pred).sum()),
                  int((~y & ~pred).sum()))


def framing_lexicon_hits(texts: Any) -> np.ndarray:
    """Whether any loaded/opinion/speculation lexicon term (weight >= 0.5) occurs."""
    from biaskit.lexicons import default_matcher

    matcher = default_matcher()
    return np.array([any(m["lexicon"] in _FRAMING_LEXICONS and m["weight"] >= 0.5
                         for m in matcher.matches(t)) for t in texts])


#: C5: without a framing-lexicon cue, writer-voice framing needs this probability
C5_NO_CUE_FLOOR = 0.6


def _framing_decisions(model: Any, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from biaskit.train import _predict, main_tag_consistency

    thr = np.array([model.card["thresholds"][lab] for lab in model.labels])
    proba = _predict(model.pipeline, table)
    return proba, main_tag_consistency(proba, thr, model.labels)


def run_checkthat(folder: Path, split: str, models: dict[str, Any],
                  majority_subj: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Macro-F1 over OBJ/SUBJ of every system on one CheckThat split."""
    from biaskit.train import evaluate_model, read_labelled

    table = read_labelled(folder / f"{split}.tsv", text_col="sentence", label_col="label",
                          positive="SUBJ", tag="framing")
    y = table["gold_framing"].to_numpy()
    scores: dict[str, Any] = {}
    for name, model in models.items():
        res = evaluate_model(model, table)["labels"]["framing"]
        c = res["confusion"]
        scores[name] = _macro(c["tp"], c["fp"], c["fn"], c["tn"])
    lex = framing_lexicon_hits(table["text"])
    scores["regex"] = _confusion(y, lex)
    scores["majority"] = _confusion(y, np.full(len(y), majority_subj))
    return scores, {"table": table, "y": y, "lexicon_hit": lex}


def checkthat_patterns(material: dict[str, Any], model: Any, examples: int = 0) -> dict[str, Any]:
    """Failure patterns of the framing tag on CheckThat sentences."""
    table, y, lex = material["table"], material["y"], material["lexicon_hit"]
    labels = model.labels
    proba, dec = _framing_decisions(model, table)
    j = labels.index("framing")
    thr = model.card["thresholds"]["framing"]
    att = dec[:, labels.index("attribution")].astype(bool)
    counts: Counter[str] = Counter()
    shown: dict[str, list[int]] = defaultdict(list)
    for i in range(len(table)):
        pred, gold = bool(dec[i, j]), bool(y[i])
        if pred == gold:
            continue
        inq = table.loc[i, "in_quote"]
        if pred:
            if proba[i, j] < thr:
                cat = "ct-fp:kind_threshold_turns_framing_on"
            elif inq > 0 or att[i]:
                cat = "ct-fp:quoted_or_attributed_sentence_taken_as_writer_voice"
            elif lex[i]:
                cat = "ct-fp:charged_topic_terms_in_neutral_report"
            else:
                cat = "ct-fp:tagger_only_no_lexicon_cue"
        else:
            if inq > 0 or att[i]:
                cat = "ct-fn:writer_opinion_around_quote_or_attribution"
            elif lex[i]:
                cat = "ct-fn:lexicon_cue_present_below_threshold"
            else:
                cat = "ct-fn:no_lexicon_cue_sarcasm_rhetoric_evaluative_verbs"
        counts[cat] += 1
        shown[cat].append(i)
    if examples:
        rng = np.random.default_rng(0)
        for cat, rows in sorted(shown.items(), key=lambda kv: -len(kv[1])):
            print(f"\n## {cat} ({len(rows)})")
            for i in rng.choice(rows, size=min(examples, len(rows)), replace=False):
                print(f"  - p={proba[i, j]:.2f} {table.loc[i, 'text'][:220]!r}")
    return {"counts": dict(counts.most_common())}


def what_if_checkthat(material: dict[str, Any], model: Any) -> dict[str, Any]:
    """Candidate fixes of the framing decision, by post-processing the model's probabilities."""
    table, y = material["table"], material["y"]
    labels = model.labels
    proba, dec = _framing_decisions(model, table)
    j = labels.index("framing")
    thr = model.card["thresholds"]["framing"]
    own = proba[:, j] >= thr
    inq = table["in_quote"].to_numpy()
    kinds = {k: labels.index(k) for k in ("loaded_language", "opinion", "speculation", "promo")
             if k in labels}
    no_promo_only = dec[:, j].astype(bool) & ~(
        (dec[:, kinds["promo"]] == 1)
        & (dec[:, [kinds[k] for k in kinds if k != "promo"]].max(axis=1) == 0)
        & ~own) if "promo" in kinds else dec[:, j].astype(bool)
    floor = dec[:, j].astype(bool) & (proba[:, j] >= 0.5 * thr)
    return {
        "baseline (shipped, unchanged)": _confusion(y, dec[:, j]),
        "C1 framing from p_framing only (kinds cannot turn it on)": _confusion(y, own),
        "C2 kinds turn framing on only when p_framing >= 0.5 x threshold": _confusion(y, floor),
        "C3 C1 and not mostly inside quotation marks": _confusion(y, own & (inq < 0.5)),
        "C4 promo-only framing not SUBJ (mapping)": _confusion(y, no_promo_only),
        f"C5 no lexicon cue: framing only if p_framing >= {C5_NO_CUE_FLOOR}": _confusion(
            y, dec[:, j].astype(bool) & (material["lexicon_hit"]
                                          | (proba[:, j] >= C5_NO_CUE_FLOOR))),
    }


# --------------------------------------------------------------------------- report


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def polnear_rows(name: str, scores: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    rows = []
    metrics: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("sentence F1", lambda r: r["sentence"]["f1"]),
        ("sentence P", lambda r: r["sentence"]["precision"]),
        ("sentence R", lambda r: r["sentence"]["recall"]),
        ("sentence F1 (PolNeAR convention: predicted cue in sentence)",
         lambda r: r.get("sentence_cue_mapped", r["sentence"])["f1"]),
        ("sentence F1 (cue or content, diagnostic)", lambda r: r["sentence_cue_or_content"]["f1"]),
        ("cue F1 overlap", lambda r: r["cue"]["overlap"]["f1"]),
        ("cue F1 exact", lambda r: r["cue"]["exact"]["f1"]),
        ("source F1 overlap", lambda r: r["source"]["overlap"]["f1"]),
        ("source F1 exact", lambda r: r["source"]["exact"]["f1"]),
        ("density rho (outlets)", lambda r: r["density_spearman_outlets"]["rho"]),
        ("density rho (articles)", lambda r: r["density_spearman_articles"]["rho"]),
    ]
    for label, get in metrics:
        vals = []
        for s in SYSTEMS:
            r = scores[s]
            no_spans = s == "majority" and label.split()[0] in ("cue", "source")
            vals.append(None if no_spans else get(r))
        rows.append((name, label, vals))
    return rows


def checkthat_rows(name: str, scores: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    return [(name, label, [scores[s][key] for s in SYSTEMS]) for label, key in (
        ("macro-F1 OBJ/SUBJ", "macro_f1"), ("SUBJ F1", "subj_f1"), ("OBJ F1", "obj_f1"),
        ("SUBJ P", "subj_precision"), ("SUBJ R", "subj_recall"))]


def print_report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    print(f"\nbiaskit external evaluation, {meta['date']}, model {meta['model_version']}")
    print(f"(shipped model trained on {meta['model_training_data']}; lexicon-only baseline "
          f"fitted on corpus splits {meta['lexicon_only_trained_on']})\n")
    rows: list[tuple[str, str, list[Any]]] = []
    for key, res in results["polnear"].items():
        rows += polnear_rows(f"{key} ({res['biaskit']['n_documents']} docs, "
                             f"{res['biaskit']['n_sentences']} sents)", res)
    for key, res in results["checkthat"].items():
        rows += checkthat_rows(f"{key} ({res['biaskit']['n']} sents)", res)
    head = ["set", "metric", "biaskit (shipped)", "lexicon-only", "regex / lexicon-match",
            "majority", "target"]
    print("| " + " | ".join(head) + " |")
    print("|---|---|" + "---:|" * (len(head) - 2))
    last = None
    for name, label, vals in rows:
        short = name.split(" ", 1)[0]
        target = TARGETS.get((short, label))
        mark = "" if target is None else (f"{target:.2f} " + ("met" if (vals[0] or 0) >= target
                                                               else "not met"))
        print(f"| {name if name != last else ''} | {label} | "
              + " | ".join(_fmt(v) for v in vals) + f" | {mark} |")
        last = name
    print("\nregex = `" + REGEX.pattern + "` (attribution); lexicon-match = any "
          "loaded/opinion/speculation lexicon term with weight >= 0.5 (subjectivity).")
    parts = []
    if "polnear_majority" in meta:
        parts.append(f"PolNeAR {'attributed' if meta['polnear_majority'] else 'not attributed'}"
                     f" ({meta['polnear_train_gold_rate']:.1%} of train sentences "
                     "gold-attributed)")
    if "checkthat_majority_subj" in meta:
        parts.append(f"CheckThat {'SUBJ' if meta['checkthat_majority_subj'] else 'OBJ'}")
    print("majority = majority class of the set's own train split: " + "; ".join(parts) + ".")
    print("\nPolNeAR mapping: " + results["mapping"]["polnear"])
    print("CheckThat mapping: " + results["mapping"]["checkthat"])
    for key, res in results["polnear"].items():
        print(f"\nAttributed sentences per 100, {key} (biaskit predicted vs gold):")
        print("| outlet | articles | sentences | predicted | gold |\n|---|---:|---:|---:|---:|")
        for row in res["biaskit"]["outlet_density"]:
            print(f"| {row['outlet']} | {row['n_articles']} | {row['n_sentences']} | "
                  f"{row['pred_per_100']:.1f} | {row['gold_per_100']:.1f} |")
    for key, pat in results["patterns"].items():
        print(f"\nFailure patterns, {key} (shipped model):")
        for cat, n in pat["counts"].items():
            top = pat.get("top_cues", {}).get(cat)
            cues = ("  e.g. cues: " + ", ".join(list(top)[:5])) if top else ""
            print(f"  {n:5d}  {cat}{cues}")
    for key, variants in results["what_if"].items():
        print(f"\nWhat-if (post-processing only, nothing changed in biaskit), {key}:")
        for name, r in variants.items():
            print(f"  {name}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.items()
                                           if not isinstance(v, dict)))
    for note in results["notes"]:
        print("note: " + note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder with polnear/ and checkthat2023-subjectivity-en/")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpora",
                        help="biaskit corpus (for the lexicon-only baseline)")
    parser.add_argument("--max-docs", type=int, default=None,
                        help="cap on PolNeAR train articles (default: all)")
    parser.add_argument("--skip-train", action="store_true",
                        help="evaluate dev splits only")
    parser.add_argument("--examples", type=int, default=0,
                        help="print N examples per failure pattern (terminal only)")
    parser.add_argument("--json", type=Path, default=None, help="write results as JSON")
    parser.add_argument("--model", type=Path, default=None,
                        help="evaluate this .skops model instead of the shipped default "
                             "(for comparing candidates; cannot be used with --write-card)")
    parser.add_argument("--write-card", action="store_true",
                        help="record the headline numbers in the shipped model card "
                             "(external_evaluation), tied to the model's sha256")
    args = parser.parse_args(argv)
    if args.model is not None and args.write_card:
        parser.error("--write-card records numbers for the shipped model; drop --model")

    data = args.data
    polnear, checkthat = data / "polnear", data / "checkthat2023-subjectivity-en"
    if not data.is_dir() or not (polnear.is_dir() or checkthat.is_dir()):
        print(f"external evaluation skipped: no datasets at {data}. PolNeAR and CheckThat "
              "2023 are not shipped with biaskit; put them there or pass --data (see this "
              "script's docstring).")
        return 0

    import sklearn

    import biaskit

    t0 = time.perf_counter()
    model = biaskit.load_model(args.model) if args.model else biaskit.load_model()
    lexicon_only = lexicon_only_model(args.corpus, model)
    models = {"biaskit": model, "lexicon-only": lexicon_only}
    from biaskit.brat import MAPPING_NOTE

    results: dict[str, Any] = {
        "meta": {"date": dt.datetime.now().isoformat(timespec="seconds"),
                 "model_version": model.version, "model_sha256": model.card.get("sha256"),
                 "model_training_data": model.card.get("training_data", {}).get(
                     "sentences_per_split"),
                 "lexicon_only_trained_on": lexicon_only.card["trained_on"],
                 "biaskit": biaskit.__version__, "python": platform.python_version(),
                 "scikit-learn": sklearn.__version__, "data": str(data),
                 "max_docs_train": args.max_docs},
        "mapping": {"polnear": MAPPING_NOTE, "checkthat": CHECKTHAT_MAPPING},
        "polnear": {}, "checkthat": {}, "patterns": {}, "what_if": {}, "notes": [],
    }
    splits = ["dev"] if args.skip_train else ["dev", "train"]
    if polnear.is_dir():
        majority, rate = polnear_majority(polnear, args.max_docs)
        results["meta"].update(polnear_majority=majority, polnear_train_gold_rate=rate)
        for split in splits:
            scores, material = run_polnear(polnear, split, args.max_docs if split == "train"
                                           else None, models, majority)
            results["polnear"][f"polnear-{split}"] = scores
            if args.examples:
                print(f"\n# examples, polnear-{split}")
            results["patterns"][f"polnear-{split}"] = polnear_patterns(material, args.examples)
            results["what_if"][f"polnear-{split}"] = what_if_polnear(material, model)
            results["notes"] += [f"polnear-{split}: {n}" for n in scores["biaskit"]["notes"]]
        key = "biaskit corpus dev+test (in-domain check of W1, W1c, L1, W2, W3, C1, C2, C3, C5)"
        results["what_if"][key] = what_if_corpus(args.corpus, model)
    else:
        results["notes"].append(f"PolNeAR not found at {polnear}; skipped")
    if checkthat.is_dir():
        train = pd.read_csv(checkthat / "train.tsv", sep="\t", dtype=str, keep_default_na=False)
        majority_subj = bool((train["label"] == "SUBJ").mean() >= 0.5)
        results["meta"]["checkthat_majority_subj"] = majority_subj
        for split in splits:
            scores, material = run_checkthat(checkthat, split, models, majority_subj)
            results["checkthat"][f"checkthat-{split}"] = scores
            if args.examples:
                print(f"\n# examples, checkthat-{split}")
            results["patterns"][f"checkthat-{split}"] = checkthat_patterns(material, model,
                                                                           args.examples)
            results["what_if"][f"checkthat-{split}"] = what_if_checkthat(material, model)
    else:
        results["notes"].append(f"CheckThat not found at {checkthat}; skipped")
    results["meta"]["seconds"] = round(time.perf_counter() - t0, 1)
    print_report(results)
    if args.json:
        # numbers and category names only: no file names or text of the datasets
        for res in results["polnear"].values():
            for r in res.values():
                r.pop("notes", None)
        results["notes"] = [n.split(" is used:")[0] + (" is used" if " is used:" in n else "")
                            for n in results["notes"]]
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    if args.write_card:
        write_card(results, model)
    print(f"\ndone in {results['meta']['seconds']} s")
    return 0


def write_card(results: dict[str, Any], model: Any) -> None:
    """Store the headline external numbers in the shipped card (JSON and Markdown)."""
    from biaskit.persist import card_path, default_model_path
    from biaskit.train import card_markdown

    rows = []
    for key, res in results.get("polnear", {}).items():
        b = res["biaskit"]
        n = b.get("n_sentences") or b["sentence"].get("n")
        rows.append(
            f"{key} (PolNeAR v1.0.0, {n} sentences): attribution sentence F1 "
            f"{b['sentence']['f1']:.3f} (PolNeAR convention {b['sentence_cue_mapped']['f1']:.3f}); "
            f"cue F1 overlap {b['cue']['overlap']['f1']:.3f}; source F1 overlap "
            f"{b['source']['overlap']['f1']:.3f}; lexicon-only baseline sentence F1 "
            f"{res['lexicon-only']['sentence']['f1']:.3f}, "
            f"majority {res['majority']['sentence']['f1']:.3f}"
        )
    for key, res in results.get("checkthat", {}).items():
        b = res["biaskit"]
        rows.append(
            f"{key} (CheckThat 2023 subjectivity, English): macro-F1 OBJ/SUBJ {b['macro_f1']:.3f}; "
            f"lexicon-only {res['lexicon-only']['macro_f1']:.3f}, "
            f"majority {res['majority']['macro_f1']:.3f}"
        )
    path = card_path(default_model_path())
    card = json.loads(path.read_text("utf-8"))
    card["external_evaluation"] = rows
    card["external_evaluation_model_sha256"] = card["sha256"]
    path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(card_markdown(card), encoding="utf-8")
    print(f"wrote external evaluation into {path}")


if __name__ == "__main__":
    sys.exit(main())
