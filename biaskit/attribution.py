"""Attribution spans: who said it (source), with what words (cue), and what (content).

Rules over tokens and the shipped lexicons, applied per article so that quotations can be
followed across sentences and pronouns resolved to earlier names. Each extraction records the
rule that fired. The tagger's probabilities decide *whether* a sentence is attributed; these
rules say *how* and *to whom*.

Rules, in order of precedence for one sentence:

``according_to``
    "according to X", "citing X", "X's data show" — source is the noun phrase after the phrase.
``quote_then_speaker``
    “…,” Haftar said. / “…,” said Haftar. — the speaker after a closing quotation mark.
``speaker_colon_quote``
    He said: “…” — the speaker before a colon or comma that opens a quotation.
``headline_colon``
    Minister: prices will fall — a headline whose first part names the source.
``reported_speech``
    X said (that) … — the noun phrase before a reporting or belief verb.
``anonymous_phrase``
    "people familiar with the matter", "sources said" — the phrase itself is the source.
``hedge``
    "reportedly", "is said to" — attribution without a source.
``quote_continuation``
    a sentence inside a multi-sentence quotation takes the speaker of the next or previous
    sentence of the same quotation.
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from biaskit.lexicons import default_matcher
from biaskit.quotes import quote_spans

logger = logging.getLogger(__name__)

_PRONOUNS = {
    "he": "person",
    "she": "person",
    "they": "role",
    "it": "organisation",
    "we": "role",
    "i": "person",
}
_TITLES = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|Sen|Rep|Gov|Rev|Judge|President|Minister|"
    r"Marshal|General|Senator|Governor|Mayor|Chancellor|Secretary|Chief|Commissioner|"
    r"Justice|Ambassador|Prime Minister|King|Queen|Prince|Sheikh|Pope|Coach|Detective|Officer)\b\.?"
)
_ORG_WORDS = re.compile(
    r"\b(?:Ministry|Department|Agency|Council|Commission|Committee|Court|Office|Bureau|Bank|"
    r"Army|Forces|Police|Party|Union|Association|Institute|University|Company|Corp|Inc|Ltd|"
    r"Group|Front|Government|Parliament|Congress|Senate|House|Board|Authority|Service|Fund|"
    r"Organization|Organisation|Federation|League|Coalition|Campaign|Network|Foundation|Center|"
    r"Centre|Administration|Embassy|Cabinet|Kremlin|Pentagon|White House|UN|EU|NATO|WHO|IMF|FBI|"
    r"CIA|police|ministry|government|agency|company|firm|council|court|party|army|military)\b"
)
_DOC_WORDS = re.compile(
    r"\b(?:report|reports|study|studies|data|figures|statistics|survey|poll|polls|records|"
    r"documents|filing|filings|analysis|census|audit|review|paper|estimates|assessment|"
    r"letter|memo|statement|transcript|indictment|complaint|ruling|lawsuit|probe|inquiry|"
    r"investigation|footage|video|records?)\b",
    re.IGNORECASE,
)
_ANON_HINT = re.compile(
    r"\b(?:anonymity|not authori[sz]ed|not be named|not to be named|declined to be (?:named|"
    r"identified)|unnamed|familiar with|sources?\b|insiders?|briefed on|close to the)\b",
    re.IGNORECASE,
)
# a single unnamed individual of an institution is an anonymous source (guidelines §2)
_ANON_SINGLE = re.compile(
    r"^(?:a|an|one|another)\s+(?:[\w’'-]+\s+){0,5}?(?:official|diplomat|source|insider|aide|"
    r"person|pal|friend|staffer|adviser|advisor|employee|executive|officer|lawmaker|member)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w’'\-.]+|[^\w\s]")
# words that end a source noun phrase when walking left from a verb
_NP_STOP = {
    "that",
    "which",
    "who",
    "whom",
    "whose",
    "and",
    "but",
    "or",
    "because",
    "while",
    "when",
    "after",
    "before",
    "as",
    "if",
    "although",
    "though",
    "since",
    "where",
    "so",
    "then",
}
_NP_SKIP = {
    "also",
    "later",
    "earlier",
    "previously",
    "again",
    "repeatedly",
    "reportedly",
    "told",
    "once",
    "recently",
    "already",
    "has",
    "have",
    "had",
    "was",
    "were",
    "is",
    "are",
    "will",
    "would",
    "could",
    "may",
    "might",
    "publicly",
    "privately",
    "not",
    "never",
    "still",
    "separately",
    "further",
    "then",
    "on",
    "in",
    "at",
    "last",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "week",
    "month",
    "year",
    "night",
    "morning",
    "evening",
}
_CLOSE_QUOTE = '”"’»'
_LEAD_PHRASE = re.compile(r"^(?:according to|citing|as (?:first )?reported by|quoted by|per)\b")
_TRAIL_VERB = re.compile(
    r"\b(?:show|shows|showed|shown|found|finds|suggest|suggests|suggested|"
    r"indicate|indicates|indicated|reveal|reveals|revealed)$"
)
_NEGATED = re.compile(
    r"(?:\b(?:declined|declines|decline|refused|refuses|refuse)\s+to|\b(?:not|never)|n[’']t)"
    r"\s*(?:\w+\s+)?$",
    re.IGNORECASE,
)
_CLAUSE_START = {
    "that",
    "the",
    "a",
    "an",
    "his",
    "her",
    "their",
    "its",
    "our",
    "this",
    "these",
    "those",
    "it",
    "he",
    "she",
    "they",
    "we",
    "i",
    "there",
    "about",
    "some",
    "no",
}
_SIGNATURE = re.compile(
    r"(?:^|[”\"’]\s*)(?P<dash>[―—–])\s*(?P<name>[A-Z][\w.’'-]+(?:\s+[A-Z][\w.’'-]+){0,4})"
)
_SPEAKER_LABEL = re.compile(
    r"^(?P<label>(?:[A-Z][\w.’'-]+\s+){0,3}[A-Z][\w.’'-]+):\s+(?=\S)"
)
_NOT_SPEAKERS = {"read more", "related", "photo", "watch", "listen", "editor's note", "update",
                 "correction", "note", "see also", "more", "source", "sources", "video",
                 "advertisement", "breaking", "exclusive", "analysis", "opinion", "live"}
_NAMING = re.compile(
    r"\b(?P<verb>called|calls|call|calling|dubbed|dubs|branded|brands|described|describes|"
    r"labelled|labeled)\b[^“\"]{0,60}?[“\"]"
)
_DOC_VERB = re.compile(
    r"\b(?P<verb>(?:has |have |had )?(?:found|finds|showed|shows|show|shown|suggests|suggested|"
    r"concluded|concludes|estimated|estimates|indicated|indicates|judged|determined))\b"
)
_DETERMINERS = {
    "a",
    "an",
    "the",
    "this",
    "these",
    "those",
    "its",
    "his",
    "her",
    "their",
    "our",
    "my",
    "your",
    "mass",
    "some",
    "any",
    "no",
    "every",
    "each",
}
_ROLE = re.compile(
    r"\b(?:official|officials|spokes(?:man|woman|person)|minister|police|residents?|analysts?|"
    r"experts?|critics?|lawmakers?|legislators?|authorities|witnesses|researchers?|scientists?|"
    r"economists?|investors?|lawyers?|attorneys?|prosecutors?|judge|president|mayor|governor|"
    r"senator|chief|leader|head|director|executive|officer|sources?|diplomats?|aides?|doctors?|"
    r"company|ministry|agency|campaign|group|army|military|government|administration|union|"
    r"party|court|committee|council|board|report|study|data|figures|poll|survey|statement|"
    r"activists?|protesters?|organi[sz]ers?|voters?|members?|supporters?|opponents?|workers?|"
    r"victims?|families|parents|teachers|students|officers|troops|soldiers|commanders?|"
    r"insiders?|people|person|someone|observers?|commentators?|advocates?|owners?|managers?|"
    r"coach|players?|fans|neighbou?rs?|staff|employees|trader|traders|banks?|firm|firms)\b",
    re.IGNORECASE,
)
_OPEN_QUOTE = '“"‘«„'


@dataclass
class Attribution:
    """One attribution found in a sentence; spans are offsets into the article text."""

    kind: list[str]
    rule: str
    cue: tuple[int, int] | None = None
    source: tuple[int, int] | None = None
    content: tuple[int, int] | None = None
    source_type: str = "none"
    entity: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    cue_weight: float = 1.0


_KEEP_MULTIWORD = {
    "told reporters",
    "told journalists",
    "told a news conference",
    "told the newspaper",
    "pointed out",
    "made clear",
    "went on to say",
}


def _cue_matches(
    text: str, offset: int, matches: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Attribution-related lexicon matches of one sentence (doc offsets).

    Multi-word reporting-verb entries ("said on Tuesday", "told a rally") are trimmed to the
    verb, as the annotation guidelines mark the minimal cue.
    """
    matcher = default_matcher()
    out = []
    if matches is None:
        matches = matcher.matches(text, offset=offset)
    exposed: set[int] = set()
    for m in matches:
        if " " in m["term"] and m["lexicon"] not in ("reporting_verbs",):
            # "the company said", "critics say": a phrase (of any lexicon) hides its verb
            last = m["term"].rsplit(" ", 1)[1]
            verb = next(
                (
                    x
                    for x in matcher.entries.get(last.lower(), [])
                    if x.lexicon == "reporting_verbs" and x.weight >= 0.6
                ),
                None,
            )
            if (
                verb is not None
                and not _LEAD_PHRASE.match(m["term"].lower())
                and m["end"] - len(last) not in exposed
            ):
                exposed.add(m["end"] - len(last))  # a set: one check per phrase, not a scan
                out.append(
                    {
                        "lexicon": "reporting_verbs",
                        "kind": verb.kind,
                        "weight": verb.weight,
                        "term": last,
                        "start": m["end"] - len(last),
                        "end": m["end"],
                    }
                )
        if m["lexicon"] == "reporting_verbs" and m["weight"] < 0.3:
            continue  # "state", "plans": too often not a verb of saying
        if m["lexicon"] == "attribution_phrases" and m["weight"] < 0.5:
            continue  # "per": too often not a cue to anchor spans on
        if m["lexicon"] == "reporting_verbs" and m["term"][:1].isupper() and m["start"] > offset:
            continue  # "the State Department", "Amina Said": a name, not a verb
        if m["lexicon"] == "reporting_verbs" and m["term"].lower().endswith("ing"):
            before = text[max(0, m["start"] - offset - 12) : m["start"] - offset].lower()
            if not re.search(
                r"(?:,|\b(?:is|are|was|were|been|be|am|after|while|before|by))\s*$", before
            ):
                continue  # "a travel warning", "the briefing": a noun, not a verb
        if m["lexicon"] == "reporting_verbs" and " " in m["term"]:
            first = m["term"].split(" ", 1)[0]
            entry = next(
                (
                    x
                    for x in matcher.entries.get(first.lower().replace("’", "'"), [])
                    if x.lexicon == "reporting_verbs"
                ),
                None,
            )
            if (
                m["term"].lower() not in _KEEP_MULTIWORD
                and entry is not None
                and entry.weight >= 0.6
            ):
                m = {
                    **m,
                    "term": first,
                    "end": m["start"] + len(first),
                    "weight": entry.weight,
                    "kind": entry.kind,
                }
        if m["lexicon"] in ("reporting_verbs", "attribution_phrases") or (
            m["lexicon"] == "hedges" and m["kind"] == "distancing"
        ):
            out.append(m)
    return out


