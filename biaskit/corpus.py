"""Read, validate, build and summarise the annotated gold corpus in ``corpora/``.

The corpus is written as one text file per article (format in ``corpora/FORMAT.md``);
this module parses those files into :class:`GoldArticle` objects with exact character
offsets, checks them against the taxonomy in :mod:`biaskit.schema`, assigns splits, writes
the built JSONL and loads everything into the sentence table with ``gold_*`` columns.

Every problem is reported as a :class:`~biaskit.errors.CorpusError` that names the file and
line, so a reviewer can jump straight to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomllib

from biaskit.errors import CorpusError
from biaskit.schema import ATTRIBUTION_KINDS, FRAMING_KINDS, SOURCE_TYPES

logger = logging.getLogger(__name__)

TOPICS: tuple[str, ...] = (
    "conflict",
    "elections",
    "economy",
    "health",
    "climate",
    "crime",
    "courts",
    "immigration",
    "technology",
    "sport",
    "energy",
    "protests",
    "disasters",
    "diplomacy",
    "corporate",
)
SPLITS: tuple[str, ...] = ("train", "dev", "test", "test_outlet")
REQUIRED_HEADER = ("id", "outlet", "topic", "event", "published")
OPTIONAL_HEADER = ("url", "title", "author")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEP = " || "
# a label token: name, optional [...] body (no nested brackets)
#: a span in a neighbouring sentence line: prev./next. (the adjacent line), prev2./next3. (two
#: or three lines away, for quotations of three or four sentences)
_NEIGHBOUR = re.compile(r"(prev|next)([23]?)\.(?:src|cue|content)")
_TOKEN_RE = re.compile(r"\s*([a-z_]+(?::[a-z_+]+)?)(\[[^\]]*\])?")
# key=value pairs inside [...]: value is {span}#N or a bare word
_PAIR_RE = re.compile(r"\s*([a-z0-9_.]+)=(?:\{([^{}]*)\}(?:#(\d+))?|([a-z_]+))")


@dataclass(frozen=True)
class Span:
    """A character span into the article text."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return the span as a JSON-ready dict."""
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass
class GoldAttribution:
    """One annotated attribution: kinds and source/cue/content spans."""

    kind: list[str]
    source: Span | None = None
    cue: Span | None = None
    content: Span | None = None
    stype: str | None = None
    entity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the attribution as a JSON-ready dict."""
        return {
            "kind": list(self.kind),
            "source": self.source.to_dict() if self.source else None,
            "cue": self.cue.to_dict() if self.cue else None,
            "content": self.content.to_dict() if self.content else None,
            "stype": self.stype,
            "entity": self.entity,
        }


@dataclass
class GoldSentence:
    """One annotated sentence with offsets into the article text."""

    sent_id: int
    start: int
    end: int
    paragraph: int
    is_headline: bool
    line: int
    claim: bool = False
    attributions: list[GoldAttribution] = field(default_factory=list)
    framing_terms: list[dict[str, Any]] = field(default_factory=list)
    framing_kind: list[str] = field(default_factory=list)
    quoted_framing_kind: list[str] = field(default_factory=list)

    @property
    def attribution_kind(self) -> list[str]:
        """Distinct attribution kinds of the sentence, in taxonomy order."""
        kinds = {k for a in self.attributions for k in a.kind}
        return [k for k in ATTRIBUTION_KINDS if k in kinds]


@dataclass
class GoldArticle:
    """One annotated article."""

    doc_id: str
    outlet: str
    topic: str
    event: str
    published: str
    url: str | None
    title: str
    author: str | None
    text: str
    sentences: list[GoldSentence]
    source_file: str
    split: str = ""


# --------------------------------------------------------------------------- parsing


def _split_label(raw: str, path: str, lineno: int) -> tuple[str, str]:
    if _SEP not in raw:
        raise CorpusError(
            "sentence line has no labels: end it with ' || ' and its tags (or ' || -')",
            path=path,
            line=lineno,
        )
    text, labels = raw.rsplit(_SEP, 1)
    text = text.strip()
    if not text:
        raise CorpusError("empty sentence before ' || '", path=path, line=lineno)
    if "{" in text or "}" in text:
        raise CorpusError("sentence text must not contain '{' or '}'", path=path, line=lineno)
    return text, labels.strip()


def _parse_tokens(labels: str, path: str, lineno: int) -> list[tuple[str, dict[str, Any]]]:
    """Parse a label string into (name, args) pairs; args map key -> (value, occurrence)."""
    if labels == "-":
        return []
    tokens: list[tuple[str, dict[str, Any]]] = []
    pos = 0
    while pos < len(labels):
        m = _TOKEN_RE.match(labels, pos)
        if not m or m.end() == pos:
            raise CorpusError(
                f"cannot parse labels at {labels[pos : pos + 30]!r}", path=path, line=lineno
            )
        name, body = m.group(1), m.group(2)
        args: dict[str, list[tuple[str, int]]] = {}
        if body is not None:
            inner = body[1:-1]
            ipos = 0
            while ipos < len(inner.rstrip()):
                pm = _PAIR_RE.match(inner, ipos)
                if not pm or pm.end() == ipos:
                    raise CorpusError(
                        f"cannot parse {inner[ipos : ipos + 30]!r} inside {name}[...]; "
                        "expected key={span} or key=word",
                        path=path,
                        line=lineno,
                    )
                key = pm.group(1)
                if pm.group(2) is not None:
                    value, occ = pm.group(2), int(pm.group(3) or 1)
                else:
                    value, occ = pm.group(4), 0
                args.setdefault(key, []).append((value, occ))
                ipos = pm.end()
        tokens.append((name, args))
        pos = m.end()
        while pos < len(labels) and labels[pos] == " ":
            pos += 1
    return tokens


def _occurrences(sentence: str, value: str) -> list[int]:
    """Start offsets of ``value`` in ``sentence`` that respect word boundaries.

    A span that starts (ends) with a letter or digit must not start (end) inside a word, so
    ``{he}`` never matches the "he" in "They".
    """
    out = []
    idx = sentence.find(value)
    while idx >= 0:
        end = idx + len(value)
        left_ok = not (value[0].isalnum() and idx > 0 and sentence[idx - 1].isalnum())
        right_ok = not (value[-1].isalnum() and end < len(sentence) and sentence[end].isalnum())
        if left_ok and right_ok:
            out.append(idx)
        idx = sentence.find(value, idx + 1)
    return out


def _find(sentence: str, value: str, occ: int, what: str, path: str, lineno: int) -> int:
    """Offset of the occ-th whole-word occurrence of value in sentence, or a CorpusError."""
    if not value:
        raise CorpusError(f"empty {what} span", path=path, line=lineno)
    found = _occurrences(sentence, value)
    if len(found) < max(occ, 1):
        count = len(found)
        what_found = f"it occurs {count} time(s)" if count else "it does not occur"
        raise CorpusError(
            f"{what} span {{{value}}}#{occ} not found in its sentence: {what_found}",
            path=path,
            line=lineno,
        )
    return found[max(occ, 1) - 1]


def parse_article(path: str | Path) -> GoldArticle:
    """Parse one article file into a :class:`GoldArticle` with exact offsets.

    Parameters
    ----------
    path : str or Path
        An article file in the format of ``corpora/FORMAT.md``.

    Returns
    -------
    GoldArticle

    Raises
    ------
    CorpusError
        With the file and line of the first problem found.

    """
    path = Path(path)
    spath = str(path)
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not valid UTF-8 ({exc.reason})", path=spath) from exc
    header: dict[str, str] = {}
    body_start = None
    for i, line in enumerate(raw_lines, start=1):
        if line.strip() == "---":
            body_start = i
            break
        if not line.strip():
            continue
        if ":" not in line:
            raise CorpusError("header line must be 'key: value'", path=spath, line=i)
        key, value = line.split(":", 1)
        key = key.strip()
        if key not in REQUIRED_HEADER + OPTIONAL_HEADER:
            raise CorpusError(f"unknown header key {key!r}", path=spath, line=i)
        if key in header:
            raise CorpusError(f"header key {key!r} given twice", path=spath, line=i)
        header[key] = value.strip()
    if body_start is None:
        raise CorpusError("no '---' line separating header from body", path=spath, line=1)
    for key in REQUIRED_HEADER:
        if not header.get(key):
            raise CorpusError(f"header lacks {key!r}", path=spath, line=1)
    if not _ID_RE.match(header["id"]):
        raise CorpusError(f"bad id {header['id']!r}: use a-z, 0-9 and '-'", path=spath, line=1)
    if header["topic"] not in TOPICS:
        raise CorpusError(
            f"unknown topic {header['topic']!r}; expected one of {', '.join(TOPICS)}",
            path=spath,
            line=1,
        )
    if not _DATE_RE.match(header["published"]):
        raise CorpusError("published must be YYYY-MM-DD", path=spath, line=1)

    # body: collect (lineno, text, labels) grouped into paragraphs
    paragraphs: list[list[tuple[int, str, str]]] = [[]]
    for i in range(body_start, len(raw_lines)):
        lineno = i + 1
        line = raw_lines[i]
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        text, labels = _split_label(line, spath, lineno)
        paragraphs[-1].append((lineno, text, labels))
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise CorpusError("article has no sentences", path=spath, line=body_start)

    # build text and sentence offsets
    parts: list[str] = []
    pos = 0
    sentences: list[GoldSentence] = []
    pending: list[tuple[str, int, str]] = []
    for pno, para in enumerate(paragraphs):
        if pno:
            parts.append("\n\n")
            pos += 2
        for k, (lineno, text, labels) in enumerate(para):
            if k:
                parts.append(" ")
                pos += 1
            sentences.append(
                GoldSentence(
                    sent_id=len(sentences),
                    start=pos,
                    end=pos + len(text),
                    paragraph=pno,
                    is_headline=pno == 0,
                    line=lineno,
                )
            )
            pending.append((text, lineno, labels))
            parts.append(text)
            pos += len(text)
    article_text = "".join(parts)

    for sid, (_text, lineno, labels) in enumerate(pending):
        _apply_labels(sentences, sid, pending, labels, spath, lineno)

    return GoldArticle(
        doc_id=header["id"],
        outlet=header["outlet"],
        topic=header["topic"],
        event=header["event"],
        published=header["published"],
        url=header.get("url") or None,
        title=header.get("title") or pending[0][0],
        author=header.get("author") or None,
        text=article_text,
        sentences=sentences,
        source_file=spath,
    )


def _span(
    sentences: list[GoldSentence],
    pending: list[tuple[str, int, str]],
    sid: int,
    key: str,
    value: str,
    occ: int,
    path: str,
    lineno: int,
) -> Span:
    target = sid
    where = _NEIGHBOUR.match(key)
    if where:
        # prev. / next. (one line away), prev2. / next3. (a multi-sentence quotation)
        step = int(where.group(2) or 1)
        target = sid - step if where.group(1) == "prev" else sid + step
    if not 0 <= target < len(sentences):
        raise CorpusError(f"{key} points outside the article", path=path, line=lineno)
    stext = pending[target][0]
    idx = _find(stext, value, occ, key, path, lineno)
    start = sentences[target].start + idx
    return Span(start, start + len(value), value)


def _apply_labels(
    sentences: list[GoldSentence],
    sid: int,
    pending: list[tuple[str, int, str]],
    labels: str,
    path: str,
    lineno: int,
) -> None:
    sent = sentences[sid]
    for name, args in _parse_tokens(labels, path, lineno):
        if name == "claim":
            if args:
                raise CorpusError("'claim' takes no [...]", path=path, line=lineno)
            sent.claim = True
            continue
        if ":" not in name:
            raise CorpusError(
                f"unknown label {name!r}; expected claim, att:KIND[...], frame:KIND[...] "
                "or qframe:KIND[...]",
                path=path,
                line=lineno,
            )
        family, kinds_s = name.split(":", 1)
        kinds = kinds_s.split("+")
        if family == "att":
            bad = [k for k in kinds if k not in ATTRIBUTION_KINDS]
            if bad:
                raise CorpusError(
                    f"unknown attribution kind {bad[0]!r}; expected {', '.join(ATTRIBUTION_KINDS)}",
                    path=path,
                    line=lineno,
                )
            att = GoldAttribution(kind=kinds)
            for key, values in args.items():
                if len(values) > 1:
                    raise CorpusError(f"{key} given twice in one att[...]", path=path, line=lineno)
                value, occ = values[0]
                base = key.split(".")[-1]
                if key == "stype":
                    if value not in SOURCE_TYPES:
                        raise CorpusError(
                            f"unknown stype {value!r}; expected {', '.join(SOURCE_TYPES)}",
                            path=path,
                            line=lineno,
                        )
                    att.stype = value
                elif key == "entity":
                    att.entity = value
                elif base in ("src", "cue", "content") and (
                    key == base or _NEIGHBOUR.fullmatch(key)
                ):
                    span = _span(sentences, pending, sid, key, value, occ, path, lineno)
                    setattr(att, {"src": "source"}.get(base, base), span)
                else:
                    raise CorpusError(
                        f"unknown key {key!r} in att[...]; expected src, cue, content "
                        "(optionally prev./next., prev2./next2., prev3./next3.), stype, entity",
                        path=path,
                        line=lineno,
                    )
            if att.cue is None:
                raise CorpusError("attribution without cue={...}", path=path, line=lineno)
            if att.source is not None and att.stype is None:
                raise CorpusError("attribution with src but no stype=", path=path, line=lineno)
            if att.source is None and att.stype is None:
                att.stype = "none"
            if att.source is None and "hedged" not in kinds and att.stype != "none":
                logger.debug("%s:%s attribution without source", path, lineno)
            sent.attributions.append(att)
        elif family in ("frame", "qframe"):
            bad = [k for k in kinds if k not in FRAMING_KINDS]
            if bad or len(kinds) != 1:
                raise CorpusError(
                    f"frame kind must be one of {', '.join(FRAMING_KINDS)}, got {kinds_s!r}",
                    path=path,
                    line=lineno,
                )
            kind = kinds[0]
            voice = "writer" if family == "frame" else "quoted"
            unknown = set(args) - {"term"}
            if unknown:
                raise CorpusError(
                    f"unknown key(s) {', '.join(sorted(unknown))} in {name}[...]; only term=",
                    path=path,
                    line=lineno,
                )
            terms = args.get("term", [])
            if not terms:
                raise CorpusError(
                    f"{name}[...] needs at least one term={{...}}", path=path, line=lineno
                )
            for value, occ in terms:
                sp = _span(sentences, pending, sid, "term", value, occ, path, lineno)
                sent.framing_terms.append({"kind": kind, "voice": voice, **sp.to_dict()})
            target = sent.framing_kind if voice == "writer" else sent.quoted_framing_kind
            if kind not in target:
                target.append(kind)
        else:
            raise CorpusError(f"unknown label family {family!r}", path=path, line=lineno)


# --------------------------------------------------------------------------- corpus


def _settings(corpus_dir: Path) -> dict[str, Any]:
    cfg = corpus_dir / "corpus.toml"
    if not cfg.exists():
        raise CorpusError("corpus.toml not found", path=str(cfg))
    with cfg.open("rb") as fh:
        return tomllib.load(fh)


def assign_split(event: str, outlet: str, settings: dict[str, Any]) -> str:
    """Deterministic split of an article from its event slug and outlet.

    Examples
    --------
    >>> assign_split("x", "harbor-gazette", {"test_outlet": "harbor-gazette"})
    'test_outlet'

    """
    if outlet == settings.get("test_outlet"):
        return "test_outlet"
    h = int(hashlib.sha256(event.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    train, dev = settings.get("train_share", 0.7), settings.get("dev_share", 0.15)
    if h < train:
        return "train"
    if h < train + dev:
        return "dev"
    return "test"


def article_files(corpus_dir: str | Path) -> list[Path]:
    """All article files under ``corpus_dir/articles``, sorted."""
    root = Path(corpus_dir) / "articles"
    if not root.is_dir():
        raise CorpusError("no articles/ folder", path=str(corpus_dir))
    return sorted(root.glob("*/*.txt"))


def read_corpus(
    corpus_dir: str | Path = "corpora", *, skip_invalid: bool = False
) -> list[GoldArticle]:
    """Parse and validate every article of the corpus.

    Parameters
    ----------
    corpus_dir : str or Path
        The corpus folder (holding ``articles/`` and ``corpus.toml``).
    skip_invalid : bool
        Log and skip files that fail to parse instead of raising (for work in progress).

    Returns
    -------
    list of GoldArticle
        In file order, with ``split`` assigned.

    Raises
    ------
    CorpusError
        On the first problem: duplicate ids, outlet not matching its folder, bad labels.

    """
    corpus_dir = Path(corpus_dir)
    settings = _settings(corpus_dir)
    articles = []
    seen: dict[str, str] = {}
    for path in article_files(corpus_dir):
        try:
            art = parse_article(path)
        except CorpusError as exc:
            if not skip_invalid:
                raise
            logger.warning("skipping %s", exc)
            continue
        if art.outlet != path.parent.name:
            raise CorpusError(
                f"outlet {art.outlet!r} does not match its folder {path.parent.name!r}",
                path=str(path),
                line=1,
            )
        if art.doc_id in seen:
            raise CorpusError(
                f"id {art.doc_id!r} already used by {seen[art.doc_id]}", path=str(path), line=1
            )
        seen[art.doc_id] = str(path)
        art.split = assign_split(art.event, art.outlet, settings)
        articles.append(art)
    return articles


def validate(corpus_dir: str | Path = "corpora") -> list[str]:
    """Check every file and return a list of problems (empty when valid).

    Unlike :func:`read_corpus`, which stops at the first error, this collects one problem per
    file so a reviewer sees them all at once.
    """
    corpus_dir = Path(corpus_dir)
    problems: list[str] = []
    settings = _settings(corpus_dir)
    seen: dict[str, str] = {}
    for path in article_files(corpus_dir):
        try:
            art = parse_article(path)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        if art.outlet != path.parent.name:
            problems.append(
                f"{path}:1: outlet {art.outlet!r} does not match its folder {path.parent.name!r}"
            )
        if art.doc_id in seen:
            problems.append(f"{path}:1: id {art.doc_id!r} already used by {seen[art.doc_id]}")
        seen[art.doc_id] = str(path)
        _ = assign_split(art.event, art.outlet, settings)
        problems += _cue_inside_quote_problems(art, path)
    return problems


def _cue_inside_quote_problems(art: GoldArticle, path: Path) -> list[str]:
    """A direct quote's cue taken from inside the quotation when the verb recurs after it.

    ``cue={said}`` takes the first occurrence: in "“He said no,” she said." that is the
    quoted word, and the speaker's verb needs ``cue={said}#2``.
    """
    out = []
    for sent in art.sentences:
        for att in sent.attributions:
            cue, content = att.cue, att.content
            if "direct_quote" not in att.kind or cue is None or content is None:
                continue
            if content.start <= cue.start and cue.end <= content.end:
                word = re.compile(rf"(?<!\w){re.escape(cue.text)}(?!\w)")
                if word.search(art.text, content.end, sent.end):
                    out.append(
                        f"{path}:{sent.line}: cue {{{cue.text}}} is inside the quotation; the "
                        f"speaker's verb is a later occurrence (write cue={{{cue.text}}}#N)"
                    )
    return out


def article_to_json(art: GoldArticle) -> dict[str, Any]:
    """The built-JSONL record of one article (schema in ``corpora/FORMAT.md``)."""
    return {
        "doc_id": art.doc_id,
        "outlet": art.outlet,
        "topic": art.topic,
        "event": art.event,
        "published": art.published,
        "url": art.url,
        "title": art.title,
        "author": art.author,
        "split": art.split,
        "source_file": Path(art.source_file).as_posix(),
        "text": art.text,
        "sentences": [
            {
                "sent_id": s.sent_id,
                "start": s.start,
                "end": s.end,
                "paragraph": s.paragraph,
                "is_headline": s.is_headline,
                "claim": s.claim,
                "attribution": bool(s.attributions),
                "attribution_kind": s.attribution_kind,
                "framing": bool(s.framing_kind),
                "framing_kind": [k for k in FRAMING_KINDS if k in s.framing_kind],
                "quoted_framing_kind": [k for k in FRAMING_KINDS if k in s.quoted_framing_kind],
                "attributions": [a.to_dict() for a in s.attributions],
                "framing_terms": s.framing_terms,
            }
            for s in art.sentences
        ],
    }


def build(corpus_dir: str | Path = "corpora") -> list[Path]:
    """Write ``gold/<outlet>.jsonl`` from the article files; return the paths written."""
    corpus_dir = Path(corpus_dir)
    articles = read_corpus(corpus_dir)
    by_outlet: dict[str, list[GoldArticle]] = {}
    for art in articles:
        by_outlet.setdefault(art.outlet, []).append(art)
    out_dir = corpus_dir / "gold"
    out_dir.mkdir(exist_ok=True)
    written = []
    for old in out_dir.glob("*.jsonl"):
        if old.stem not in by_outlet:
            old.unlink()
    for outlet, arts in sorted(by_outlet.items()):
        path = out_dir / f"{outlet}.jsonl"
        lines = [
            json.dumps(article_to_json(a), ensure_ascii=False, sort_keys=True)
            for a in sorted(arts, key=lambda a: a.doc_id)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


def corpus_hash(corpus_dir: str | Path = "corpora") -> str:
    """sha256 over the article files and corpus.toml (paths and bytes), for model cards."""
    corpus_dir = Path(corpus_dir)
    h = hashlib.sha256()
    for path in [corpus_dir / "corpus.toml", *article_files(corpus_dir)]:
        h.update(path.relative_to(corpus_dir).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def iter_sentence_rows(articles: Iterable[GoldArticle]) -> Iterator[dict[str, Any]]:
    """Yield one sentence-table row (with gold columns) per annotated sentence."""
    for art in articles:
        for s in art.sentences:
            text = art.text[s.start : s.end]
            yield {
                "doc_id": art.doc_id,
                "outlet": art.outlet,
                "sent_id": s.sent_id,
                "start": s.start,
                "end": s.end,
                "text": text,
                "paragraph": s.paragraph,
                "is_headline": s.is_headline,
                "in_quote": _quote_share(text),
                "split": art.split,
                "topic": art.topic,
                "event": art.event,
                "published": art.published,
                "gold_claim": s.claim,
                "gold_attribution": bool(s.attributions),
                "gold_framing": bool(s.framing_kind),
                "gold_attribution_kind": s.attribution_kind,
                "gold_framing_kind": [k for k in FRAMING_KINDS if k in s.framing_kind],
                "gold_quoted_framing_kind": [
                    k for k in FRAMING_KINDS if k in s.quoted_framing_kind
                ],
                "gold_attributions": [a.to_dict() for a in s.attributions],
                "gold_framing_terms": s.framing_terms,
            }


def _quote_share(text: str) -> float:
    # local import keeps corpus loading free of the segmenter when it is not needed
    from biaskit.quotes import quote_share

    return quote_share(text)


def load(
    corpus_dir: str | Path = "corpora", *, skip_invalid: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the corpus as (documents, sentences) tables with gold columns.

    Parameters
    ----------
    corpus_dir : str or Path
        The corpus folder.

    Returns
    -------
    documents : pandas.DataFrame
        One row per article: doc_id, outlet, title, text, published, url, split, topic, event.
    sentences : pandas.DataFrame
        The sentence table of DESIGN.md plus the ``gold_*`` columns of
        :data:`biaskit.schema.GOLD_COLUMNS`.

    """
    articles = read_corpus(corpus_dir)
    docs = pd.DataFrame(
        [
            {
                "doc_id": a.doc_id,
                "outlet": a.outlet,
                "title": a.title,
                "text": a.text,
                "published": a.published,
                "url": a.url,
                "split": a.split,
                "topic": a.topic,
                "event": a.event,
            }
            for a in articles
        ]
    )
    sents = pd.DataFrame(list(iter_sentence_rows(articles)))
    return docs, sents


