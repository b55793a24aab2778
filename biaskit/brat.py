"""BRAT standoff attribution annotations (PolNeAR/PARC style): reader and evaluation.

A BRAT attribution corpus is a folder of article texts and standoff annotation files:

- flat layout: ``NAME.txt`` beside ``NAME.ann`` or ``NAME_ANNOTATOR.ann``;
- PolNeAR layout: ``<split>/text/NAME.txt`` and ``<split>/attributions/NAME_ANNOTATOR.ann``
  (pass the corpus root with ``split=``, or a split folder directly), with an optional
  ``metadata.tsv`` at the root (``filename`` and ``publisher`` columns give each article's
  outlet).

Lines of an ``.ann`` file that this module reads::

    T12<TAB>Source 10 25<TAB>the spokesman          a text-bound span
    T13<TAB>Cue 30 34;40 47<TAB>said told           a discontinuous span (pieces by ';')
    E3<TAB>Attribution:T4 Cue:T5 Source:T6 Content:T7  an attribution event
    #1<TAB>AnnotatorNotes T4<TAB>a note             skipped

An event's trigger type starts with ``Attribution`` (PolNeAR also has
``Attribution-no-source``); its ``Source`` argument is optional (an agentless attribution,
"reportedly"-type). Argument names with a number (``Content2``) are further pieces of the same
role. ``Discuss`` and ``Discard`` spans are annotator notes, not gold, and are skipped, as are
lines of other kinds (relations, attributes) and continuation lines of span texts that contain
a line break (logged at debug level). Offsets outside the text, or a start after its end, raise
:class:`~biaskit.errors.InputError` naming the file and line.

Texts are normalised as :func:`biaskit.analyze` normalises them (Unicode NFC, leading BOM
dropped) and every offset is mapped onto the normalised text, so gold spans and biaskit's
sentences share one coordinate system.

:func:`evaluate_brat` runs a biaskit model over the texts (biaskit's own segmentation) and
scores it against the gold events; :func:`score_brat` does the scoring for any table shaped
like ``analyze`` output (so baselines are scored the same way).
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biaskit.errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "BratAttribution",
    "BratCorpus",
    "MAPPING_NOTE",
    "evaluate_brat",
    "parse_ann",
    "read_brat",
    "score_brat",
]

#: Span types that are annotator notes, never gold.
NOTE_TYPES = frozenset({"Discuss", "Discard"})
#: Roles of an attribution event, as biaskit names them.
ROLES = ("source", "cue", "content")

#: How PolNeAR-style gold attributions are mapped onto biaskit's sentence tag (reported with
#: every evaluation, because the two notions of attribution differ).
MAPPING_NOTE = (
    "A biaskit sentence is gold-attributed when it contains the start of a gold cue span (the "
    "event trigger when an event has no cue). Every gold event counts, whatever its cue: speech, "
    "'according to', beliefs and other propositional attitudes, intentions, and agentless "
    "events; biaskit's guidelines (ANNOTATION.md §2, 'Beliefs and intentions') also count "
    "beliefs (reported_speech) but not plans or wishes without a proposition, so those gold "
    "events are scored as they are (as misses), not removed. The prediction is biaskit's "
    "`attribution` tag (any kind)."
)

Pieces = tuple[tuple[int, int], ...]
_T_LINE = re.compile(r"^(?P<id>T\d+)\t(?P<type>[^\t ]+) (?P<offsets>[^\t]*)(?:\t(?P<text>.*))?$")
_E_LINE = re.compile(r"^(?P<id>E\d+)\t(?P<args>.*)$")
_OFFSETS = re.compile(r"^(\d+) (\d+)$")
_WORD = re.compile(r"\w")
_ROLE_NUM = re.compile(r"^(?P<role>[A-Za-z][A-Za-z\-]*?)(?P<num>\d*)$")


@dataclass(frozen=True)
class BratAttribution:
    """One gold attribution event; spans are lists of ``(start, end)`` pieces (doc offsets).

    Attributes
    ----------
    doc_id : str
        The article it belongs to (the text file's stem).
    event_id : str
        The event id in its ``.ann`` file (``E3``).
    type : str
        The trigger's type (``Attribution``, ``Attribution-no-source``).
    cue, source, content : tuple of (int, int)
        Span pieces of each role, sorted; empty when the role is absent (no source: agentless).
    anchor : tuple of (int, int)
        The trigger span's pieces.
    ann_file : str
        The ``.ann`` file name.
    line : int
        1-based line of the event in that file.

    """

    doc_id: str
    event_id: str
    type: str
    cue: Pieces
    source: Pieces
    content: Pieces
    anchor: Pieces
    ann_file: str
    line: int

    @property
    def agentless(self) -> bool:
        """True when the event has no source span."""
        return not self.source

    @property
    def cue_start(self) -> int:
        """Where the cue starts (the trigger's start when there is no cue)."""
        pieces = self.cue or self.anchor
        return pieces[0][0]


@dataclass
class BratCorpus:
    """Documents and gold attribution events read from a BRAT folder.

    Attributes
    ----------
    documents : pandas.DataFrame
        ``doc_id``, ``outlet``, ``title``, ``text``, ``published``, ``url``, ``ann_file``,
        ``split`` (texts NFC-normalised, as :func:`biaskit.analyze` sees them).
    attributions : list of BratAttribution
        Gold events of all documents, in document then file order.
    notes : list of str
        Choices made while reading (several annotators for one text, files without a partner,
        spans skipped), for reports.

    """

    documents: pd.DataFrame
    attributions: list[BratAttribution]
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


class _OffsetMap:
    """Map offsets of a raw text onto its NFC normalisation (identity when unchanged)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.bom = 1 if raw.startswith("\ufeff") else 0
        body = raw[self.bom :]
        self.text = unicodedata.normalize("NFC", body)
        self.identity = self.text == body
        self._cache: dict[int, int] = {}

    def __call__(self, offset: int) -> int:
        offset = max(offset - self.bom, 0)
        if self.identity:
            return offset
        if offset not in self._cache:
            # NFC only composes (it never splits) characters, so the normalised prefix is the
            # image of the raw prefix as long as the offset does not cut a combining sequence
            body = self.raw[self.bom :]
            self._cache[offset] = len(unicodedata.normalize("NFC", body[:offset]))
        return self._cache[offset]


def _parse_offsets(spec: str, n: int, path: str, line: int) -> Pieces:
    pieces = []
    for part in spec.split(";"):
        m = _OFFSETS.match(part.strip())
        if not m:
            raise InputError(
                f"bad span offsets {spec!r}: expected 'START END' pieces separated by ';'",
                path=path, line=line,
            )
        start, end = int(m.group(1)), int(m.group(2))
        if start > end or end > n:
            raise InputError(
                f"span offsets {start} {end} do not fit the text ({n} characters; start must "
                "not exceed end); is the .ann file paired with the right .txt?",
                path=path, line=line,
            )
        pieces.append((start, end))
    return tuple(sorted(pieces))


def parse_ann(
    ann: str, text: str, *, doc_id: str = "doc", path: str = "<ann>"
) -> list[BratAttribution]:
    r"""Parse the attribution events of one ``.ann`` file against its text.

    Parameters
    ----------
    ann : str
        Content of the ``.ann`` file.
    text : str
        The raw article text the offsets refer to (as read from the ``.txt`` file). Returned
        offsets refer to its NFC normalisation without a leading BOM.
    doc_id : str
        Document id recorded on each event.
    path : str
        File name used in error messages.

    Returns
    -------
    list of BratAttribution
        One per event whose trigger type starts with ``Attribution``, in file order.

    Raises
    ------
    InputError
        Offsets that do not fit the text, malformed offsets, or an event that refers to a
        span id the file does not define.

    Examples
    --------
    >>> text = "Ana Ruiz said the bridge is safe."
    >>> ann = "\n".join(["T1\tSource 0 8\tAna Ruiz", "T2\tCue 9 13\tsaid",
    ...                   "T3\tContent 14 32\tthe bridge is safe",
    ...                   "E1\tAttribution:T2 Source:T1 Cue:T2 Content:T3"])
    >>> [(a.source, a.cue) for a in parse_ann(ann, text)]
    [(((0, 8),), ((9, 13),))]

    """
    mapper = _OffsetMap(text)
    n = len(text)
    spans: dict[str, tuple[str, Pieces]] = {}
    events: list[tuple[str, list[tuple[str, str]], int]] = []
    skipped: Counter[str] = Counter()
    mismatched = 0
    for lineno, line in enumerate(ann.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            skipped["note"] += 1
            continue
        m = _T_LINE.match(line)
        if m:
            pieces = _parse_offsets(m.group("offsets"), n, path, lineno)
            spans[m.group("id")] = (m.group("type"), pieces)
            given = m.group("text")
            if given and len(pieces) == 1:
                found = text[pieces[0][0] : pieces[0][1]]
                if "\n" not in found and found != given:
                    mismatched += 1
            continue
        m = _E_LINE.match(line)
        if m:
            args = []
            for arg in m.group("args").split():
                role, _, ref = arg.partition(":")
                if not ref:
                    raise InputError(f"bad event argument {arg!r}: expected ROLE:ID",
                                     path=path, line=lineno)
                args.append((role, ref))
            if not args:
                raise InputError("event without a trigger", path=path, line=lineno)
            events.append((m.group("id"), args, lineno))
            continue
        skipped["other"] += 1
        logger.debug("%s:%d: skipped line %r", path, lineno, line[:60])
    out: list[BratAttribution] = []
    for event_id, args, lineno in events:
        trigger_type, trigger_ref = args[0]
        if not trigger_type.startswith("Attribution"):
            logger.debug("%s:%d: skipped event of type %r", path, lineno, trigger_type)
            continue
        roles: dict[str, list[tuple[int, int]]] = {r: [] for r in ROLES}
        anchor: Pieces = ()
        for i, (role, ref) in enumerate(args):
            if ref not in spans:
                raise InputError(f"event {event_id} refers to {ref}, which the file does not "
                                 "define", path=path, line=lineno)
            stype, pieces = spans[ref]
            if stype in NOTE_TYPES:
                continue
            if i == 0:
                anchor = pieces
                continue
            name = _ROLE_NUM.match(role)
            key = (name.group("role") if name else role).lower()
            if key in roles:
                roles[key].extend(pieces)
            else:
                logger.debug("%s:%d: skipped event argument %r", path, lineno, role)
        out.append(BratAttribution(
            doc_id=doc_id,
            event_id=event_id,
            type=trigger_type,
            cue=_mapped(roles["cue"], mapper),
            source=_mapped(roles["source"], mapper),
            content=_mapped(roles["content"], mapper),
            anchor=_mapped(list(anchor), mapper),
            ann_file=Path(path).name,
            line=lineno,
        ))
    if skipped:
        logger.debug("%s: skipped %s", path, dict(skipped))
    if mismatched:
        logger.warning("%s: %d span(s) whose text differs from the .txt at their offsets; is "
                       "the .ann paired with the right .txt?", path, mismatched)
    return out


def _mapped(pieces: Sequence[tuple[int, int]], mapper: _OffsetMap) -> Pieces:
    return tuple(sorted({(mapper(s), mapper(e)) for s, e in pieces}))


def _layout(path: Path, split: str | None) -> list[tuple[str | None, Path, Path]]:
    """``(split, text folder, annotation folder)`` triples to read."""
    if (path / "text").is_dir():
        if split is not None and split != path.name:
            raise InputError(f"split {split!r} requested but {path} is the split {path.name!r}",
                             path=str(path))
        return [(path.name, path / "text", path / "attributions"
                 if (path / "attributions").is_dir() else path / "text")]
    polnear = sorted(p for p in path.iterdir() if p.is_dir() and (p / "text").is_dir())
    if polnear:
        if split is not None:
            polnear = [p for p in polnear if p.name == split]
            if not polnear:
                raise InputError(f"no split {split!r} (a folder {split}/text) in {path}",
                                 path=str(path))
        return [(p.name, p / "text", p / "attributions"
                 if (p / "attributions").is_dir() else p / "text") for p in polnear]
    if split is not None:
        if (path / split).is_dir():
            return [(split, path / split, path / split)]
        raise InputError(f"no split folder {split!r} in {path}", path=str(path))
    return [(None, path, path)]


def _metadata(path: Path) -> dict[str, dict[str, str]]:
    """Rows of the nearest ``metadata.tsv`` (the folder or its parent), keyed by file stem."""
    for folder in (path, path.parent):
        meta = folder / "metadata.tsv"
        if meta.is_file():
            with meta.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh, delimiter="\t"))
            key = next((k for k in ("filename", "doc_id", "name") if rows and k in rows[0]), None)
            if key is None:
                logger.warning("%s has no filename/doc_id column; ignored", meta)
                return {}
            return {Path(r[key]).name.removesuffix(".txt"): r for r in rows}
    return {}


def _ann_owner(ann_stem: str, stems: set[str]) -> str | None:
    if ann_stem in stems:
        return ann_stem
    head = ann_stem.rsplit("_", 1)[0]
    return head if head in stems and head != ann_stem else None


def read_brat(
    path: str | Path, *, split: str | None = None, max_docs: int | None = None
) -> BratCorpus:
    """Read a BRAT attribution corpus (flat or PolNeAR layout).

    Parameters
    ----------
    path : str or Path
        The corpus folder: a folder of ``.txt``/``.ann`` files, a PolNeAR root (with
        ``<split>/text`` and ``<split>/attributions``) or one PolNeAR split folder.
    split : str, optional
        Which split to read from a PolNeAR root (all splits when None).
    max_docs : int, optional
        Read only the first ``max_docs`` texts (by split, then file name).

    Returns
    -------
    BratCorpus
        Documents (``outlet`` from a ``metadata.tsv`` ``publisher`` column when present) and
        gold events. When several annotators' files exist for one text, the first by file
        name is used and a note says so.

    Raises
    ------
    InputError
        The folder does not exist or holds no annotated text, or an ``.ann`` file is malformed
        (file and line named).

    Examples
    --------
    >>> corpus = read_brat("tests/fixtures/brat/flat")  # doctest: +SKIP
    >>> corpus.documents[["doc_id", "outlet"]]  # doctest: +SKIP

    """
    path = Path(path)
    if not path.is_dir():
        raise InputError("BRAT corpus folder not found", path=str(path))
    meta = _metadata(path)
    records: list[dict[str, Any]] = []
    events: list[BratAttribution] = []
    notes: list[str] = []
    multi: list[str] = []
    for split_name, text_dir, ann_dir in _layout(path, split):
        texts = {p.stem: p for p in sorted(text_dir.glob("*.txt"))}
        anns: dict[str, list[Path]] = {}
        for ann in sorted(ann_dir.glob("*.ann")):
            owner = _ann_owner(ann.stem, set(texts))
            if owner is None:
                notes.append(f"{ann.name}: no matching .txt; skipped")
                continue
            anns.setdefault(owner, []).append(ann)
        for stem in texts:
            if stem not in anns:
                notes.append(f"{texts[stem].name}: no .ann file; skipped")
        for stem, text_path in texts.items():
            if stem not in anns:
                continue
            if max_docs is not None and len(records) >= max_docs:
                break
            files = anns[stem]
            if len(files) > 1:
                multi.append(f"{stem}: {len(files)} annotation files, used {files[0].name}")
            raw = text_path.read_text(encoding="utf-8")
            try:
                ann_text = files[0].read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 ({exc})", path=str(files[0])) from exc
            events.extend(parse_ann(ann_text, raw, doc_id=stem, path=str(files[0])))
            row = meta.get(stem, {})
            text = _OffsetMap(raw).text
            records.append({
                "doc_id": stem,
                "outlet": row.get("publisher") or None,
                "title": row.get("title") or text.split("\n", 1)[0].strip() or None,
                "text": text,
                "published": row.get("publication_date") or row.get("date") or None,
                "url": None,
                "ann_file": files[0].name,
                "split": split_name,
            })
    if multi:
        notes.append(f"{len(multi)} text(s) have several annotators' files; the first file by "
                     "name is used: " + "; ".join(multi))
    for note in notes:
        logger.info("%s: %s", path, note)
    if not records:
        raise InputError("no annotated texts found (expected NAME.txt with NAME.ann or "
                         "NAME_ANNOTATOR.ann, or <split>/text and <split>/attributions)",
                         path=str(path))
    docs = pd.DataFrame.from_records(records)
    return BratCorpus(docs, events, notes)


# --------------------------------------------------------------------------- scoring


def _span_record(doc: str, pieces: Pieces) -> dict[str, Any]:
    """A span for :func:`biaskit.evaluation.span_scores` from its pieces.

    The record covers the pieces' hull (exact matching compares the hull), with the gap
    characters blanked so that overlap only counts words inside the pieces.
    """
    start, end = pieces[0][0], pieces[-1][1]
    chars = [" "] * (end - start)
    for s, e in pieces:
        chars[s - start : e - start] = doc[s:e]
    return {"start": start, "end": end, "text": "".join(chars)}


def _sentence_index(starts: np.ndarray, ends: np.ndarray, offset: int) -> int | None:
    i = int(np.searchsorted(starts, offset, side="right")) - 1
    return i if i >= 0 and offset < ends[i] else None


def score_brat(corpus: BratCorpus, table: pd.DataFrame) -> dict[str, Any]:
    """Score a tagged sentence table against a BRAT corpus's gold events.

    Parameters
    ----------
    corpus : BratCorpus
        From :func:`read_brat`.
    table : pandas.DataFrame
        ``analyze``-shaped output over ``corpus.documents``: ``doc_id``, ``outlet``,
        ``start``, ``end``, ``attribution`` (bool), ``attributions`` (list of records with
        ``source``/``cue``/``content`` spans or None) and optionally ``p_attribution``.

    Returns
    -------
    dict
        ``sentence`` (P/R/F1, support and confusion of the sentence-level attribution tag;
        gold-positive: the sentence holds the start of a gold cue), ``sentence_cue_or_content``
        (the same with sentences that hold words of a gold content span also gold-positive: a
        diagnostic closer to biaskit's own guidelines for multi-sentence quotations),
        ``cue``/``source``/``content`` (``exact`` and ``overlap`` P/R/F1, and their F1 again as
        ``exact_f1``/``overlap_f1``; spans deduplicated per document and placed in the sentence
        where they start), ``outlet_density`` (attributed
        sentences per 100, predicted vs gold, per outlet) and the Spearman rank correlations
        of density across outlets and across articles, counts, and the ``mapping`` note.

    """
    from scipy.stats import spearmanr

    from biaskit.evaluation import span_scores
    from biaskit.train import label_metrics

    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=True))
    missing = set(texts) - set(table["doc_id"])
    if missing:
        logger.debug("%d document(s) without sentences: %s", len(missing), sorted(missing)[:5])
    table = table.reset_index(drop=True)
    gold_pos = np.zeros(len(table), dtype=bool)
    # diagnostic mapping: the sentence also holds words of a gold content span (the sentences
    # of a multi-sentence quotation, which biaskit's own guidelines count as attributed)
    gold_content = np.zeros(len(table), dtype=bool)
    role_pairs: dict[str, list[tuple[list[Any], list[Any]]]] = {r: [] for r in ROLES}
    by_doc: dict[str, list[BratAttribution]] = {}
    for ev in corpus.attributions:
        by_doc.setdefault(ev.doc_id, []).append(ev)
    unplaced = 0
    for doc_id, group in table.groupby("doc_id", sort=False):
        doc = texts[str(doc_id)]
        rows = group.index.to_numpy()
        starts = group["start"].to_numpy(dtype=np.int64)
        ends = group["end"].to_numpy(dtype=np.int64)
        order = np.argsort(starts, kind="stable")
        rows, starts, ends = rows[order], starts[order], ends[order]
        gold: dict[str, dict[int, dict[tuple[int, int], dict[str, Any]]]] = {
            r: {} for r in ROLES}
        pred: dict[str, dict[int, dict[tuple[int, int], dict[str, Any]]]] = {
            r: {} for r in ROLES}
        for ev in by_doc.get(str(doc_id), []):
            i = _sentence_index(starts, ends, ev.cue_start)
            if i is None:
                unplaced += 1
                continue
            gold_pos[rows[i]] = True
            for s, e in ev.content:
                lo = max(int(np.searchsorted(ends, s, side="right")), 0)
                for k in range(lo, len(starts)):
                    if starts[k] >= e:
                        break
                    if _WORD.search(doc[max(s, starts[k]) : min(e, ends[k])]):
                        gold_content[rows[k]] = True
            for role in ROLES:
                pieces = getattr(ev, role)
                if not pieces:
                    continue
                j = _sentence_index(starts, ends, pieces[0][0])
                if j is not None:
                    rec = _span_record(doc, pieces)
                    gold[role].setdefault(j, {})[(rec["start"], rec["end"])] = rec
        for atts in group.loc[rows, "attributions"]:
            for att in atts if isinstance(atts, list) else []:
                for role in ROLES:
                    span = att.get(role)
                    if not span:
                        continue
                    j = _sentence_index(starts, ends, int(span["start"]))
                    if j is not None:
                        pred[role].setdefault(j, {})[(int(span["start"]), int(span["end"]))] = {
                            "start": int(span["start"]), "end": int(span["end"]),
                            "text": doc[int(span["start"]) : int(span["end"])]}
        for role in ROLES:
            for j in sorted(set(gold[role]) | set(pred[role])):
                role_pairs[role].append((list(pred[role].get(j, {}).values()),
                                         list(gold[role].get(j, {}).values())))
    y = gold_pos.astype(int)
    pred_pos = table["attribution"].astype(bool).to_numpy()
    proba = (table["p_attribution"].astype(float).to_numpy() if "p_attribution" in table
             else pred_pos.astype(float))
    sentence = label_metrics(y, proba, pred_pos.astype(int))
    sentence_content = label_metrics((gold_pos | gold_content).astype(int), proba,
                                     pred_pos.astype(int))
    # PolNeAR's convention applied to biaskit's output: a sentence is predicted-positive when
    # it holds the start of a predicted cue (inner sentences of a multi-sentence quotation,
    # which biaskit attributes to the speaker of the quotation, hold no cue of their own)
    cue_in_sentence = np.array([
        bool(att) and any(
            a.get("cue") and s <= int(a["cue"]["start"]) < e for a in att
        )
        for att, s, e in zip(table["attributions"], table["start"], table["end"], strict=True)
    ]) & pred_pos
    sentence_cue = label_metrics(y, proba, cue_in_sentence.astype(int))

    frame = pd.DataFrame({"doc_id": table["doc_id"].astype(str),
                          "outlet": table["outlet"].fillna("(none)").astype(str),
                          "pred": pred_pos, "gold": gold_pos})
    outlets = frame.groupby("outlet").agg(
        n_articles=("doc_id", "nunique"), n_sentences=("pred", "size"),
        pred=("pred", "mean"), gold=("gold", "mean"))
    density = [
        {"outlet": str(o), "n_articles": int(r.n_articles), "n_sentences": int(r.n_sentences),
         "pred_per_100": round(100 * float(r.pred), 2),
         "gold_per_100": round(100 * float(r.gold), 2)}
        for o, r in outlets.iterrows()
    ]
    articles = frame.groupby("doc_id")[["pred", "gold"]].mean()

    def rank(a: Any, b: Any) -> dict[str, Any]:
        if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
            return {"rho": None, "p_value": None, "n": int(len(a))}
        res = spearmanr(a, b)
        return {"rho": round(float(res.statistic), 4), "p_value": round(float(res.pvalue), 4),
                "n": int(len(a))}

    n_events = sum(len(by_doc.get(d, [])) for d in texts)
    return {
        "n_documents": int(len(texts)),
        "n_sentences": int(len(table)),
        "n_events": int(n_events),
        "n_agentless": int(sum(ev.agentless for evs in by_doc.values() for ev in evs)),
        "n_events_unplaced": int(unplaced),
        "n_gold_sentences": int(y.sum()),
        "n_pred_sentences": int(pred_pos.sum()),
        "sentence": sentence,
        "sentence_cue_or_content": sentence_content,
        "sentence_cue_mapped": sentence_cue,
        **{role: _with_summary(span_scores(role_pairs[role])) for role in ROLES},
        "outlet_density": density,
        "density_spearman_outlets": rank(outlets["pred"].to_numpy(), outlets["gold"].to_numpy()),
        "density_spearman_articles": rank(articles["pred"].to_numpy(),
                                          articles["gold"].to_numpy()),
        "mapping": MAPPING_NOTE,
        "notes": list(corpus.notes),
    }


def _with_summary(scores: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Span scores plus flat ``exact_f1``/``overlap_f1`` (for one-line summaries)."""
    return {**scores, **{f"{mode}_f1": scores[mode]["f1"] for mode in ("exact", "overlap")}}


def evaluate_brat(
    model: Any,
    path: str | Path,
    *,
    split: str | None = None,
    max_docs: int | None = None,
) -> dict[str, Any]:
    """Run a biaskit model over a BRAT attribution corpus and score it.

    Parameters
    ----------
    model : biaskit.persist.Model or str or Path or None
        As for :func:`biaskit.analyze` (None: the shipped default model).
    path : str or Path
        BRAT corpus folder (see :func:`read_brat`).
    split : str, optional
        Split of a PolNeAR root to evaluate (all splits when None).
    max_docs : int, optional
        Evaluate only the first ``max_docs`` texts.

    Returns
    -------
    dict
        :func:`score_brat`'s metrics plus ``model_version``, ``path`` and ``split``.
        Sentence-level ``sentence.f1`` is the headline number; span scores are in
        ``cue``/``source``/``content``.

    Examples
    --------
    >>> result = evaluate_brat(None, "tests/fixtures/brat/flat")  # doctest: +SKIP
    >>> result["sentence"]["f1"]  # doctest: +SKIP

    """
    from biaskit.analysis import analyze
    from biaskit.persist import Model, load_model

    if not isinstance(model, Model):
        model = load_model(model)
    corpus = read_brat(path, split=split, max_docs=max_docs)
    table = analyze(corpus.documents, model, evidence=False)
    result = score_brat(corpus, table)
    return {"model_version": model.version, "path": str(path), "split": split, **result}