def _np_left(doc: str, sent_start: int, end: int) -> tuple[int, int] | None:
    """The noun phrase ending just before ``end`` (walk left over words, stop at boundaries)."""
    seg = doc[sent_start:end]
    toks = [(m.start() + sent_start, m.end() + sent_start, m.group()) for m in _WORD.finditer(seg)]
    # skip adverbs/auxiliaries/time words right before the verb ("Haftar also said")
    while toks and (toks[-1][2].lower() in _NP_SKIP or toks[-1][2].isdigit()):
        toks.pop()
    if not toks:
        return None
    if toks[-1][2] == "," and len(toks) > 1:
        # "Gen. Ortiz, the army chief, said" — an appositive or relative clause ends here:
        # the source is the NP before the appositive, extended over it
        commas = [i for i, t in enumerate(toks[:-1]) if t[2] == ","]
        if commas:
            head = _np_left(doc, sent_start, toks[commas[-1]][0])
            if head is not None:
                appos = doc[toks[commas[-1]][1] : toks[-1][0]].strip()
                if appos.split(" ", 1)[0].lower() in (
                    "who",
                    "which",
                    "whose",
                    "speaking",
                    "citing",
                    "according",
                    "in",
                    "on",
                ):
                    return head
                return head[0], toks[-1][0]
        return None
    keep: list[tuple[int, int, str]] = []
    for s, e, w in reversed(toks):
        lw = w.lower()
        if lw in _NP_STOP or w in (",", ";", "—", "–", "(", ")", ":", "”", "“", '"', "-"):
            if w == "," and keep and keep[-1][2][:1].isupper() and len(keep) <= 3:
                # "Gen. Ortiz, the army chief," — stop; the NP is what we have
                pass
            break
        keep.append((s, e, w))
        if len(keep) >= 12:
            break
    if not keep:
        return None
    keep.reverse()
    # a source NP starts with a determiner, a capitalised word, a number or a pronoun
    while keep and keep[0][2].lower() in {"on", "in", "at", "of", "to", "for", "with"}:
        keep.pop(0)
    if not keep:
        return None
    return keep[0][0], keep[-1][1]