def statistics(corpus_dir: str | Path = "corpora") -> str:
    """Markdown tables of the corpus: per outlet, topic, split, tag and kind."""
    articles = read_corpus(corpus_dir)
    n_sent = sum(len(a.sentences) for a in articles)
    lines = [
        f"Articles: **{len(articles)}**; sentences: **{n_sent}**; outlets: "
        f"**{len({a.outlet for a in articles})}**; topics: **{len({a.topic for a in articles})}**;"
        f" events: **{len({a.event for a in articles})}**.",
        "",
    ]

    def table(title: str, key: str, counts_a: Counter, counts_s: Counter) -> None:
        lines.extend([f"| {title} | articles | sentences |", "|---|---:|---:|"])
        for k in sorted(counts_a):
            lines.append(f"| {k} | {counts_a[k]} | {counts_s[k]} |")
        lines.append("")

    for title, attr in (("outlet", "outlet"), ("topic", "topic"), ("split", "split")):
        ca: Counter = Counter()
        cs: Counter = Counter()
        for a in articles:
            ca[getattr(a, attr)] += 1
            cs[getattr(a, attr)] += len(a.sentences)
        table(title, attr, ca, cs)

    tags: Counter = Counter()
    for a in articles:
        for s in a.sentences:
            tags["claim"] += s.claim
            tags["attribution"] += bool(s.attributions)
            for k in s.attribution_kind:
                tags[f"attribution: {k}"] += 1
            tags["framing (writer)"] += bool(s.framing_kind)
            for k in s.framing_kind:
                tags[f"framing: {k}"] += 1
            tags["framing (quoted)"] += bool(s.quoted_framing_kind)
            tags["none"] += not (s.claim or s.attributions or s.framing_kind)
    lines.extend(["| tag / kind | sentences | share |", "|---|---:|---:|"])
    order = (
        ["claim", "attribution"]
        + [f"attribution: {k}" for k in ATTRIBUTION_KINDS]
        + ["framing (writer)"]
        + [f"framing: {k}" for k in FRAMING_KINDS]
        + ["framing (quoted)", "none"]
    )
    for k in order:
        lines.append(f"| {k} | {tags[k]} | {tags[k] / max(n_sent, 1):.3f} |")
    lines.append("")
    return "\n".join(lines)