def _np_right(doc: str, start: int, sent_end: int) -> tuple[int, int] | None:
    """The noun phrase starting at ``start`` up to a comma, period, verb-like boundary."""
    seg = doc[start:sent_end]
    m = re.match(
        r"\s*([^,.;:“”\"()—–]+?)(?=\s*(?:[,.;:“”\"()—–]|\s(?:that|who|which|on|in|"
        r"as|after|said|says|told)\b|$))",
        seg,
    )
    if not m or not m.group(1).strip():
        return None
    s = start + m.start(1)
    end = s + len(m.group(1).rstrip())
    # "said Maria Lopez, the mayor." — a short appositive that closes the sentence
    tail = re.match(
        r",\s+(?:the|a|an|its|his|her|their)\s+[^,;:“”\"]{1,60}?(?=[.!?]?[\"”’]?\s*$)",
        doc[end:sent_end],
    )
    if tail:
        end += tail.end()
    return s, end


def _is_anonymous(source: str) -> bool:
    """Whether a source phrase describes a deliberately unnamed source."""
    return bool(_ANON_HINT.search(source) or _ANON_SINGLE.match(source.strip()))


def _plausible_source(stext: str, inverted: bool, cue: dict[str, Any]) -> bool:
    """Whether a reporting-verb match really has a speaker (not "a disputed election")."""
    if not stext:
        return cue["weight"] >= 0.9 and not inverted
    words = stext.split()
    if words[-1].lower() in _DETERMINERS or stext.lower() in {"it", "this", "that", "there"}:
        return False
    if stext.lower() in _PRONOUNS:
        return True
    if cue["weight"] < 0.5 and (inverted or words[-1].lower() in _NP_SKIP):
        return False  # "an estimated 500", "the note": ambiguous verbs need a subject
    if inverted and not stext[:1].isupper() and not _ROLE.search(stext):
        return False
    last = words[-1].strip(",.’'")
    # a capitalised name, a known role, or a plural noun ("brokers", "economists")
    return (
        any(w[:1].isupper() for w in words)
        or bool(_ROLE.search(stext))
        or (last.islower() and last.endswith("s") and not last.endswith(("ss", "ous", "is")))
    )


_NAME_RUN = re.compile(
    r"(?:[A-Z][\w’'\-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w’'\-]+|[A-Z]\.|de|van|von|al|bin|da|del|la))*"
)
_NOT_NAME = {
    "The",
    "A",
    "An",
    "Its",
    "His",
    "Her",
    "Their",
    "Our",
    "This",
    "That",
    "These",
    "Those",
    "One",
    "Two",
    "Some",
    "Many",
    "Several",
    "Most",
    "Officials",
    "Police",
}


def person_name(text: str) -> str | None:
    """The first run of capitalised words that looks like a person's name, titles removed."""
    clean = _TITLES.sub(" ", text)
    for m in _NAME_RUN.finditer(clean):
        words = [w for w in m.group().split() if w not in _NOT_NAME]
        if words and not _ORG_WORDS.search(" ".join(words)):
            return " ".join(words).removesuffix("’s").removesuffix("'s")
    return None


def _source_type(text: str) -> str:
    low = text.lower().strip()
    if low in _PRONOUNS:
        return _PRONOUNS[low]
    if _is_anonymous(text):
        return "anonymous"
    name = person_name(text)
    if _TITLES.match(text.strip()) or (
        name and text.strip().startswith(name.split()[0]) and len(name.split()) >= 2
    ):
        return "person"
    if _DOC_WORDS.search(text):
        return "document"
    if _ORG_WORDS.search(text):
        return "organisation"
    words = text.split()
    caps = [w for w in words if w[:1].isupper()]
    if _TITLES.search(text) or (name and len(name.split()) >= 2):
        return "person"
    if len(caps) == 1 and len(words) == 1:
        return "person"
    return "role"