def cohen_kappa(a: list[bool], b: list[bool]) -> float:
    """Cohen's kappa of two binary label lists (1.0 = perfect agreement, 0 = chance).

    Examples
    --------
    >>> cohen_kappa([True, False, True, False], [True, False, False, False])
    0.5
    """
    n = len(a)
    if n == 0 or n != len(b):
        raise ValueError("kappa needs two label lists of the same, non-zero length")
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if pe == 1 else round((po - pe) / (1 - pe), 4)


def _sentence_labels(art: GoldArticle) -> list[dict[str, bool]]:
    rows = []
    for s in art.sentences:
        row = {
            "claim": s.claim,
            "attribution": bool(s.attributions),
            "framing (writer)": bool(s.framing_kind),
            "framing (quoted)": bool(s.quoted_framing_kind),
        }
        row.update({f"attribution: {k}": k in s.attribution_kind for k in ATTRIBUTION_KINDS})
        row.update({f"framing: {k}": k in s.framing_kind for k in FRAMING_KINDS})
        rows.append(row)
    return rows


def agreement(first: Iterable[str | Path], second_dir: str | Path) -> str:
    """Markdown table of Cohen's kappa per tag and kind between two annotations.

    Parameters
    ----------
    first : iterable of path
        Article files of the first annotation.
    second_dir : str or Path
        Folder with the second annotation of (some of) the same files, same file names.

    Returns
    -------
    str
        Markdown: articles and sentences compared, then one row per tag/kind with both
        annotators' positive counts, observed agreement and kappa.
    """
    a_rows: list[dict[str, bool]] = []
    b_rows: list[dict[str, bool]] = []
    n_art = skipped = 0
    for path in first:
        other = Path(second_dir) / Path(path).name
        if not other.exists():
            continue
        a, b = parse_article(path), parse_article(other)
        if [x.end - x.start for x in a.sentences] != [x.end - x.start for x in b.sentences]:
            # the article was edited after the second annotator got it: not comparable
            logger.warning("%s: sentences differ from the first annotation; skipped", other)
            skipped += 1
            continue
        a_rows += _sentence_labels(a)
        b_rows += _sentence_labels(b)
        n_art += 1
    if not a_rows:
        raise CorpusError("no doubly annotated articles found", path=str(second_dir))
    note = f" ({skipped} edited after sampling, skipped)" if skipped else ""
    lines = [
        f"Doubly annotated: **{n_art}** articles, **{len(a_rows)}** sentences{note}.",
        "",
        "| tag / kind | A positives | B positives | agreement | Cohen's kappa |",
        "|---|---:|---:|---:|---:|",
    ]
    for key in a_rows[0]:
        xa = [r[key] for r in a_rows]
        xb = [r[key] for r in b_rows]
        agree = sum(x == y for x, y in zip(xa, xb, strict=True)) / len(xa)
        lines.append(f"| {key} | {sum(xa)} | {sum(xb)} | {agree:.3f} | {cohen_kappa(xa, xb):.3f} |")
    return "\n".join(lines) + "\n"