class _Coref:
    """Most recent person mention and full names by surname, within one article."""

    def __init__(self) -> None:
        self.full_by_last: dict[str, str] = {}
        self.last_person: str | None = None

    def resolve(self, text: str, stype: str) -> str | None:
        low = text.lower().strip()
        if low in ("he", "she", "i"):
            return self.last_person
        if stype != "person":
            return text.strip() or None
        name = person_name(text)
        if not name:
            return text.strip() or None
        words = name.split()
        last = words[-1].strip("’'s")
        if len(words) >= 2:
            name = " ".join(words)
            prev = self.full_by_last.get(last)
            if prev is None or len(name) > len(prev):
                self.full_by_last[last] = name
            self.last_person = self.full_by_last[last]
            return self.full_by_last[last]
        name = self.full_by_last.get(last, words[0])
        self.last_person = name
        return name


def extract_article(
    doc: str,
    sentences: list[tuple[int, int]],
    matches: list[list[dict[str, Any]]] | None = None,
) -> list[list[Attribution]]:
    """Attributions of every sentence of one article.

    Parameters
    ----------
    doc : str
        The article text.
    sentences : list of (start, end)
        Sentence offsets into ``doc`` (from :func:`biaskit.segment.segment`).
    matches : list of list of dict, optional
        Lexicon matches of each sentence (``LexiconMatcher.matches``) when the caller already
        has them; computed here otherwise.

    Returns
    -------
    list of list of Attribution
        One list per sentence (empty when no rule fired).

    Examples
    --------
    >>> doc = "“We will win,” Gen. Lee said."
    >>> [a.texts["source"] for a in extract_article(doc, [(0, len(doc))])[0]]
    ['Gen. Lee']
    """
    quotes = quote_spans(doc)
    coref = _Coref()
    out: list[list[Attribution]] = []
    for k, (s, e) in enumerate(sentences):
        atts = _extract_sentence(
            doc, s, e, quotes, is_first=not out, matches=None if matches is None else matches[k]
        )
        for a in atts:
            if a.source is not None:
                src = doc[a.source[0] : a.source[1]]
                a.entity = coref.resolve(src, a.source_type)
                if a.source_type in ("person",) or src.lower() in ("he", "she"):
                    a.source_type = "person" if a.entity else a.source_type
        out.append(atts)
    _follow_quotes(doc, sentences, quotes, out)
    for atts in out:
        for a in atts:
            for key in ("cue", "source", "content"):
                span = getattr(a, key)
                if span is not None:
                    a.texts[key] = doc[span[0] : span[1]]
    return out


def _quote_parts(quotes: list[tuple[int, int]], s: int, e: int) -> list[tuple[int, int]]:
    # quotations are sorted and disjoint: bisect to the first one ending after s (a scan of
    # every quotation for every sentence is quadratic on long documents)
    i = bisect.bisect_right(quotes, s, key=lambda q: q[1])
    parts = []
    while i < len(quotes) and quotes[i][0] < e:
        parts.append((max(quotes[i][0], s), min(quotes[i][1], e)))
        i += 1
    return parts


def _strip_marks(doc: str, span: tuple[int, int]) -> tuple[int, int]:
    a, b = span
    while a < b and (doc[a] in _OPEN_QUOTE + _CLOSE_QUOTE + ",:;—–-" or doc[a].isspace()):
        a += 1
    while b > a and (doc[b - 1] in _OPEN_QUOTE + _CLOSE_QUOTE + ",.?!" or doc[b - 1].isspace()):
        b -= 1
    return a, b


def _extract_sentence(
    doc: str,
    s: int,
    e: int,
    quotes: list[tuple[int, int]],
    *,
    is_first: bool,
    matches: list[dict[str, Any]] | None = None,
) -> list[Attribution]:
    text = doc[s:e]
    cues = _cue_matches(text, s, matches)
    qparts = _quote_parts(quotes, s, e)
    outside = [c for c in cues if not any(qs <= c["start"] < qe for qs, qe in qparts)]
    atts: list[Attribution] = []
    used: set[int] = set()

    def add(att: Attribution) -> None:
        atts.append(att)

    # according to / citing / data show
    for c in outside:
        if c["lexicon"] != "attribution_phrases":
            continue
        term = c["term"].lower()
        lead = _LEAD_PHRASE.match(term)
        if c["kind"] != "according_to" and not lead:
            continue
        if lead:
            cue = (c["start"], c["start"] + lead.end())
            src = _np_right(doc, cue[1], e)
        elif _TRAIL_VERB.search(term):
            cue = (c["start"], c["end"])
            src = (
                _np_left(doc, s, c["start"])
                if not term.startswith(("data", "figures", "records", "polls"))
                else None
            )
            if src is None and term.split(" ", 1)[0] in ("data", "figures", "records", "polls"):
                src = (c["start"], c["start"] + len(term.split(" ", 1)[0]))
        else:
            continue
        content = None
        if src is not None:
            rest = [(s, cue[0]), (max(src[1], cue[1]), e)]
            content = _strip_marks(doc, max(rest, key=lambda r: r[1] - r[0]))
        stext = doc[src[0] : src[1]] if src else ""
        kind = ["according_to"] + (["anonymous"] if _is_anonymous(stext) else [])
        add(
            Attribution(
                kind, "according_to", cue, src, content, _source_type(stext) if src else "none"
            )
        )
        used.update(range(c["start"], c["end"]))

    speech = [c for c in outside if c["lexicon"] == "reporting_verbs" and c["start"] not in used]
    # “…,” X said.  /  “…,” said X.
    for qs, qe in qparts:
        inner = qe - 1
        while inner > qs and doc[inner - 1] in _CLOSE_QUOTE:
            inner -= 1  # “He told me ‘never again,’” — look past the inner closing mark
        if (
            qe < e
            and doc[qe - 1] in _CLOSE_QUOTE
            and doc[inner - 1 : inner] in (",", "?", "!", "—", "-", "…")
        ):
            after = [c for c in speech if qe <= c["start"] <= qe + 80]
            if after:
                c = after[0]
                src = _np_left(doc, qe, c["start"])
                if src is None or src[0] < qe:
                    src = src if src and src[0] >= qe else _np_right(doc, c["end"], e)
                stext = doc[src[0] : src[1]] if src else ""
                kind = ["direct_quote"] + (["anonymous"] if _is_anonymous(stext) else [])
                add(
                    Attribution(
                        kind,
                        "quote_then_speaker",
                        (c["start"], c["end"]),
                        src,
                        _strip_marks(doc, (qs, qe)),
                        _source_type(stext) if src else "none",
                    )
                )
                used.add(c["start"])
    # He said: “…”
    for qs, qe in qparts:
        before = [
            c
            for c in speech
            if c["end"] <= qs
            and c["start"] not in used
            and re.fullmatch(r"[\s,:]*", doc[c["end"] : qs] if qs - c["end"] < 12 else "x")
        ]
        if before:
            c = before[-1]
            src = _np_left(doc, s, c["start"])
            stext = doc[src[0] : src[1]] if src else ""
            kind = ["direct_quote"] + (["anonymous"] if _is_anonymous(stext) else [])
            add(
                Attribution(
                    kind,
                    "speaker_colon_quote",
                    (c["start"], c["end"]),
                    src,
                    _strip_marks(doc, (qs, qe)),
                    _source_type(stext) if src else "none",
                )
            )
            used.add(c["start"])
    # “…” ― Donald Trump  /  ― Jane Doe, June 1  (a signature line after a quotation)
    m = _SIGNATURE.search(text)
    if m and not any(a.rule == "quote_then_speaker" for a in atts):
        cue = (s + m.start("dash"), s + m.end("dash"))
        src = (s + m.start("name"), s + m.end("name"))
        q = next((qp for qp in reversed(qparts) if qp[1] <= cue[0] + 1), None)
        add(Attribution(["direct_quote"], "signature", cue, src,
                        _strip_marks(doc, q) if q else None, _source_type(m.group("name"))))
    # TRUMP: We are going to win. / Sen. Jane Doe: “…” (transcript-style speaker label)
    m = _SPEAKER_LABEL.match(text)
    if m and not is_first and not atts:
        label = m.group("label")
        if label.lower().rstrip(":") not in _NOT_SPEAKERS and (
            label.isupper() or person_name(label) and len(person_name(label).split()) >= 2
        ):
            cue = (s + m.end("label"), s + m.end("label") + 1)
            add(Attribution(["direct_quote"], "speaker_label", cue,
                            (s + m.start("label"), s + m.end("label")),
                            _strip_marks(doc, (s + m.end(), e)), _source_type(label)))
    # Minister: prices will fall
    if is_first or (not atts and not speech):
        m = re.match(r"^([A-Z][^:“\"]{1,40}):\s+(\S.*)$", text)
        if m and is_first and not qparts and m.group(1).lower() not in _NOT_SPEAKERS:
            src = (s + m.start(1), s + m.end(1))
            add(
                Attribution(
                    ["reported_speech"],
                    "headline_colon",
                    (s + m.end(1), s + m.end(1) + 1),
                    src,
                    (s + m.start(2), e),
                    _source_type(m.group(1)),
                )
            )
    # X said (that) ... — the strongest reporting verb first ("affirmed … and said" → said)
    n_speech = 0
    for c in sorted(speech, key=lambda c: (-c["weight"], c["start"])):
        if c["start"] in used or n_speech >= 2:
            continue
        if _NEGATED.search(doc[max(s, c["start"] - 30) : c["start"]]):
            continue  # "declined to say", "has not said": no content is attributed
        if any(
            a.content and a.content[0] <= c["start"] < a.content[1] for a in atts
        ):
            continue  # nested inside what another source said
        src = _np_left(doc, s, c["start"])
        inverted = False
        prev_word = re.search(r"(\w+)\W*$", doc[s : c["start"]])
        if prev_word and prev_word.group(1).lower() in ("and", "but") and atts and atts[-1].source:
            src = atts[-1].source  # "affirmed the rating and said …": the shared subject
        elif src is None:
            src = _np_right(doc, c["end"], e)
            inverted = True
        if src is not None and not inverted:
            # "A senior official who asked not to be named because … said": the source is the
            # whole description, from the noun phrase before the anonymity clause
            anon = [
                a
                for a in cues
                if a["lexicon"] == "attribution_phrases"
                and a["kind"] == "anonymous"
                and a["end"] <= src[0] + 1
                and a["start"] >= s
                and _ANON_HINT.search(a["term"])
            ]
            if anon:
                head = _np_left(doc, s, anon[0]["start"])
                if head is not None:
                    src = (head[0], src[1])
        stext = doc[src[0] : src[1]] if src else ""
        if not _plausible_source(stext, inverted, c):
            continue
        if c["weight"] < 0.5:
            # an ambiguous form ("report", "note", "estimate") is a verb only when a clause or
            # an object follows it: "note that…", "estimate the cost…", not "report found"
            nxt = re.match(r"\s*([\w$’'-]+)", doc[c["end"] : e])
            if not nxt or not (
                nxt.group(1).lower() in _CLAUSE_START
                or nxt.group(1)[:1].isupper()
                or nxt.group(1)[:1].isdigit()
                or nxt.group(1)[:1] == "$"
            ):
                continue
        content_start = c["end"]
        m = re.match(
            r"\s*(?:on \w+\s*|in a statement\s*|to reporters\s*|,\s*)*(?:that\s+)?",
            doc[content_start:e],
        )
        content_start += m.end() if m else 0
        content = _strip_marks(doc, (content_start, e)) if content_start < e else None
        in_q = any(qs <= c["start"] < qe for qs, qe in qparts)
        stype = _source_type(stext) if src else "none"
        # a document as speaker ("the report says") is an according-to attribution;
        # quoted words inside reported speech make it a (partial) direct quote as well
        kind = ["according_to" if stype == "document" else "reported_speech"]
        if qparts and not in_q and content and any(qs >= content_start for qs, _ in qparts):
            kind.append("direct_quote")
        if _is_anonymous(stext):
            kind.append("anonymous")
        add(
            Attribution(
                kind,
                "reported_speech",
                (c["start"], c["end"]),
                src,
                content,
                stype,
                cue_weight=c["weight"],
            )
        )
        used.add(c["start"])
        n_speech += 1  # at most two reporting verbs per sentence get their own attribution
    # "X called the plan “a disgrace”": naming verbs with a quoted label
    if not atts:
        m = _NAMING.search(text)
        if m:
            cue = (s + m.start("verb"), s + m.end("verb"))
            src = _np_left(doc, s, cue[0])
            stext = doc[src[0] : src[1]] if src else ""
            if src is not None and _plausible_source(stext, False, {"weight": 1.0}):
                q = next(((qs, qe) for qs, qe in qparts if qs >= cue[1]), None)
                content = _strip_marks(doc, q) if q else None
                kind = ["reported_speech", "direct_quote"]
                if _is_anonymous(stext):
                    kind.append("anonymous")
                add(Attribution(kind, "naming_quote", cue, src, content, _source_type(stext)))
    # a report found / data show …
    if not any("according_to" in a.kind for a in atts):
        m = _DOC_VERB.search(text)
        if m:
            src = _np_left(doc, s, s + m.start("verb"))
            stext = doc[src[0] : src[1]] if src else ""
            if src is not None and _DOC_WORDS.search(stext):
                cue = (s + m.start("verb"), s + m.end("verb"))
                content = _strip_marks(doc, (cue[1], e))
                add(Attribution(["according_to"], "document_verb", cue, src, content, "document"))
            elif (
                src is not None
                and not atts
                and re.match(r"\s*(?:that\b|the\b|a\b|an\b)", doc[s + m.end("verb") : e])
                and _plausible_source(stext, False, {"weight": 1.0})
            ):
                # "Researchers found that …", "the reviewers judged that …"
                cue = (s + m.start("verb"), s + m.end("verb"))
                add(Attribution(["reported_speech"], "finding_verb", cue, src,
                                _strip_marks(doc, (cue[1], e)), _source_type(stext)))
    # anonymous phrase without a verb we used
    for c in outside:
        if (
            c["lexicon"] == "attribution_phrases"
            and c["kind"] == "anonymous"
            and not any(a.source and a.source[0] <= c["start"] < a.source[1] for a in atts)
        ):
            if atts:
                atts[0].kind = sorted(set(atts[0].kind) | {"anonymous"})
                if atts[0].source is None:
                    atts[0].source = (c["start"], c["end"])
                atts[0].source_type = "anonymous"
            else:
                add(
                    Attribution(
                        ["anonymous"],
                        "anonymous_phrase",
                        (c["start"], c["end"]),
                        (c["start"], c["end"]),
                        None,
                        "anonymous",
                    )
                )
    # reportedly / allegedly / is said to
    for c in outside:
        if c["lexicon"] == "hedges" and c["weight"] >= 0.5:
            add(
                Attribution(
                    ["hedged"],
                    "hedge",
                    (c["start"], c["end"]),
                    None,
                    _strip_marks(doc, (s, e)),
                    "none",
                    cue_weight=c["weight"],
                )
            )
            break
    return atts