def write_readme(corpus_dir: str | Path = "corpora") -> Path:
    """Fill ``README.template.md`` with the statistics and agreement tables."""
    corpus_dir = Path(corpus_dir)
    template = (corpus_dir / "README.template.md").read_text("utf-8")
    second = corpus_dir / "agreement" / "annotator-b"
    if second.is_dir() and any(second.glob("*.txt")):
        agree = agreement(article_files(corpus_dir), second)
    else:
        agree = "(not yet measured)"
    text = template.replace("{{STATISTICS}}", statistics(corpus_dir).strip()).replace(
        "{{AGREEMENT}}", agree.strip()
    )
    out = corpus_dir / "README.md"
    out.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m biaskit.corpus validate|build|stats [CORPUS_DIR]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "readme":
        corpus_dir = Path(argv[1] if len(argv) > 1 else "corpora")
        sys.stdout.write(f"wrote {write_readme(corpus_dir)}\n")
        return 0
    if not argv or argv[0] not in ("validate", "build", "stats", "check"):
        sys.stderr.write(
            "usage: python -m biaskit.corpus validate|build|stats [CORPUS_DIR]\n"
            "       python -m biaskit.corpus check FILE [FILE ...]\n"
        )
        return 2
    if argv[0] == "check":
        bad = 0
        for f in argv[1:]:
            try:
                art = parse_article(f)
            except CorpusError as exc:
                bad += 1
                sys.stderr.write(f"{exc}\n")
                continue
            sys.stdout.write(f"ok {f}: {len(art.sentences)} sentences\n")
        return 1 if bad else 0
    cmd, corpus_dir = argv[0], (argv[1] if len(argv) > 1 else "corpora")
    try:
        if cmd == "validate":
            problems = validate(corpus_dir)
            for p in problems:
                sys.stderr.write(p + "\n")
            n = len(article_files(corpus_dir))
            sys.stdout.write(f"{n} article file(s), {len(problems)} problem(s)\n")
            return 1 if problems else 0
        if cmd == "build":
            for p in build(corpus_dir):
                sys.stdout.write(f"wrote {p}\n")
            return 0
        sys.stdout.write(statistics(corpus_dir) + "\n")
        return 0
    except CorpusError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