def _follow_quotes(
    doc: str,
    sentences: list[tuple[int, int]],
    quotes: list[tuple[int, int]],
    out: list[list[Attribution]],
) -> None:
    """Give sentences inside a multi-sentence quotation the speaker of that quotation."""
    starts = [s for s, _ in sentences]
    for qs, qe in quotes:
        # sentences overlapping the quotation: bisect instead of scanning all of them
        first = max(bisect.bisect_right(starts, qs) - 1, 0)
        inside = []
        for i in range(first, len(sentences)):
            s, e = sentences[i]
            if s >= qe:
                break
            if e > qs:
                inside.append(i)
        if len(inside) < 2:
            continue
        speaker = next(
            (
                a
                for i in inside
                for a in out[i]
                if a.source is not None and "direct_quote" in a.kind
            ),
            None,
        )
        if speaker is None and inside[-1] + 1 < len(sentences):
            # speaker in the sentence right after the quotation ("… .” / He said.)
            speaker = next((a for a in out[inside[-1] + 1] if a.source is not None), None)
        if speaker is None:
            continue
        for i in inside:
            if any("direct_quote" in a.kind for a in out[i]):
                continue
            s, e = sentences[i]
            content = _strip_marks(doc, (max(s, qs), min(e, qe)))
            out[i].insert(
                0,
                Attribution(
                    sorted({"direct_quote", *(k for k in speaker.kind if k == "anonymous")}),
                    "quote_continuation",
                    speaker.cue,
                    speaker.source,
                    content,
                    speaker.source_type,
                    speaker.entity,
                ),
            )
