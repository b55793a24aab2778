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
    X said (that) … — the noun phrase before a reporting or belief verb ("…, said X" after the
    verb); announcement verbs only with a clause ("announced that …", not "announced a curfew").
``coordinated_speech``
    "… and said …", "…, saying …" — the verb shares the subject of the main clause.
``passive_by``
    "was criticised by the union" — the *by*-phrase is the source; a passive reporting verb
    without an agent makes no attribution.
``anonymous_phrase``
    "people familiar with the matter", "sources said" — the phrase itself is the source.
``hedge``
    "reportedly", "is said to" — attribution without a source.
``speaker_label``
    TRUMP: We will win. / Sen. Jane Doe: … — a transcript's speaker label (capitals, or a full
    name) before that person's words; after "Q:" lines, "A:" is the answer's speaker. The
    outlet's own label ("LEDGER:", with ``outlet="The Ledger"``) and "Q:" are the outlet's
    questions: no attribution.
``transcript_label``, ``speaker_turn``
    in a transcript (a label that heads two lines or more) the label is ``transcript_label``,
    and the next sentences of the same line continue that speaker's turn.
``quote_continuation``
    a sentence inside a multi-sentence quotation takes the speaker of the next or previous
    sentence of the same quotation.
``quote_sequel``
    “…,” she said. “…” — a sentence that is wholly a quotation, right after a sentence that
    quotes a speaker, continues that speaker's words (no speaker of its own).
``estimate``
    "Police put the crowd at 18,000" — a figure ascribed to a source (put/value/estimate … at N).
``what_call``
    "in what critics call a power grab" — a label ascribed to the source between "what" and
    the naming verb (not "what we call", not a proper name).
``put_it``
    "As the judge put it, …" / "X put it bluntly: …" — the content follows the comma or colon.

A reporting verb whose subject opens the clause another source reports ("The chief said
officers warned the crowd") is part of that content, not a second attribution, unless it has a
clause of its own ("said Halvorsen had argued that …").

A reporting verb in a clear frame — an explicit clause ("Observers note that …") or a closing
reporting clause ("…, the authors report.") — records it in ``Attribution.frame``; the tagger's
decision treats such an attribution as certain whatever the verb's lexicon weight
(:func:`biaskit.analysis.analyze`).
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections import Counter
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
    r"letter|memo|statement|transcript|indictment|complaint|ruling|lawsuit|probe|inquiry|estimate|"
    r"investigation|footage|video|records?|modell?ing|models|projections?|forecasts?|research|"
    r"findings|tally|averages|polling|results|count|notice|minutes|emails|summary|suit|model|"
    r"evaluation)"
    r"\b",
    re.IGNORECASE,
)
_ANON_HINT = re.compile(
    r"\b(?:anonymity|not authori[sz]ed|not (?:to )?be (?:named|identified)|not to name|"
    r"declined to be "
    r"(?:named|identified)|unnamed|familiar with|sources?\b|insiders?|briefed on|close to the)\b",
    re.IGNORECASE,
)
# a single unnamed individual of an institution is an anonymous source (guidelines §2)
_ANON_NOUNS = (
    r"(?:official|diplomat|source|insider|aide|person|pal|friend|staffer|adviser|advisor|"
    r"employee|executive|officer|lawmaker|member)"
)
_ANON_NOUN = re.compile(_ANON_NOUNS + "s?")
_ANON_SINGLE = re.compile(
    r"^(?:a|an|one|another)\s+(?:[\w’'-]+\s+){0,5}?" + _ANON_NOUNS + r"\b", re.IGNORECASE
)
_WORD = re.compile(r"\d[\d,.]*\d|[\w’'\-.]+|[^\w\s]")  # "1,100" is one word
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
_MONTHS = {
    "jan", "jan.", "january", "feb", "feb.", "february", "march", "april", "may", "june",
    "july", "aug", "aug.", "august", "sept", "sept.", "september", "oct", "oct.", "october",
    "nov", "nov.", "november", "dec", "dec.", "december",
}
_SUBJECT_PRONOUNS = {"he", "she", "they", "we", "i"}
#: the writer or the reader as the subject: "as I put it", "what we call"
_WRITER = {"i", "we", "you", "one", "many of us", "most of us", "some of us"}
#: reporting verbs per sentence that get their own attribution (nested ones included:
#: "One aide said the chief had argued that …" holds two)
_MAX_SPEECH = 3
# an anonymity clause between a source noun phrase and its verb
_ANON_CLAUSE = re.compile(
    r",?\s*\bwho\b[^.;“”\"]{0,80}?(?:anonymity|not authori[sz]ed|not (?:to )?be (?:named|"
    r"identified)|declined to be (?:named|identified)|not (?:permitted|allowed) to)"
    r"[^.;“”\"]{0,80}?,?\s*$"
)
# a be-auxiliary right before a reporting verb makes it passive ("was criticised by")
_PASSIVE_AUX = re.compile(
    r"\b(?:is|are|was|were|be|been|being)\s+(?:(?:\w+ly|not|also|widely|long)\s+)*$",
    re.IGNORECASE,
)
# verbs of public acts (announce, declare, report, unveil, publish, release): an attribution
# only with a clause complement ("announced that …"), not with a noun-phrase object
_ACT_VERB = re.compile(
    r"(?:announc|declar|report|unveil|publish|releas|restat|request|launch)\w*"
)
# words that open a clause complement after a reporting verb
_CLAUSE_COMPLEMENT = {
    "that", "“", '"', "‘", ":", ",", ".", "he", "she", "it", "they", "we", "i", "there",
    "this", "these", "its", "his", "her", "their", "our",
}
# what may stand between a verb and the quotation it introduces: "said:", "said grimly:",
# "told the Blaze:", "told reporters on Monday,"
_TO_QUOTE = re.compile(r"[\s,:]*|\s+\w+ly\s*[,:]\s*|\s+[^“\"‘.;:!?]{1,40}?:\s*")
# a finite verb within the next few words: a clause follows ("fear prices could fall")
_FINITE_SOON = re.compile(
    r"\s+(?:[\w’'-]+\s+){1,4}?(?:is|are|was|were|will|would|could|can|may|might|had|has|"
    r"have|should|must|did|does)\b"
)
_TIME_WORDS = re.compile(
    r"\b(?:on|last|this|late|early|in|at)?\s*(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|week|night|morning|afternoon|evening|day|month|year|today|yesterday)\b",
    re.IGNORECASE,
)
_TELL = {"told", "tell", "tells", "telling"}
# the addressee after "told" is not part of the content: "told Northwire (on Monday) (that) …"
_ADDRESSEE = re.compile(
    r"\s+(?:(?:the|a|an|his|her|their|its)\s+[a-z]+(?:\s+[a-z]+)?|(?:the\s+)?[A-Z][\w’'.-]*"
    r"(?:\s+[A-Z][\w’'.-]*){0,3}|reporters|journalists|him|her|them|us|me|[a-z]+s)\s+"
    r"(?:(?:on|last|this)\s+\w+\s+)?(?:that\s+)?"
    r"(?=(?:he|she|they|it|we|i|the|a|an|his|her|their|its|this|there|[A-Z0-9“\"‘])\b|[“\"‘])"
)
_ADVERB_LY = re.compile(r"[a-z]{3,}ly")
_LY_NOUNS = {"family", "ally", "assembly", "supply", "rally", "monopoly", "anomaly", "elderly",
             "daily", "weekly", "monthly", "quarterly", "fly", "belly", "bully", "homily"}
# what may follow the verb of a closing reporting clause ("…, the team reported in a journal.",
# "…, Capital Daily reported on Wednesday, citing …"): adverbials only, up to the end
_FINAL_TAIL = re.compile(
    r"\s*(?:(?:on|in|at|from|for|last|this|earlier|late|early|later|yesterday|today|"
    r"overnight|\w+day)\b(?:(?!\b(?:to|that)\b)[^,;:“”\"]){0,80}?)?(?:,\s*citing\b[^;“”\"]*)?"
    r"[.!?]?[”\"’]?\s*$"
)
# the start of a closing reporting clause: a comma, then a short source phrase up to the verb
_FINAL_HEAD = re.compile(r",\s*(?:[\w’'.-]+\s+){1,6}$")
# words that make a noun phrase before a verb no clear subject of a reporting verb: an
# infinitive or a modal ("Markets seemed to agree", "You can call"), nobody ("Nobody disputes")
_NOT_SUBJECT = re.compile(
    r"\bto$|(?:^|\s)(?:can|cannot|should|must|nobody|none|no one|nothing|you)(?:\s|$)",
    re.IGNORECASE,
)
# rules whose source speaks: a belief in their content is the speaker's words (one attribution)
_SPEAKER_RULES = frozenset(
    ("reported_speech", "coordinated_speech", "quote_then_speaker", "speaker_colon_quote")
)
# "Police put the crowd at 18,000", "The museum values the pieces at €23 million": a figure
# ascribed to a source (the object between the verb and "at" is required: "a deal valued at
# $2bn" is a reduced passive with no source)
_ESTIMATE = re.compile(
    r"\b(?P<verb>put|puts|putting|valued|values|value|estimated|estimates|estimate|pegged|"
    r"pegs|peg)\s+(?:(?!(?:at|put|puts|values|pegs)\b)[\w’'$%.-]+\s+){1,8}?at\s+"
    r"(?:(?:about|around|roughly|some|nearly|almost|more than|fewer than|less than|up to|"
    r"as many as|as much as|least|just|only|over)\s+)*[$€£]?\d(?:[\d.,]*\d)?"
    r"(?:\s*(?:million|billion|trillion|bn|mn|percent|per cent|%))?"
)
#: every verb ``_ESTIMATE`` matches holds one of these (a cheap test before the search;
#: tests/test_attribution.py checks that they stay in step)
_ESTIMATE_STEMS = ("put", "valu", "estimat", "peg")
# the last verb or preposition before a relative clause's antecedent ("was led by X, who")
_ANTECEDENT_CUT = re.compile(
    r".*\b(?:was|were|is|are|by|behind|with|among|from|to|for|at|[a-z]+ed)\s+(?=\S)"
)
# a finite verb or a wh-word inside a subject: the phrase is a clause, not a speaker ("It is
# time Congress said", "the party does what the court has asked")
_CLAUSE_IN_SOURCE = re.compile(
    r"\b(?:is|are|was|were|does|did|has been|have been|changes|what|whether)\b(?=.*\w)"
)
_RELATIVE = re.compile(r"\b(?:who|whom|whose|which|that)\b")


@functools.lru_cache(maxsize=4096)
def _not_subject(stext: str) -> bool:
    """Whether ``_NOT_SUBJECT`` finds a non-subject in a source phrase (cached: phrases recur)."""
    return _NOT_SUBJECT.search(stext) is not None


@functools.lru_cache(maxsize=4096)
def _clause_in_source(stext: str) -> bool:
    """Whether the last part of a source phrase, before any relative, holds a finite verb."""
    return _CLAUSE_IN_SOURCE.search(_RELATIVE.split(stext.rsplit(",", 1)[-1], 1)[0]) is not None


# link labels that start boilerplate lines (a link to another story, not a headline)
_LINK_LABEL = re.compile(r"\s*(?:read more|related|see also|watch|listen|more)\s*:", re.I)
# words after the head noun of an anonymous source ("people familiar with the talks")
_ANON_ADJECTIVES = {"familiar", "close", "briefed", "knowledgeable", "involved", "aware"}
# the subject noun phrase opening a sentence, up to a comma or a verb
_DOC_SUBJECT = re.compile(
    r"\s*((?:[\w’'-]+\s+){0,5}?[\w’'-]+)\s*(?:,|\s+(?:was|is|were|are|has|had|have|\w+ed)\b)"
)
# an indefinite noun phrase, then a naming participle and the name: "a group called the “Maren
# Brigades”", "a firm named Acme"
_NAMED_THING = re.compile(
    # bounded: tried from every "a"/"an", an unbounded gap is quadratic in the sentence
    r"\b[Aa]n?\s[^,;:]{0,80}?\s(?:called|named|dubbed|known as)\s+(?:the\s+)?[“\"‘A-Z]"
)
#: how many tokens back an appositive's opening comma or dash may lie (long ones, "Dr. X, an
#: obesity specialist at … who was not involved in the research, said", take about 30)
_APPOSITIVE_SPAN = 60
_NAMING_PAST = {"called", "dubbed", "branded", "described", "labelled", "labeled"}
_NAME_JOINERS = {"of", "the", "and", "for", "de", "van", "von", "al", "bin", "da", "del", "la",
                 "on", "in", "a", "an"}
_AUX_VERBS = {
    "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could", "did",
    "does", "do", "should", "must", "may", "might",
}
_LEAD_PHRASE = re.compile(r"^(?:according to|citing|as (?:first )?reported by|quoted by|per)\b")
_TRAIL_VERB = re.compile(
    r"\b(?:show|shows|showed|shown|found|finds|suggest|suggests|suggested|"
    r"indicate|indicates|indicated|reveal|reveals|revealed)$"
)
_NEGATED = re.compile(
    r"(?:\b(?:declined|declines|decline|refused|refuses|refuse|authori[sz]ed|permitted|"
    r"allowed|cleared)\s+to|\b(?:not|never)|n[’']t)"
    r"\s*(?:\w+\s+)?$",
    re.IGNORECASE,
)
_CLAUSE_START = {
    "that",
    "him",
    "them",
    "us",
    "me",
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
# "A:" answers, only in a document that has "Q:" questions ("A:" alone is too common a start)
_ANSWER_LABEL = re.compile(r"^(?P<label>A):\s+(?=\S)")
_QUESTION_LINE = re.compile(r"(?m)^[ \t]*Q:\s")
# a transcript line: its label and its words (for the outlet's own label, below)
_LABEL_LINE = re.compile(r"(?m)^[ \t]*(?P<label>[A-Z][A-Z .’'-]{0,40}?):[ \t]+(?P<line>.*)$")
# the words of service kickers and subheads ("ALSO READ:", "KEY POINTS:", "HOW TO HELP:",
# "WHAT WE KNOW:"): a label made only of these is the outlet's, not a speaker's
_KICKER_WORDS = frozenset(
    "also read more key points point live updates update latest breaking news photos photo "
    "video videos watch listen what we know why it matters how to help the bottom line top "
    "story stories in brief at a glance quick facts fact check background context timeline "
    "explainer analysis opinion exclusive recap highlights summary takeaways next steps "
    "community notice don't dont miss follow share subscribe sign up click here see related "
    "editor's note correction clarification source sources advertisement sponsored and of for "
    "you your this today now".split()
)
# words of an outlet's name that do not name it alone ("The Daily Ledger" → daily, ledger)
_OUTLET_FILLER = {"the", "and", "of", "www", "com", "org", "net", "co", "uk"}
# capitalised words before an outlet's name that are not a first name ("Follow Meridian")
_NOT_FIRST_NAMES = frozenset(
    "The A An This That Follow Watch Read Listen Subscribe Join Visit Contact Tell Told "
    "On At From By To In With For Via Says Said Of And Or But Only Exclusive".split()
)
_NOT_SPEAKERS = {"question", "interviewer", "read more", "related", "photo", "watch", "listen",
                 "editor's note", "update", "correction", "note", "see also", "more", "source",
                 "sources", "video", "advertisement", "breaking", "exclusive", "analysis",
                 "opinion", "live", "the latest", "latest", "factbox", "explainer", "fact check",
                 "timeline"}
_NAMING = re.compile(
    r"\b(?P<verb>called|calls|call|calling|dubbed|dubs|branded|brands|described|describes|"
    r"labelled|labeled)\b[^“\"]{0,60}?[“\"]"
)
#: every verb ``_NAMING`` matches holds one of these (checked as ``_ESTIMATE_STEMS``)
_NAMING_STEMS = ("call", "dub", "brand", "describ", "label")
# "what critics call a power grab", "what Rendal described as interference": the source is
# the few words between "what" and the naming verb, the label runs to the end of the clause;
# not the writer's own ("what we call") and not a proper name ("what the museum calls the
# Trésor de Fourvière": a name, not a characterisation)
_WHAT_CALL = re.compile(
    r"\bwhat\s+(?P<src>(?!(?:we|I|you|one)\s)(?:[\w’'.-]+\s+){0,4}?[\w’'.-]+)\s+"
    r"(?:(?P<verb>call|calls|called|termed|terms|dubbed|dubs|branded|brands)|"
    r"(?P<verb2>describe|describes|described|characterised|characterized)"
    r"\s+as)\s+"
    r"(?P<label>(?!the\s+[A-Z])(?![A-Z])[^,;:—–()]+?)(?=\s*(?:[,;:—–()]|[.!?]?[”\"’]?\s*$))"
)
# "As the judge put it, …" (the source between "As" and the verb) / "X put it bluntly: …"
# (the source before the verb); the content is what follows the comma or colon
_PUT_IT = re.compile(
    r"^As\s+(?P<src>(?:[\w’'.-]+\s+){0,5}?[\w’'.-]+)\s+(?P<verb>put|puts)\s+it,\s+"
    r"|(?P<verb2>put|puts)\s+it(?:\s+[a-z]+ly)?:\s+"
)
_DOC_VERB = re.compile(
    r"\b(?P<verb>(?:has |have |had )?(?:found|finds|showed|shows|show|shown|suggests|suggested|"
    r"concluded|concludes|estimated|estimates|indicated|indicates|judged|determined))\b"
)
#: every verb ``_DOC_VERB`` matches holds one of these (checked as ``_ESTIMATE_STEMS``)
_DOC_VERB_STEMS = (
    "found", "finds", "show", "suggest", "conclude", "estimate", "indicate", "judged",
    "determined",
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
    r"chair(?:man|woman|person)?|secretary|coroner|auditor|"
    r"insiders?|people|person|someone|observers?|commentators?|advocates?|owners?|managers?|"
    r"coach|players?|fans|neighbou?rs?|staff|employees|trader|traders|banks?|firm|firms|"
    r"office|bureau|institute|service|authority|department|commission|regulator|watchdog|"
    r"cent(?:er|re)|team|authors?|reviewers?|panel|operator|maker|producer|insurer|lender)\b",
    re.IGNORECASE,
)
_OPEN_QUOTE = '“"‘«„'
# the same patterns without IGNORECASE, for ``_search_ci``: each has lowercase literals only
_ROLE_CS = re.compile(_ROLE.pattern)
_NEGATED_CS = re.compile(_NEGATED.pattern)
_PASSIVE_AUX_CS = re.compile(_PASSIVE_AUX.pattern)


def _search_ci(ci: re.Pattern[str], cs: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``ci.search(text)``, about three times faster on ASCII text.

    ``ci`` is case-insensitive with lowercase literals only, ``cs`` the same pattern without
    IGNORECASE. On ASCII text a case-insensitive match is exactly a case-sensitive match in
    the lowered text (same length, same offsets; the match's groups are lowered); sre's
    case-insensitive alternations are slow. Other text (curly quotes, accents, where case
    folding goes beyond ASCII) uses ``ci``.
    """
    return cs.search(text.lower()) if text.isascii() else ci.search(text)


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
    #: the reporting frame around a reporting verb that leaves no doubt it reports content:
    #: ``"that"`` (an explicit clause: "Observers note that …") or ``"final"`` (a closing
    #: parenthetical: "…, the authors report."); None otherwise
    frame: str | None = None


_KEEP_MULTIWORD = {
    "told reporters",
    "told journalists",
    "told a news conference",
    "told the newspaper",
    "pointed out",
    "made clear",
    "went on to say",
}


# what makes a reporting verb in -ing a verb, not a noun: a comma, an auxiliary or a
# conjunction right before it ("was warning", "after warning", not "a travel warning")
_VERB_ING_BEFORE = re.compile(r"(?:,|\b(?:is|are|was|were|been|be|am|after|while|before|by))\s*$")


def _cue_matches(
    text: str, offset: int, matches: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Attribution-related lexicon matches of one sentence (doc offsets).

    Multi-word reporting-verb entries ("said on Tuesday", "told a rally") are trimmed to the
    verb, as the annotation guidelines mark the minimal cue.
    """
    if matches is None:
        matches = default_matcher().matches(text, offset=offset)
    out: list[dict[str, Any]] = []
    if not matches:
        return out
    matcher = default_matcher()
    exposed: set[int] = set()
    for m in matches:
        lexicon, term = m["lexicon"], m["term"]
        if lexicon != "reporting_verbs":
            if " " in term:
                _expose_verb(m, matcher, exposed, out)
            if lexicon == "attribution_phrases":
                if m["weight"] >= 0.5:  # "per": too often not a cue to anchor spans on
                    out.append(m)
            elif lexicon == "hedges" and m["kind"] == "distancing":
                out.append(m)
            continue
        if m["weight"] < 0.3:
            continue  # "state", "plans": too often not a verb of saying
        if term[:1].isupper() and m["start"] > offset:
            continue  # "the State Department", "Amina Said": a name, not a verb
        if term.lower() in STATE_ADJECTIVES and not (
            _STATE_CLAUSE.match(text, m["end"] - offset)
            and _attitude_copula(text, 0, m["start"] - offset)
        ):
            # an attitude adjective reports a belief only after a copula and before a clause
            # ("aides are confident that …"); elsewhere it describes ("Senate hopeful",
            # "concerned residents", "a confident start")
            continue
        first = term.split(" ", 1)[0]
        if first.lower().endswith("ing"):
            # (the verb's own form: "told a briefing" is not a noun in -ing)
            before = text[max(0, m["start"] - offset - 12) : m["start"] - offset].lower()
            if not _VERB_ING_BEFORE.search(before):
                continue  # "a travel warning", "the briefing": a noun, not a verb
        if " " in term:
            entry = _reporting_entry(matcher, first.lower().replace("’", "'"), None)
            if (
                term.lower() not in _KEEP_MULTIWORD
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
        out.append(m)
    return out


@functools.lru_cache(maxsize=8192)
def _reporting_entry(matcher: Any, word: str, min_weight: float | None) -> Any:
    """The matcher's first reporting-verb entry for ``word`` (weight >= ``min_weight``), or None.

    Cached per matcher and word: the same few verbs end most phrases ("officials said").
    """
    return next(
        (
            x
            for x in matcher.entries.get(word, [])
            if x.lexicon == "reporting_verbs" and (min_weight is None or x.weight >= min_weight)
        ),
        None,
    )


def _expose_verb(
    m: dict[str, Any], matcher: Any, exposed: set[int], out: list[dict[str, Any]]
) -> None:
    """Add the reporting verb that ends a phrase match ("critics say") to ``out``, once."""
    # "the company said", "critics say": a phrase (of any lexicon) hides its verb
    last = m["term"].rsplit(" ", 1)[1]
    verb = _reporting_entry(matcher, last.lower(), 0.6)
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


def _word_start(doc: str, ws: list[str], end: int, i: int) -> int:
    """Offset of word ``ws[i]``, the words of ``doc[…:end]`` (``_WORD.findall``).

    Words hold no whitespace and every other character belongs to one, so walking left from
    ``end`` over whitespace and each word's length places them: only the words a look-back
    returns are placed (a ``finditer`` placing every word of the slice cost more).
    """
    p = end
    for j in range(len(ws) - 1, i - 1, -1):
        while doc[p - 1].isspace():
            p -= 1
        p -= len(ws[j])
    return p


def _rstrip_end(doc: str, end: int, chars: str | None = None) -> int:
    """``len(doc[:end].rstrip(chars))`` without copying the text before ``end``."""
    while end > 0 and (doc[end - 1].isspace() if chars is None else doc[end - 1] in chars):
        end -= 1
    return end


_STOP_MARKS = frozenset((",", ";", "—", "–", "(", ")", ":", "”", "“", '"', "-", "--"))
_LEADING_PREPOSITIONS = frozenset(("on", "in", "at", "of", "to", "for", "with"))
_APPOSITIVE_OPENERS = frozenset(
    ("who", "which", "whose", "speaking", "citing", "according", "in", "on")
)


def _np_left(doc: str, sent_start: int, end: int, _depth: int = 0) -> tuple[int, int] | None:
    """The noun phrase ending just before ``end`` (walk left over words, stop at boundaries).

    An appositive between commas or dashes is stepped over by looking left of it again, at most
    twice (``_depth``): deeper nesting is not an appositive but a list or a run of separators.
    Works on the word strings of ``doc[sent_start:end]`` and places only the words it returns
    (:func:`_word_start`); ``n`` is how many words from the left are still in play.
    """
    ws = _WORD.findall(doc, sent_start, end)
    n = len(ws)
    # skip adverbs/auxiliaries/time words right before the verb ("Haftar also said"); a number
    # stays ("Six in 10 say"), except a day of the month ("on May 5 said")
    while n and (
        ws[n - 1].lower() in _NP_SKIP
        or ws[n - 1].isdigit() and n > 1 and ws[n - 2].lower() in _MONTHS
        # "Scientists broadly agree": an adverb in -ly, not a noun ("the family said")
        or _ADVERB_LY.fullmatch(ws[n - 1]) and ws[n - 1] not in _LY_NOUNS and n > 1
    ):
        n -= 1
        if n and ws[n - 1].lower() in _MONTHS:
            n -= 1
    if not n:
        return None
    last = ws[n - 1]
    if last.lower() in _SUBJECT_PRONOUNS:
        # "by the time he said": a subject pronoun right before the verb is the whole subject
        start = _word_start(doc, ws, end, n - 1)
        return start, start + len(last)
    paren_end = None
    if last == ")":
        # "Sen. Jane Roe (D-Ohio) said": step over a parenthetical after the name
        opening = next((i for i in range(n - 1, -1, -1) if ws[i] == "("), -1)
        if opening > 0:
            paren_end = _word_start(doc, ws, end, n - 1) + len(last)
            n = opening
            last = ws[n - 1]
    if last in ("—", "–") and n > 1:
        # "Viktor Halden — the former minister — insists": the source is the NP before the
        # appositive between dashes, extended over it
        # the opening dash within a few words, with words between (a run of dashes is a
        # separator, not an appositive; the bound also keeps the recursion shallow)
        dashes = [i for i in range(max(0, n - _APPOSITIVE_SPAN), n - 2) if ws[i] == last]
        head = (
            _np_left(doc, sent_start, _word_start(doc, ws, end, dashes[-1]), _depth + 1)
            if dashes and _depth < 2
            else None
        )
        if head is None:
            return None
        return head[0], _rstrip_end(doc, _word_start(doc, ws, end, n - 1))
    if last == "," and n > 1:
        # "Gen. Ortiz, the army chief, said" — an appositive or relative clause ends here:
        # the source is the NP before the appositive, extended over it
        commas = [i for i in range(max(0, n - _APPOSITIVE_SPAN), n - 2) if ws[i] == ","]
        if commas and _depth < 2:
            comma = _word_start(doc, ws, end, commas[-1])
            head = _np_left(doc, sent_start, comma, _depth + 1)
            if head is not None and doc[head[0] : head[1]].isdigit() and len(commas) > 1:
                # "Ana Ruiz, 45, a teacher, said": the age is an appositive too
                head = _np_left(doc, sent_start, _word_start(doc, ws, end, commas[-2]), _depth + 1)
            if head is not None:
                appos = doc[comma + 1 : _word_start(doc, ws, end, n - 1)].strip()
                if appos.split(" ", 1)[0].lower() in _APPOSITIVE_OPENERS:
                    return head
                return head[0], _word_start(doc, ws, end, n - 1)
        return None
    # walk left from the last word; the words kept are always ws[i + 1 : n]
    i = n - 1
    while i >= 0:
        w = ws[i]
        lw = w.lower()
        if lw == "and" and i < n - 1 and ws[i + 1][:1].isupper() and i and ws[i - 1][:1].isupper():
            # "Customs and Border Protection", "Smith and Jones": "and" inside a name
            i -= 1
            continue
        if lw == "who" and i < n - 1 and i and ws[i - 1] not in (",", "—", "–"):
            # "Scientists who checked 1,100 reefs found": the relative clause describes the
            # source (after a comma it is an appositive, handled above)
            i -= 1
            continue
        if w == "," and _place_list(ws, i, n):
            # "studies in the United States, Europe and Asia": a list of names after a
            # preposition inside the source, not an appositive
            i -= 1
            continue
        if lw in _NP_STOP or w in _STOP_MARKS:
            break  # ("Gen. Ortiz, the army chief," — stop; the NP is what we have)
        i -= 1
        if n - 1 - i >= 16:
            break
    lo = i + 1
    # a source NP starts with a determiner, a capitalised word, a number or a pronoun
    while lo < n and ws[lo].lower() in _LEADING_PREPOSITIONS:
        lo += 1
    if lo >= n:
        return None
    return (
        _word_start(doc, ws, end, lo),
        paren_end or _word_start(doc, ws, end, n - 1) + len(ws[n - 1]),
    )


#: an addressee and "that" before the subject of a reported clause ("Northwire that ")
_OPENS_CLAUSE = re.compile(r"(?:[^,;:“”\"]{1,40}\s)?that\s+")
_LIST_PREPOSITIONS = {"in", "from", "across", "of", "at", "for"}


def _place_list(ws: list[str], i: int, n: int) -> bool:
    """Whether the comma ``ws[i]`` joins names of a list after a preposition.

    ``ws[i + 1 : n]`` are the words right of the comma: capitalised names joined by "and"/"or"
    and commas ("Europe and Asia"). Left of the comma another name must follow a preposition
    that has a word before it ("studies in the United States, …"); "In Paris, Smith and Jones
    said" (the preposition opens the sentence) is not a list.
    """
    words = ws[i + 1 : n]
    if not words or not words[0][:1].isupper() or not any(w in ("and", "or") for w in words):
        return False
    if not all(w[:1].isupper() or w in ("and", "or", ",") for w in words):
        return False
    k = i - 1
    while k >= 0 and (ws[k][:1].isupper() or ws[k] in ("the", ",")):
        k -= 1
    return k < i - 1 and k >= 1 and ws[k] in _LIST_PREPOSITIONS and ws[k - 1][:1].isalnum()


def _main_subject(
    doc: str, sent_start: int, end: int, cues: list[dict[str, Any]]
) -> tuple[int, int] | None:
    """The subject of the sentence's first clause: the noun phrase before its first verb.

    Used for coordinated reporting verbs ("The judge rubbed his chin and then said …", "…,
    saying …"), which share that subject. A verb is an auxiliary, a matched reporting verb or
    a lowercase past form in -ed.
    """
    starts = {c["start"] for c in cues if c["weight"] >= 0.5}
    first_lower = None  # fallback: the first lowercase word after a name ("Quillstone cuts")
    prev = ""
    for m in _WORD.finditer(doc, sent_start, end):
        w = m.group()
        if w.islower() and (
            w in _AUX_VERBS or m.start() in starts or (len(w) > 4 and w.endswith("ed"))
        ):
            return _np_left(doc, sent_start, m.start()) if m.start() > sent_start else None
        if (
            first_lower is None
            and w.isalpha()
            and w.islower()
            and prev[:1].isupper()
            and w not in _NAME_JOINERS
        ):
            first_lower = m.start()
        prev = w
    return _np_left(doc, sent_start, first_lower) if first_lower else None


_NP_RIGHT = re.compile(
    r"\s*((?:\b(?:Dr|Mr|Mrs|Ms|Prof|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Jr|St|Rev)\.|"
    r"[^,.;:“”\"()—–])+?)(?=\s*(?:[,.;:“”\"()—–]|\s(?:that|who|which|on|in|"
    r"as|after|said|says|told)\b|$))"
)
_CLOSING_APPOSITIVE = re.compile(
    r",\s+(?:the|a|an|its|his|her|their)\s+[^,;:“”\"]{1,60}?(?=[.!?]?[\"”’]?\s*$)"
)


def _np_right(doc: str, start: int, sent_end: int) -> tuple[int, int] | None:
    """The noun phrase starting at ``start`` up to a comma, period, verb-like boundary."""
    seg = doc[start:sent_end]
    m = _NP_RIGHT.match(seg)
    if not m or not m.group(1).strip():
        return None
    s = start + m.start(1)
    end = s + len(m.group(1).rstrip())
    # "said Maria Lopez, the mayor." — a short appositive that closes the sentence
    tail = _CLOSING_APPOSITIVE.match(doc[end:sent_end])
    if tail:
        end += tail.end()
    return s, end


@functools.lru_cache(maxsize=4096)
def _is_anonymous(source: str) -> bool:
    """Whether a source phrase describes a deliberately unnamed source."""
    return bool(_ANON_HINT.search(source) or _ANON_SINGLE.match(source.strip()))


@functools.lru_cache(maxsize=4096)
def _plausible_source(stext: str, inverted: bool, weight: float) -> bool:
    """Whether a reporting-verb match really has a speaker (not "a disputed election").

    ``weight`` is the cue's lexicon weight. Cached: a pure function of short phrases that
    recur in an article and across articles ("the ministry", "he").
    """
    if not stext:
        return weight >= 0.9 and not inverted
    words = stext.split()
    if stext.lower() == "it" and not inverted and weight >= 0.8:
        return True  # "It said there was no indication …": the organisation named before
    if words[-1].lower() in _DETERMINERS or stext.lower() in {"it", "this", "that", "there"}:
        return False
    if stext.lower() in _PRONOUNS:
        return True
    if (
        not inverted
        and weight >= 0.9
        and 2 <= len(words) <= 4
        and words[0].lower() in {"the", "his", "her", "its", "their", "our"}
    ):
        return True  # "his family said", "the village said": a short definite noun phrase
    if weight < 0.5 and (inverted or words[-1].lower() in _NP_SKIP):
        return False  # "an estimated 500", "the note": ambiguous verbs need a subject
    name = person_name(stext) if inverted else None
    if (
        inverted
        and not stext[:1].isupper()
        and not _search_ci(_ROLE, _ROLE_CS, stext)
        and not (name and _TITLES.search(stext))  # "…, said the Rev. Luis Ortega"
    ):
        return False
    last = words[-1].strip(",.’'")
    # a capitalised name, a known role, a plural noun ("brokers", "economists") or a share of
    # poll respondents ("47 percent", "a third", "half", "most")
    return (
        any(w[:1].isupper() for w in words)
        or bool(_search_ci(_ROLE, _ROLE_CS, stext))
        or bool(_SHARE.fullmatch(stext.lower()))
        or (last.islower() and last.endswith("s") and not last.endswith(("ss", "ous", "is")))
    )


_SHARE = re.compile(
    r"(?:(?:about|nearly|almost|more than|fewer than|less than|over|only|just|roughly)\s+)?"
    r"(?:[\w.-]+\s+(?:percent|per cent)|[\d.]+%|half|a third|two-thirds|a quarter|"
    r"three-quarters|most|a majority|the majority|[\w-]+ in (?:10|ten|\d+)|[\w-]+ of (?:10|ten))"
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


@functools.lru_cache(maxsize=4096)
def person_name(text: str) -> str | None:
    """The first run of capitalised words that looks like a person's name, titles removed."""
    clean = _TITLES.sub(" ", text)
    for m in _NAME_RUN.finditer(clean):
        words = [w for w in m.group().split() if w not in _NOT_NAME]
        if words and not _ORG_WORDS.search(" ".join(words)):
            return " ".join(words).removesuffix("’s").removesuffix("'s")
    return None


_POST_HEAD = re.compile(
    r",(?!\d)|\(|\s(?:who|which|that|of|from|by|in|on|at|for|with|released|published|issued|"
    r"commissioned|conducted|filed|posted|seen|obtained|reviewed|cited|reported|compiled|"
    r"prepared|produced|carried|led|funded|written|sent)(?:\s|$)"
)
_LATER_MENTION = re.compile(
    r"^(?:the|that|this|these|those|one of (?:the|those|these|them|their)|another of the)"
    r"\s+(?:same\s+|two\s+|three\s+)?(?P<head>[a-z]+)$",
    re.IGNORECASE,
)
_LATER_GROUP = {"one of them", "another of them", "both of them", "one of the two", "the two"}
_QUANTITY_HEADS = {"dozens", "many", "some", "most", "several", "all", "both", "one", "two",
                   "three", "a", "number", "series", "handful", "pair", "couple", "none"}


_QUANTITY_OF = re.compile(r"^(?:\w+\s+){0,2}?(?P<q>\w+)\s+of\s+(?P<rest>.+)$")
_TIME_TAIL = re.compile(r"\s+(?:(?:\w+\s+){1,2}ago|(?:last|this|next)\s+\w+|(?:on\s+)?\w+day)$")
_POSSESSIVE = re.compile(r"[’']s\s+")


@functools.lru_cache(maxsize=4096)
def _head_is_document(text: str) -> bool:
    """Whether the head noun of a source phrase is a document ("the ministry's report").

    The head is the last word before a post-modifier, after a possessive: "the study's
    authors" and "the Bureau of Labor Statistics" are not documents; "figures from the
    customs office", "an audit released on Monday" and "dozens of studies" are. A capitalised
    document word inside a name ("the U.S. Geological Survey") is an organisation.
    """
    t = text.strip()
    quant = _QUANTITY_OF.match(t)
    if quant and quant.group("q").lower() in _QUANTITY_HEADS:
        t = quant.group("rest")
    t = _POST_HEAD.split(t, maxsplit=1)[0]
    # "a damning report two years ago", "a study last week": a time phrase is no head
    t = _TIME_TAIL.sub("", t)
    t = _POSSESSIVE.split(t)[-1]
    words = t.split()
    if not words:
        return False
    head = words[-1]
    return bool(_DOC_WORDS.fullmatch(head)) and (head[:1].islower() or len(words) == 1)


@functools.lru_cache(maxsize=4096)
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
    if _head_is_document(text):
        return "document"
    if _ends_with_name(text):
        return "person"  # "Meridell chief financial officer Patrick Nyland"
    if _ORG_WORDS.search(text):
        return "organisation"
    words = text.split()
    caps = [w for w in words if w[:1].isupper()]
    if _TITLES.search(text) or (name and len(name.split()) >= 2):
        return "person"
    if len(caps) == 1 and len(words) == 1:
        # "Scientists", "Observers" at the start of a sentence: a group, not a name
        return "role" if _ROLE.fullmatch(text.strip()) else "person"
    return "role"


_LAST_NAME_RUN = re.compile(r"\s(?:[A-Z][\w’'\-]+\s+){1,2}[A-Z][\w’'\-]+$")


def _ends_with_name(text: str) -> bool:
    """Whether a description ends with a person's name ("the group's lawyer Ana Ruiz")."""
    m = _LAST_NAME_RUN.search(text.strip())
    before = text.strip()[: m.start()].split()[-1:] if m else []
    # the word before the name is a lowercase description ("spokeswoman"), not a function
    # word ("a report by the Harbor Tribune", "officials at Acme Corp")
    if not before or not before[0][:1].islower() or before[0].lower() in _NAME_JOINERS | {
        "by", "at", "from", "with", "to", "said", "says", "told"
    }:
        return False
    words = m.group().split()
    return not _ORG_WORDS.search(m.group()) and not any(w in _NOT_NAME for w in words)


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


def _outlet_labels(outlet: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """The labels an outlet may put on its own questions: its name, and its name's words.

    The name (without "the", or a domain ending) and its initialism are the outlet's
    whenever they label a line; a single word of a longer name only where
    :func:`_own_labels` finds that word's lines asking questions ("LEDGER: Why now?"), since
    it may also be an interviewee's name (BLOOMBERG, FOX, HILL).

    >>> _outlet_labels("The Liberty-Ledger")
    (frozenset({'liberty ledger', 'll'}), frozenset({'liberty', 'ledger'}))
    """
    if not outlet or not isinstance(outlet, str):
        return frozenset(), frozenset()
    words = [w for w in re.split(r"[^\w’']+|_", outlet.lower()) if w]
    while words and words[0] in ("the", "www"):
        words = words[1:]
    while len(words) > 1 and words[-1] in _OUTLET_FILLER:
        words = words[:-1]  # "nytimes.com", "bbc.co.uk"
    if not words:
        return frozenset(), frozenset()
    names = {" ".join(words)}
    if len(words) > 1:
        names.add("".join(w[0] for w in words))
    # "A", "Q": an anonymised outlet's code must not silence the answers of a Q&A
    names = {n for n in names if len(n) > 1}
    parts = {w for w in words if len(w) > 1 and w not in _OUTLET_FILLER} - names
    return frozenset(names), frozenset(parts)


def _own_labels(doc: str, outlet: str | None) -> frozenset[str]:
    """The labels of ``doc`` that are the outlet's own (lowercased), see :func:`_outlet_labels`."""
    names, parts = _outlet_labels(outlet)
    if not parts or ":" not in doc:
        return names
    asks: set[str] = set()
    for m in _LABEL_LINE.finditer(doc):
        low = m.group("label").strip().lower()
        if low in parts and m.group("line").rstrip().endswith("?"):
            asks.add(low)
    # a word that is also someone's surname in the text ("Michael Bloomberg", "Michael J.
    # Fox") is theirs; "the Ledger", "Follow Meridian TV" are the outlet's name
    return names | {
        w
        for w in asks
        if not any(
            m.group(1) not in _NOT_FIRST_NAMES
            for m in re.finditer(rf"\b([A-Z][a-z]+)\.? (?:[A-Z]\. )?{re.escape(w.title())}\b", doc)
        )
    }


def extract_article(
    doc: str,
    sentences: list[tuple[int, int]],
    matches: list[list[dict[str, Any]]] | None = None,
    *,
    outlet: str | None = None,
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
    outlet : str, optional
        The article's outlet. A transcript line under the outlet's own label ("LEDGER: Why
        now?") is the outlet's question, not a quotation (guidelines §2, v3.2).

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
    quote_ends = [q[1] for q in quotes]  # sorted too: quotations are disjoint
    coref = _Coref()
    anon_heads: set[str] = set()  # head nouns of anonymous sources seen so far ("official")
    out: list[list[Attribution]] = []
    last_type = None  # type of the previous sentence's subject (its first source or document)
    last_anon = False  # whether the latest source that is a person or a group was anonymous
    prev: tuple[int, int] | None = None  # the previous sentence
    own_labels = _own_labels(doc, outlet)
    qa = "Q:" in doc and _QUESTION_LINE.search(doc) is not None
    for k, (s, e) in enumerate(sentences):
        atts = _extract_sentence(
            doc,
            s,
            e,
            quotes,
            is_first=not out,
            matches=None if matches is None else matches[k],
            quote_ends=quote_ends,
            next_quote=_opening_quote(doc, sentences, k, quotes, quote_ends) if quotes else None,
            own_labels=own_labels,
            qa=qa,
        )
        subject_type = None
        for a in atts:
            if a.source is not None:
                src = doc[a.source[0] : a.source[1]]
                low = src.strip().lower()
                if low == "it" and (
                    last_type == "document"
                    or last_type is None
                    and prev is not None
                    and _document_subject(doc, *prev)
                ):
                    # "The study, published in 2002, analysed 168 hospitals. It found that …":
                    # "it" is the study
                    a.source_type = "document"
                    a.kind = sorted(
                        {*(x for x in a.kind if x != "reported_speech"), "according_to"}
                    )
                elif low in ("he", "she") and last_anon:
                    # "One engineer, who asked not to be named, said … “…,” he added.": the
                    # pronoun refers back to the anonymous source (guidelines §2, decision 5)
                    a.source_type = "anonymous"
                    a.kind = sorted({*a.kind, "anonymous"})
                    subject_type = subject_type or "anonymous"
                    continue
                subject_type = subject_type or a.source_type
                later = _LATER_MENTION.match(src.strip())
                if a.source_type == "anonymous":
                    last_anon = True
                    head = [
                        w for w in _POST_HEAD.split(src.strip(), maxsplit=1)[0].split()
                        if w.lower() not in _ANON_ADJECTIVES  # "people familiar with …"
                    ]
                    if head:
                        anon_heads.add(head[-1].lower())
                elif anon_heads and src.strip().lower() in _LATER_GROUP:
                    a.source_type = "anonymous"  # "One of them said": one of those sources
                    a.kind = sorted({*a.kind, "anonymous"})
                    last_anon = True
                    continue
                elif later and anon_heads and (
                    later.group("head").lower() in anon_heads
                    or _ANON_NOUN.fullmatch(later.group("head").lower())
                ):
                    # "the official", "one of the people": a later mention of an anonymous
                    # source stays anonymous (guidelines §2, v2 decision 5)
                    a.source_type = "anonymous"
                    a.kind = sorted({*a.kind, "anonymous"})
                    last_anon = True
                    continue
                elif a.source_type in ("person", "role") and low not in _PRONOUNS:
                    last_anon = False
                a.entity = coref.resolve(src, a.source_type)
                if a.source_type in ("person",) or src.lower() in ("he", "she"):
                    a.source_type = "person" if a.entity else a.source_type
        # a sentence without a source may still have a document as its subject ("The landmark
        # study, published in 2002, …"); checked only when the next sentence's "It" needs it
        last_type, prev = subject_type, (s, e)
        out.append(atts)
    _follow_quotes(doc, sentences, quotes, out)
    _quote_sequels(doc, sentences, quotes, out, quote_ends)
    _speaker_turns(doc, sentences, out)
    for atts in out:
        for a in atts:
            # (in this key order: cue, source, content)
            if a.cue is not None:
                if doc[a.cue[0]] in "iIaAwWrR":  # (the first letters of the copulas)
                    state = _COPULA_CUE.fullmatch(doc, a.cue[0], a.cue[1])
                    if state:
                        # "are convinced", "is worried that" (lexicon phrases): the cue is
                        # the attitude word alone (guidelines §2, v3.2)
                        a.cue = state.span(1)
                a.texts["cue"] = doc[a.cue[0] : a.cue[1]]
            if a.source is not None:
                a.texts["source"] = doc[a.source[0] : a.source[1]]
            if a.content is not None:
                a.texts["content"] = doc[a.content[0] : a.content[1]]
    return out


_WORD3 = re.compile(r"\w{3,}")
_TIME_PREFIXES = {"last", "this", "late", "early"}


def _has_words(text: str) -> bool:
    """Whether ``text`` has a word of 3+ letters besides time words ("last night", "Monday").

    The same as searching ``_WORD3`` in ``_TIME_WORDS.sub("", text)``: time-word matches
    cover whole words, so a first long word that is neither a time word nor a prefix of one
    survives the substitution; only otherwise is the substitution needed.
    """
    m = _WORD3.search(text)
    if m is None:
        return False
    w = m.group()
    if w.lower() not in _TIME_PREFIXES and not _TIME_WORDS.fullmatch(w):
        return True
    return _WORD3.search(_TIME_WORDS.sub("", text)) is not None


def _document_subject(doc: str, s: int, e: int) -> bool:
    """Whether the sentence ``doc[s:e]`` opens with a document as its subject."""
    m = _DOC_SUBJECT.match(doc, s, e)
    return bool(m and _head_is_document(m.group(1)))


def _quote_parts(
    quotes: list[tuple[int, int]], s: int, e: int, ends: list[int] | None = None
) -> list[tuple[int, int]]:
    # quotations are sorted and disjoint: bisect to the first one ending after s (a scan of
    # every quotation for every sentence is quadratic on long documents); ``ends``, the
    # quotations' ends, when the caller has them (once per article, not once per sentence)
    if ends is None:
        i = bisect.bisect_right(quotes, s, key=lambda q: q[1])
    else:
        i = bisect.bisect_right(ends, s)
    parts = []
    while i < len(quotes) and quotes[i][0] < e:
        parts.append((max(quotes[i][0], s), min(quotes[i][1], e)))
        i += 1
    return parts


_STRIP_LEFT = frozenset(_OPEN_QUOTE + _CLOSE_QUOTE + ",:;—–-")
_STRIP_RIGHT = frozenset(_OPEN_QUOTE + _CLOSE_QUOTE + ",.?!")


def _strip_marks(doc: str, span: tuple[int, int]) -> tuple[int, int]:
    a, b = span
    while a < b and (doc[a] in _STRIP_LEFT or doc[a].isspace()):
        a += 1
    while b > a and (doc[b - 1] in _STRIP_RIGHT or doc[b - 1].isspace()):
        b -= 1
    return a, b


# patterns of the rules below, compiled once (``re.match(pattern, …)`` at run time pays
# the pattern cache lookup on every call)
_ANON_TAIL = re.compile(
    r",?\s+who\b[^.;“”\"]*?(?:anonymity|authori[sz]ed|named|identified)[^.;,“”\"]*"
)
_THAT_OPT = re.compile(r"\s*(?:that\s+)?")
_IDIOM_WORD = re.compile(r"[a-z]+(?<!s)")
_COMMA_SEMI = re.compile(r"[,;]")
_REL_AFTER = re.compile(r",?\s*(?:who|which)\b")
_WHAT_WORD = re.compile(r"\bwhat\s+(?=\S)")
_COLON_COMMA = re.compile("[:,]")
_HEADLINE_COLON = re.compile(r"^([A-Z][^:“\"‘]{1,50}):\s+(\S.*)$")
_HEADLINE_TOPIC = re.compile(r"\s(?:on|about|to|at|in|after)\s")
_TO_HAVE_BE = re.compile(r"\s+to\s+(?:have|be)\b")
_OF_AFTER = re.compile(r"\s+of\s")
_BY_SOON = re.compile(r"[^,;:“”\"]{0,60}?\bby\s")
_TO_WORD = re.compile(r"\s+to\b")
_TO_SPACE = re.compile(r"\s+to\s")
#: a copula (and adverbs) right before an attitude word: "are increasingly worried", "remains
#: convinced", "was not confident"
_COPULA_BEFORE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|am|remains?|remained|seems?|seemed|appears?|appeared|"
    r"grew|grows?|grown|became|becomes?|feels?|felt|stays?|stayed)\s+"
    r"(?:(?:\w+ly|not|also|still|very|quite|more|less|all|now|privately|publicly)\s+)*$",
    re.IGNORECASE,
)
#: how far before an attitude word its copula may start (a bounded search: a sentence of many
#: cues stays linear)
_COPULA_WINDOW = 80


def _attitude_copula(text: str, start: int, end: int) -> re.Match[str] | None:
    """The copula (and adverbs) right before ``text[end]``: "are increasingly worried".

    Searched from ``start``, at most ``_COPULA_WINDOW`` characters back. "so"/"too" are not
    among the adverbs: "so afraid that she hid" is a result clause, not a belief.
    """
    return _COPULA_BEFORE.search(text, max(start, end - _COPULA_WINDOW), end)


#: a lexicon cue made of a copula and an attitude word ("are convinced", "is worried that")
_COPULA_CUE = re.compile(
    r"(?:is|are|was|were|remains?|remained)\s+([a-z]+)(?:\s+that)?", re.IGNORECASE
)
#: the clause that makes a state an attitude to a proposition ("worried that", "unsure whether")
_STATE_CLAUSE = re.compile(r",?\s+(?:that|whether)\b", re.IGNORECASE)
#: attitude adjectives (lexicon ``reporting_verbs``, kind belief) that report a belief only
#: after a copula and before a clause
STATE_ADJECTIVES = frozenset(
    (
        "convinced", "confident", "concerned", "skeptical", "sceptical", "hopeful", "afraid",
        "certain", "sure", "optimistic", "pessimistic", "adamant", "aware", "fearful",
        "unconvinced", "doubtful", "unsure", "uncertain",
    )
)
_BY_AGENT = re.compile(r"[^,;:“”\"]{0,60}?\bby\s+(?![\d(]|the (?:end|time)\b)")
_REL_BEFORE = re.compile(r",\s*(?:who|which)\s+(?:(?:also|has|had|have|\w+ly)\s+)*$")
_NEXT_WORD_OR_QUOTE = re.compile(r"\s*([“\"‘]|\w+)")
_SPEAKER_AFTER = re.compile(r"\s+(?:[A-Z]|the\s|a\s|an\s)")
_PHRASE_END = re.compile(r"\s*(?:[,.;!?]|$)")
_AND_BEFORE = re.compile(r"\b(?:and|but)\s+(?:(?:then|later|also|\w+ly)\s+)?$")
_COMMA_END = re.compile(r",\s*$")
_NEXT_TOKEN = re.compile(r"\s*(?:(?:on|last|this)\s+\w+\s+|\w+ly\s+)*([\w$’'-]+|[“\"‘:,.])")
_BY_NEXT = re.compile(r"\s+by\s")
_NEXT_WORD = re.compile(r"\s*([\w$’'-]+)")
_PREP_THAT = re.compile(r"\s+(?:in|on|to)\b[^,;.]{0,60}?\bthat\s")
_AS_BEFORE = re.compile(r"\bas\s*$", re.IGNORECASE)
_CONTENT_LEAD = re.compile(
    r"\s*(?:(?:in|on|to)\b[^,;.“\"]{0,60}?\bthat\s+|(?:on \w+\s*|in a statement\s*|"
    r"to reporters\s*|,\s*)*(?:that\s+)?)"
)
_THAT_CLAUSE = re.compile(r"\s*(?:\w+ly\s+)?that\s")
_CLAUSE_OR_OBJECT = re.compile(r"\s*(?:that\b|the\b|a\b|an\b)")


def _extract_sentence(
    doc: str,
    s: int,
    e: int,
    quotes: list[tuple[int, int]],
    *,
    is_first: bool,
    matches: list[dict[str, Any]] | None = None,
    quote_ends: list[int] | None = None,
    next_quote: tuple[int, int] | None = None,
    own_labels: frozenset[str] = frozenset(),
    qa: bool = False,
) -> list[Attribution]:
    """Attributions of sentence ``doc[s:e]``.

    ``own_labels`` are the outlet's own transcript labels (:func:`_outlet_labels`); ``qa``
    says the document has "Q:" lines, so that "A:" names the answer's speaker.

    ``next_quote`` is the quotation that opens the next sentence when this one ends with a
    colon ("Limbaugh added:" then “…” in the next paragraph): the speaker-before-quotation
    rule then takes it as this sentence's quotation.
    """
    text = doc[s:e]
    # a colon is needed by the link label, speaker label and headline rules: most sentences
    # have none and skip their regexes
    colon = ":" in text
    if colon and _LINK_LABEL.match(text):
        return []  # "READ MORE: …", "Related: …": a link to another article (guidelines §3)
    cues = _cue_matches(text, s, matches)
    qparts = _quote_parts(quotes, s, e, quote_ends) if quotes else []
    outside = (
        [c for c in cues if not any(qs <= c["start"] < qe for qs, qe in qparts)]
        if qparts and cues
        else cues
    )
    atts: list[Attribution] = []
    used: set[int] = set()

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
            anon_tail = (
                _ANON_TAIL.match(doc[src[1] : e])
                if src
                else None
            )
            if anon_tail:
                # "according to two people familiar with the matter who were not authorized to
                # discuss it": the anonymity clause belongs to the source description
                src = (src[0], src[1] + anon_tail.end())
        elif _TRAIL_VERB.search(term):
            # "data show", "researchers found": the cue is the verb alone (v2 decision 11),
            # the source the noun phrase before it
            verb = _TRAIL_VERB.search(term)
            cue = (c["start"] + verb.start(), c["end"])
            src = _np_left(doc, s, cue[0])
            said = [
                r for r in outside
                if src and r["lexicon"] == "reporting_verbs" and src[0] <= r["start"]
                and r["end"] < src[1]
            ]
            if said:
                # "Iglesias said the pre-order data showed …": the source starts after the
                # speaker's verb (the data are what the speaker cites)
                rest = _THAT_OPT.match(doc[said[-1]["end"] : src[1]])
                src = (said[-1]["end"] + rest.end(), src[1])
        else:
            continue
        stext = doc[src[0] : src[1]] if src else ""
        if lead and _IDIOM_WORD.fullmatch(_COMMA_SEMI.split(stext, maxsplit=1)[0].strip()):
            continue  # "according to need", "according to plan": an idiom, not a source
        content = None
        if src is not None:
            rest = [(s, cue[0]), (max(src[1], cue[1]), e)]
            if _REL_AFTER.match(doc[rest[1][0] : e]):
                rest.pop()  # "…, according to the ministry, which said …": not the content
            content = _strip_marks(doc, max(rest, key=lambda r: r[1] - r[0]))
        # a document or an according-to phrase → according_to; "researchers found" names
        # people, whose finding is reported speech (v2 decision 1)
        first = "according_to" if lead or _source_type(stext) == "document" else "reported_speech"
        kind = [first] + (["anonymous"] if _is_anonymous(stext) else [])
        atts.append(
            Attribution(
                kind, "according_to", cue, src, content, _source_type(stext) if src else "none"
            )
        )
        used.update(range(c["start"], c["end"]))

    speech = [c for c in outside if c["lexicon"] == "reporting_verbs" and c["start"] not in used]
    if len(speech) > 1:
        speech.sort(key=lambda c: c["start"])
    # “…,” X said.  /  “…,” said X.  (both quotation rules need a reporting verb)
    for qs, qe in qparts if speech else ():
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
                atts.append(
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
    # He said: “…”  (also "He said:" closing the sentence, the quotation in the next one)
    for qs, qe in [*qparts, *([next_quote] if next_quote else [])] if speech else ():
        before = [
            c
            for c in speech
            if c["end"] <= qs
            and c["start"] not in used
            and _TO_QUOTE.fullmatch(doc[c["end"] : qs] if qs - c["end"] < 45 else "x")
        ]
        if before:
            c = before[-1]
            src = _subject_after_cues(doc, _np_left(doc, s, c["start"]), c, speech)
            if qs >= e and (
                src is None
                or c["weight"] < 0.4
                # "He was asked:" / “…”: the quotation is put to him, not said by him
                or _search_ci(
                    _PASSIVE_AUX, _PASSIVE_AUX_CS, doc[max(s, c["start"] - 30) : c["start"]]
                )
                or doc[src[0] : src[1]].rsplit(None, 1)[-1].lower() in _NOT_SPEAKER_END
            ):
                # "Highlights of the report:" then a quotation: a noun, nobody speaks
                continue
            stext = doc[src[0] : src[1]] if src else ""
            w = _WHAT_WORD.search(stext) if "what " in stext else None
            if w and src:
                # "rejected what it called “…”": the source is the subject of the relative
                src = (src[0] + w.end(), src[1])
                stext = doc[src[0] : src[1]]
            kind = ["direct_quote"] + (["anonymous"] if _is_anonymous(stext) else [])
            words = doc[qs:qe].lstrip(_OPEN_QUOTE)
            if not _COLON_COMMA.search(doc[c["end"] : qs]) and words[:1].islower():
                # "The ministry blamed “organised provocateurs”": quoted words as the object of
                # the speech act, not a quoted sentence — reported speech with a partial quote
                # (guidelines §2, v2 decision 2)
                kind.append("reported_speech")
            atts.append(
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
    # (a dash is needed: most sentences have none and skip the search)
    m = _SIGNATURE.search(text) if "—" in text or "–" in text or "―" in text else None
    if m and not any(a.rule == "quote_then_speaker" for a in atts):
        cue = (s + m.start("dash"), s + m.end("dash"))
        src = (s + m.start("name"), s + m.end("name"))
        q = next((qp for qp in reversed(qparts) if qp[1] <= cue[0] + 1), None)
        atts.append(Attribution(["direct_quote"], "signature", cue, src,
                                _strip_marks(doc, q) if q else None, _source_type(m.group("name"))))
    # TRUMP: We are going to win. / Sen. Jane Doe: “…” (transcript-style speaker label)
    m = (
        _SPEAKER_LABEL.match(text) or (_ANSWER_LABEL.match(text) if qa else None)
        if colon and not is_first and not atts
        else None
    )
    if m:
        label = m.group("label")
        low = label.lower()
        if (
            low not in _NOT_SPEAKERS
            # the outlet's own questions ("LEDGER: Why now?") are in its own voice
            and low not in own_labels
            and not _is_kicker(low)
            and (label.isupper() or person_name(label) and len(person_name(label).split()) >= 2)
        ):
            cue = (s + m.end("label"), s + m.end("label") + 1)
            atts.append(Attribution(["direct_quote"], "speaker_label", cue,
                                    (s + m.start("label"), s + m.end("label")),
                                    _strip_marks(doc, (s + m.end(), e)),
                                    "person" if label == "A" else _source_type(label)))
    # Minister: prices will fall  /  Shopkeeper: ‘They did nothing’
    if colon and (is_first or (not atts and not speech)):
        m = _HEADLINE_COLON.match(text)
        label = m.group(1) if m else ""
        # "Senator on leaked tape: …" — the source is the part before "on/about/to"
        head = _HEADLINE_TOPIC.split(label, maxsplit=1)[0]
        head_end = s + (m.start(1) + len(head) if m else 0)
        if (
            m
            and is_first
            and not atts
            # "X told Y: “…”" is the speech rule's; a verb after the head ("on leaked
            # tape") is not the cue
            and not any(c["end"] <= head_end for c in speech)
            # "Minister: prices will soar, he says": the speech rule takes "he says"
            and not any(c["start"] > s + m.end(1) and c["weight"] >= 0.8 for c in speech)
            and label.lower() not in _NOT_SPEAKERS
            and not label.isupper()  # kickers: "EXCLUSIVE:", "STORM FURY:"
            and not label[-1:].isdigit()
            and len(label.split()) <= 6
        ):
            src = (s + m.start(1), head_end)
            rest = s + m.start(2)
            q = next(((qs, qe) for qs, qe in qparts if 0 <= qs - rest <= 1), None)
            if q is not None:
                kind, content = ["direct_quote"], _strip_marks(doc, q)
            else:
                kind, content = ["reported_speech"], (rest, e)
                if any(qs > rest for qs, _ in qparts):
                    kind.append("direct_quote")  # a partial quotation in the reported words
            atts.append(
                Attribution(
                    kind,
                    "headline_colon",
                    (s + m.end(1), s + m.end(1) + 1),
                    src,
                    content,
                    _source_type(head),
                )
            )
    # "Police put the crowd at 18,000": an estimate ascribed to a source
    # (the search needs " at " and one of the verbs: most sentences skip it)
    m = (
        _ESTIMATE.search(text)
        if " at " in text and any(map(text.__contains__, _ESTIMATE_STEMS))
        else None
    )
    if m and not any(a.cue and a.cue[0] <= s + m.start("verb") < a.cue[1] for a in atts):
        cue = (s + m.start("verb"), s + m.end("verb"))
        src = _np_left(doc, s, cue[0])
        stext = doc[src[0] : src[1]] if src else ""
        if (
            src is not None
            and not _search_ci(_PASSIVE_AUX, _PASSIVE_AUX_CS, doc[s : cue[0]])
            and not _not_subject(stext)
            and _plausible_source(stext, False, 1.0)
        ):
            stype = _source_type(stext)
            kind = ["according_to" if stype == "document" else "reported_speech"]
            if _is_anonymous(stext):
                kind.append("anonymous")
            atts.append(Attribution(kind, "estimate", cue, src, (cue[1] + 1, s + m.end()), stype))
            used.add(cue[0])  # ("estimated" is a reporting verb too: one attribution)
    # "in what critics call a power grab": a label ascribed to a source in a free relative
    m = _WHAT_CALL.search(text) if "what " in text else None
    verb = ("verb" if m.group("verb") else "verb2") if m else ""
    if m and not any(
        a.cue and a.cue[0] <= s + m.start(verb) < a.cue[1]
        # inside what an according-to phrase reports: only the outer attribution
        or a.content and a.content[0] <= s + m.start(verb) < a.content[1]
        for a in atts
    ):
        src = (s + m.start("src"), s + m.end("src"))
        cue = (s + m.start(verb), s + m.end(verb))
        content = _strip_marks(doc, (s + m.start("label"), s + m.end("label")))
        stext = m.group("src")
        if content[1] > content[0] and stext.lower() not in _WRITER:
            kind = ["reported_speech"]
            if any(content[0] <= qs < content[1] for qs, _ in qparts):
                kind.append("direct_quote")  # "what the ministry called an “unfriendly” act"
            if _is_anonymous(stext):
                kind.append("anonymous")
            atts.append(Attribution(kind, "what_call", cue, src, content, _source_type(stext)))
            used.add(cue[0])
    # "As the judge put it, the law …" / "Rep. Gaither put it plainly: the cuts …"
    m = _PUT_IT.search(text) if "put it" in text or "puts it" in text else None
    if m and not atts:
        verb = "verb" if m.group("verb") else "verb2"
        cue = (s + m.start(verb), s + m.end(verb))
        if m.group("src"):
            src = (s + m.start("src"), s + m.end("src"))
        else:
            src = _np_left(doc, s, cue[0])
        stext = doc[src[0] : src[1]] if src else ""
        # the construction leaves no doubt that someone speaks, unless it is the writer
        if src is not None and stext.lower() not in _WRITER:
            # the reported clause with any inner quotation marks, without the final stop
            ce = _rstrip_end(doc, e)
            ce -= doc[ce - 1] in ".!?" if ce > s + m.end() else 0
            content = (s + m.end(), ce)
            kind = ["reported_speech"]
            if any(content[0] <= qs < content[1] for qs, _ in qparts):
                kind.append("direct_quote")
            if _is_anonymous(stext):
                kind.append("anonymous")
            atts.append(Attribution(kind, "put_it", cue, src, content, _source_type(stext)))
            used.add(cue[0])
    # X said (that) ... — the strongest reporting verb first ("affirmed … and said" → said)
    n_speech = 0
    by_weight = (
        sorted(speech, key=lambda c: (-c["weight"], c["start"])) if len(speech) > 1 else speech
    )
    for c in by_weight:
        if c["start"] in used or n_speech >= _MAX_SPEECH:
            continue
        if atts and any(
            a.rule == "according_to" and a.source and a.source[0] <= c["start"] < a.source[1]
            for a in atts
        ):
            continue  # "according to the council’s interim note": part of the source
        before = doc[max(s, c["start"] - 30) : c["start"]]
        if _search_ci(_NEGATED, _NEGATED_CS, before) or doc.startswith(" nothing", c["end"]):
            continue  # "declined to say", "has not said", "said nothing": no content
        # "…, the authors report." / "…, Capital Daily reported on Wednesday, citing …": a
        # closing reporting clause, whose content is what comes before it
        final = bool(
            # (the head is at most 6 words: search a bounded window, not the whole sentence)
            doc.find(",", max(s, c["start"] - 200), c["start"]) >= 0  # (the head needs one)
            and _FINAL_HEAD.search(doc, max(s, c["start"] - 200), c["start"])
            and _FINAL_TAIL.match(doc, c["end"], e)
        )
        if (
            c["weight"] < 0.8
            and not final
            and atts
            and any(a.content and a.content[0] <= c["start"] < a.content[1] for a in atts)
        ):
            continue  # nested inside what another source said: only a clear verb of saying
        after = doc[c["end"] : e]
        term = c["term"].lower()
        distancing = (
            term in ("said", "believed", "thought", "rumoured", "rumored")
            and _TO_HAVE_BE.match(after)
            or term == "accused" and _OF_AFTER.match(after)
        )
        if distancing and not _BY_SOON.match(after):
            # "soldiers said to have been taken to hospital", "a plant accused of hiring …":
            # an agentless distancing passive, hedged (guidelines §4, v2 decision 3)
            if not any("hedged" in a.kind for a in atts):
                # the cue is the distancing phrase: "said to", "accused"
                to = _TO_WORD.match(after)
                cue = (c["start"], c["end"] + (to.end() if to else 0))
                atts.append(Attribution(["hedged"], "hedge", cue, None, _strip_marks(doc, (s, e)),
                                        "none", cue_weight=c["weight"]))
            used.add(c["start"])
            continue
        if c["kind"] == "belief" and any(
            a.rule in _SPEAKER_RULES and a.content and a.content[0] <= c["start"] < a.content[1]
            for a in atts
        ):
            # "He said he expects a hearing": a belief inside what a speaker said is part of
            # that speaker's words, not a second attribution
            continue
        if c["kind"] == "belief" and _TO_SPACE.match(after):
            continue  # "hopes to name", "wants to run": a plan or wish, not a proposition (§2)
        rule = "reported_speech"
        # "Party leaders are increasingly worried that …", "she remains convinced that …": an
        # attitude after a copula, with a clause, is the subject's belief (§2), not a passive
        # without an agent (the adjectives of such states pass _cue_matches only there)
        copula = (
            _attitude_copula(doc, s, c["start"])
            if c["kind"] == "belief" and _STATE_CLAUSE.match(after)
            else None
        )
        passive = None if copula else _search_ci(_PASSIVE_AUX, _PASSIVE_AUX_CS, before)
        if passive and not c["term"].split(" ", 1)[0].lower().endswith("ing"):
            # ("is calling for" is progressive, not passive)
            # "was criticised by the union": the by-phrase is the source; without an agent
            # ("was declared the winner", "has not been requested") nothing is attributed
            by = _BY_AGENT.match(after)
            if not by:
                continue
            src = _np_right(doc, c["end"] + by.end(), e)
            stext = doc[src[0] : src[1]] if src else ""
            if (
                src is None
                or not _plausible_source(stext, True, 1.0)
                or stext.split(" ", 1)[0].lower() in _MONTHS | _NP_SKIP
            ):
                continue
            # content: the subject of the passive ("The plan was criticised by …")
            subj = _np_left(doc, s, c["start"] - len(before) + passive.start())
            stype = _source_type(stext)
            atts.append(
                Attribution(
                    ["according_to" if stype == "document" else "reported_speech"]
                    + (["anonymous"] if _is_anonymous(stext) else []),
                    "passive_by",
                    (c["start"], c["end"]),
                    src,
                    subj,
                    stype,
                    cue_weight=c["weight"],
                )
            )
            used.add(c["start"])
            n_speech += 1
            continue
        src = _np_left(doc, s, copula.start() if copula else c["start"])
        rel = _REL_BEFORE.search(before)
        rel_next = _NEXT_WORD_OR_QUOTE.match(after) if rel else None
        if (
            src is None
            and rel_next
            and c["weight"] >= 0.9
            and rel_next.group(1).lower() in _CLAUSE_START | {"“", '"', "‘"}
            and rel_next.group(1).lower() != "about"
        ):
            # "Rep. Dana Okoro, who says a pepper ball hit her", "according to the ministry,
            # which said …": the relative pronoun's
            # antecedent is the source, after the verb or preposition before it ("Hundreds
            # marched behind Dana Okoro, who says …")
            src = _np_left(doc, s, c["start"] - len(before) + rel.start())
            cut = _ANTECEDENT_CUT.match(doc, src[0], src[1]) if src else None
            if cut:
                src = (cut.end(), src[1])
        if src is not None:
            src = _subject_after_cues(doc, src, c, speech)
            if src is None:
                continue
        inverted = False
        if before.rstrip().endswith(",") and _SPEAKER_AFTER.match(after):
            # "…, said Patrick Dunleavy, an analyst at GasWatch": the speaker follows the verb
            right = _np_right(doc, c["end"], e)
            rtext = doc[right[0] : right[1]] if right else ""
            if (
                right
                and (_search_ci(_ROLE, _ROLE_CS, rtext) or person_name(rtext))
                and _PHRASE_END.match(doc[right[1] : e])
                # a speaker is a short noun phrase; "…, Anton Dral, said the strike had
                # targeted …" is a clause (the source is the appositive before the verb)
                and len(rtext.split()) <= 8
                and not any(w in _AUX_VERBS for w in rtext.lower().split())
                and not _TIME_WORDS.fullmatch(rtext)  # "…, announced Sunday, raises …"
            ):
                src, inverted = right, True
        coordinated = not inverted and bool(
            _AND_BEFORE.search(before)
        ) or (
            not inverted
            and c["term"].split(" ", 1)[0].lower().endswith("ing")
            and before.rstrip().endswith(",")
        )
        if coordinated:
            # "… and said …", "…, saying …": the verb shares the subject of the main clause
            earlier = [a for a in atts if a.source and a.cue and a.cue[0] < c["start"]]
            src = earlier[-1].source if earlier else _main_subject(doc, s, c["start"], cues)
            rule = "coordinated_speech"
            if src is None:
                continue
        elif src is None:
            src = _np_right(doc, c["end"], e)
            inverted = True
            if src is not None and _TIME_WORDS.fullmatch(doc[src[0] : src[1]]):
                continue  # "The agreement, announced Sunday, raises …": a participle
        if src is not None and not inverted and not coordinated:
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
            # (the clause contains "who": without it in the span, skip the slower search)
            clause = (
                _ANON_CLAUSE.search(doc, s, c["start"])
                if doc.find("who", s, c["start"]) >= 0
                else None
            )
            if clause and clause.start() <= src[1]:
                # "A county official who was not authorized to speak publicly said": the
                # description runs from the noun phrase before the anonymity clause to the verb
                head = _np_left(doc, s, clause.start())
                if head is not None:
                    src = (min(head[0], src[0]), _rstrip_end(doc, c["start"], " ,"))
        stext = doc[src[0] : src[1]] if src else ""
        closing = bool(
            final and src and not inverted and _COMMA_END.search(doc[max(s, src[0] - 8) : src[0]])
        )
        if (
            not inverted
            and c["term"].lower() in ("called", "named", "dubbed")
            and _NAMED_THING.search(stext + " " + doc[c["start"] : e])
        ):
            continue  # "An armed group called the “Maren Brigades” said …": a name, not speech
        if not _plausible_source(stext, inverted, c["weight"]) and not (
            # "…, coastguard says": a closing reporting clause needs no more than a noun
            closing and 1 <= len(stext.split()) <= 3 and not _not_subject(stext)
        ):
            continue
        nxt = _NEXT_TOKEN.match(after)
        if not inverted and stext.lower() in ("i", "we") and not qparts:
            continue  # the writer's own "I say", "we believe": not attributed to someone else
        if not inverted and not coordinated and (
            _not_subject(stext)
            # (a relative clause or an appositive may hold a verb: "an expert who was not
            # involved in the study said")
            or _clause_in_source(stext)
        ):
            # "Nobody is claiming", "Patriotic Americans should ask", "None of that changes
            # what Carla Denham said": no speaker reports content here
            continue
        if _BY_NEXT.match(after) and not coordinated:
            continue  # "a study reported by X", "figures released by": a reduced passive
        if c["weight"] < 0.5:
            # an ambiguous form ("report", "note", "estimate", "fear") is a verb only when a
            # clause or an object follows it: "note that…", "estimate the cost…", "fear
            # holidaymakers could…", not "report found"
            nw = _NEXT_WORD.match(after)
            if not final and (not nw or not (
                nw.group(1).lower() in _CLAUSE_START
                or nw.group(1)[:1].isupper()
                or nw.group(1)[:1].isdigit()
                or nw.group(1)[:1] == "$"
                or _FINITE_SOON.match(after)
                or _PREP_THAT.match(after)
            )):
                continue
        if _ACT_VERB.fullmatch(c["term"].lower()) and not (
            inverted
            or final
            # "Later studies have reported similar associations": a document reports content
            # whatever the verb (guidelines §2, v2 decision 1)
            or c["term"].lower().startswith("report") and _head_is_document(stext)
            or _AS_BEFORE.search(doc[s : src[0]])
            or nxt is None
            or nxt.group(1).lower() in _CLAUSE_COMPLEMENT
        ):
            # "announced a $150m plan", "declared a state of emergency", "reported revenue of":
            # an act the source performed, reported as fact, not attributed content (§2, v2
            # decision 4); only a clause complement makes it an attribution
            continue
        content_start = c["end"]
        m = _CONTENT_LEAD.match(doc[content_start:e])
        content_start += m.end() if m else 0
        addressee = _ADDRESSEE.match(doc[c["end"] : e]) if c["term"].lower() in _TELL else None
        if addressee:
            content_start = c["end"] + addressee.end()  # "told Northwire the port was closed"
        # "A says X, while B has called it Y": the content ends where another speaker's
        # clause begins
        content_end = _next_speaker_clause(doc, content_start, e, speech)
        content = (
            _strip_marks(doc, (content_start, content_end)) if content_start < content_end else None
        )
        if inverted and before.rstrip().endswith(","):
            # "…, said Patrick Dunleavy": the content is what comes before the verb
            content = _strip_marks(doc, (s, s + len(doc[s : c["start"]].rstrip())))
            content_start = s
        lead_text = doc[s : src[0]].rstrip() if src and not inverted else ""
        if lead_text.endswith(",") and (
            final or not _has_words(doc[c["end"] : e].split(",")[0])
        ):
            # "Prices rose, the ministry said." — the content comes before the source
            content = _strip_marks(doc, (s, s + len(lead_text)))
            content_start = s
        if content is None or not _has_words(doc[slice(*content)]):
            continue  # "Locals were fuming last night.": nothing is attributed
        in_q = bool(qparts) and any(qs <= c["start"] < qe for qs, qe in qparts)
        stype = _source_type(stext) if src else "none"
        # a document as speaker ("the report says") is an according-to attribution;
        # quoted words inside reported speech make it a (partial) direct quote as well
        kind = ["according_to" if stype == "document" else "reported_speech"]
        if qparts and not in_q and content and any(qs >= content_start for qs, _ in qparts):
            kind.append("direct_quote")
        if _is_anonymous(stext):
            kind.append("anonymous")
        frame = None
        if not coordinated and not _not_subject(stext):
            if lead_text.endswith(",") and final:
                frame = "final"
            elif _THAT_CLAUSE.match(after):
                frame = "that"
        atts.append(
            Attribution(
                kind,
                rule,
                (c["start"], c["end"]),
                src,
                content,
                stype,
                cue_weight=c["weight"],
                frame=frame,
            )
        )
        used.add(c["start"])
        n_speech += 1  # a few reporting verbs per sentence get their own attribution
    # "The chief said officers warned the group": a reporting verb whose subject opens the
    # clause another source reports is part of what that source says, unless it reports a
    # clause of its own ("said Halvorsen had argued that …")
    if len(atts) > 1:
        def a_text(span: tuple[int, int] | None) -> str:
            return doc[span[0] : span[1]].lower() if span else ""

        outer = [a for a in atts if a.rule in _SPEAKER_RULES and a.content and a.cue]
        atts[:] = [
            a
            for a in atts
            if not (
                (
                    a.rule in ("reported_speech", "speaker_colon_quote")
                    # "told Northwire that CCTV footage showed …" (not "according to")
                    or a.rule == "according_to" and not _LEAD_PHRASE.match(a_text(a.cue))
                )
                and a.frame is None
                and a.source is not None
                and a.cue is not None
                and any(
                    o is not a
                    and o.content[0] < a.cue[0] < o.content[1]
                    and (
                        o.content[0] == a.source[0]
                        # "told Northwire that CCTV footage showed …": after the addressee
                        or o.content[0] < a.source[0]
                        and _OPENS_CLAUSE.fullmatch(doc, o.content[0], a.source[0]) is not None
                    )
                    for o in outer
                )
            )
        ]
    # "X called the plan “a disgrace”": naming verbs with a quoted label (also beside another
    # attribution: "X called the ruling “…”, according to Y")
    # (the search needs an opening mark and one of the verbs: most sentences skip it)
    m = (
        _NAMING.search(text)
        if ("“" in text or '"' in text) and any(map(text.__contains__, _NAMING_STEMS))
        else None
    )
    if m and atts and (
        m.group("verb").lower() not in _NAMING_PAST
        or any(a.cue and a.cue[0] <= s + m.start("verb") < a.cue[1] for a in atts)
    ):
        m = None  # beside another attribution only the past forms ("a call", "calls" are nouns)
    if m:
        cue = (s + m.start("verb"), s + m.end("verb"))
        src = _np_left(doc, s, cue[0])
        stext = doc[src[0] : src[1]] if src else ""
        if (
            src is not None
            and _plausible_source(stext, False, 1.0)
            and not _NAMED_THING.search(stext + " " + doc[cue[0] : e])  # "a group called “X”"
        ):
            q = next(((qs, qe) for qs, qe in qparts if qs >= cue[1]), None)
            content = _strip_marks(doc, q) if q else None
            kind = ["reported_speech", "direct_quote"]
            if _is_anonymous(stext):
                kind.append("anonymous")
            atts.append(Attribution(kind, "naming_quote", cue, src, content, _source_type(stext)))
    # a report found / data show … (also beside "according to the statement")
    # (every ``_DOC_VERB`` match holds one of these stems: most sentences skip the search)
    if any(map(text.__contains__, _DOC_VERB_STEMS)) and not any(
        a.rule in ("document_verb", "finding_verb") for a in atts
    ):
        m = _DOC_VERB.search(text)
        same = [a for a in atts if m and a.cue and a.cue[0] <= s + m.end("verb") - 1 < a.cue[1]]
        for a in same:
            if a.rule == "reported_speech" and a.source_type == "document":
                a.rule = "document_verb"  # "the regulator’s modelling suggests …" (decision 1)
        if same or m and any(
            a.source and a.source[0] <= s + m.start("verb") < a.source[1] for a in atts
        ):
            m = None  # the verb of another attribution, or inside its source ("according to
            # census estimates")
        if m:
            src = _np_left(doc, s, s + m.start("verb"))
            stext = doc[src[0] : src[1]] if src else ""
            if any(a.content and a.content[0] <= s + m.start() < a.content[1] for a in atts):
                src = None  # "…said most studies have found": inside what the source said
            # the verb alone is the cue, without its auxiliary ("have found" → "found")
            cue = (s + m.end("verb") - len(m.group("verb").split()[-1]), s + m.end("verb"))
            content = _strip_marks(doc, (cue[1], e))
            if doc.startswith("that ", content[0]):
                content = (content[0] + 5, content[1])  # the reported clause without "that"
            # "…, researchers have found.": a closing reporting clause; the content comes first
            closing = src is not None and bool(
                doc[s : src[0]].rstrip().endswith(",")
                and len(doc[src[0] : cue[0]].split()) <= 7
                and _FINAL_TAIL.match(doc, cue[1], e)
            )
            if closing:
                content = _strip_marks(doc, (s, _rstrip_end(doc, src[0])))
            if src is not None and _head_is_document(stext):
                atts.append(
                    Attribution(["according_to"], "document_verb", cue, src, content, "document")
                )
            elif (
                src is not None
                and not atts
                and (
                    closing
                    or _CLAUSE_OR_OBJECT.match(doc[s + m.end("verb") : e])
                )
                and _plausible_source(stext, False, 1.0)
            ):
                # "Researchers found that …", "the reviewers judged that …"
                atts.append(Attribution(["reported_speech"], "finding_verb", cue, src, content,
                                        _source_type(stext), frame="final" if closing else None))
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
                atts.append(
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
            atts.append(
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


#: the last word of a noun phrase that cannot be the speaker before a colon ("… of the report:")
_NOT_SPEAKER_END = frozenset((*_DETERMINERS, "of", "in", "on", "for", "with", "to", "from", "by",
                              "at", "and", "or"))


def _opening_quote(
    doc: str,
    sentences: list[tuple[int, int]],
    k: int,
    quotes: list[tuple[int, int]],
    quote_ends: list[int] | None,
) -> tuple[int, int] | None:
    """The quotation that opens sentence ``k + 1``, if sentence ``k`` ends with a colon.

    "Limbaugh added:" / “We are not going anywhere. …” — the part of the quotation inside
    sentence ``k + 1``; None otherwise.
    """
    s, e = sentences[k]
    if k + 1 >= len(sentences) or doc[s:e].rstrip()[-1:] != ":":
        return None
    s2, e2 = sentences[k + 1]
    a = s2 + len(doc[s2:e2]) - len(doc[s2:e2].lstrip())
    if a >= e2 or doc[a] not in _OPEN_QUOTE:
        return None
    part = next((q for q in _quote_parts(quotes, s2, e2, quote_ends) if q[0] == a), None)
    return part


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
        if speaker is None and inside[0] > 0:
            # speaker in the sentence before, which ends with a colon ("He added:" / “… .”)
            speaker = next(
                (
                    a
                    for a in out[inside[0] - 1]
                    if a.rule == "speaker_colon_quote"
                    and a.source is not None
                    and a.content is not None
                    and a.content[0] >= sentences[inside[0]][0]
                ),
                None,
            )
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


def _is_kicker(label: str) -> bool:
    """Whether a (lowercased) label is made only of service-kicker words ("also read")."""
    if len(label) < 2:
        return False  # "A:" answers a "Q:"
    words = re.split(r"[\s.:-]+", label.replace("’", "'"))
    return all(w in _KICKER_WORDS for w in words if w)


def _speaker_turns(
    doc: str, sentences: list[tuple[int, int]], out: list[list[Attribution]]
) -> None:
    """Give the later sentences of a transcript turn the speaker of its label.

    "PIKE: No. They have been unfair to him." — the turn runs to the end of the line; a
    sentence there that already quotes someone directly keeps its own speaker. Only labels
    that head two lines or more count (their rule becomes ``transcript_label``).
    """
    labels = [(i, a) for i, atts in enumerate(out) for a in atts if a.rule == "speaker_label"]
    # a transcript gives a speaker several turns; a label seen once is as often a kicker
    # ("HOW TO HELP: …", "COMMUNITY NOTICE: …") as a speaker
    turns = Counter(doc[a.source[0] : a.source[1]].lower() for _, a in labels if a.source)
    for i, label in labels:
        if label.source is None or turns[doc[label.source[0] : label.source[1]].lower()] < 2:
            continue
        label.rule = "transcript_label"
        for j in range(i + 1, len(sentences)):
            s, e = sentences[j]
            if "\n" in doc[sentences[j - 1][1] : s]:
                break  # a new line: the next turn, or the article again
            if any("direct_quote" in a.kind for a in out[j]):
                break  # another speaker's words (or a label of its own)
            # after the sentence's own attributions: "The governor told me …" inside the
            # turn keeps the governor as its main source
            out[j].append(
                Attribution(
                    list(label.kind),
                    "speaker_turn",
                    label.cue,
                    label.source,
                    _strip_marks(doc, (s, e)),
                    label.source_type,
                    label.entity,
                ),
            )


def _quote_sequels(
    doc: str,
    sentences: list[tuple[int, int]],
    quotes: list[tuple[int, int]],
    out: list[list[Attribution]],
    quote_ends: list[int] | None = None,
) -> None:
    """Give a wholly quoted sentence the speaker of the quotation in the sentence before it.

    “The money is real,” said Ana Ruiz. “What the market prices is the cost.” — the second
    quotation has no speaker of its own: it continues the previous speaker's words (a run of
    quotations by one speaker, as a multi-sentence quotation takes the speaker of its first
    sentence; guidelines §2, multi-sentence quotations). Sentences in order, so a run of several
    such quotations keeps the speaker.
    """
    for i in range(1, len(sentences)):
        if not out[i - 1]:
            continue
        s, e = sentences[i]
        text = doc[s:e]
        a = s + len(text) - len(text.lstrip())
        b = s + len(text.rstrip())
        if b - a < 2 or doc[a] not in _OPEN_QUOTE or doc[b - 1] not in _CLOSE_QUOTE:
            continue
        # the quotation that opens the sentence must also close it (not “A” and “B”)
        q = next((q for q in _quote_parts(quotes, s, e, quote_ends) if q[0] <= a), None)
        if q is None or q[1] < b:
            continue
        if any("direct_quote" in x.kind or not x.cue or not a <= x.cue[0] < b for x in out[i]):
            continue  # the sentence has a speaker or a cue of its own outside the quotation
        speaker = next(
            (x for x in out[i - 1] if x.source is not None and "direct_quote" in x.kind), None
        )
        if speaker is None:
            continue
        # first: the quotation is the sentence's own attribution; a source the speaker cites
        # inside it ("the records show …") follows (guidelines §2, "according to" in a quote)
        out[i].insert(
            0,
            Attribution(
                sorted({"direct_quote", *(k for k in speaker.kind if k == "anonymous")}),
                "quote_sequel",
                speaker.cue,
                speaker.source,
                _strip_marks(doc, (a, b)),
                speaker.source_type,
                speaker.entity,
            )
        )


def _next_speaker_clause(doc: str, start: int, end: int, speech: list[dict[str, Any]]) -> int:
    """Where another speaker's clause begins after ``start``, or ``end``.

    "Valdoria describes the deal as proof of goodwill, while Aalto has called it a first step":
    the first speaker's content ends before ", while"; a short subject (up to 8 words) then a
    reporting verb after ";", ", while", ", whereas", ", but", ", though" or ", and".
    """
    # a word after a conjunction starts after ``start``: only verbs there can begin a clause
    # (``speech`` is sorted by position)
    if not speech or speech[-1]["start"] <= start:
        return end
    starts = None
    # one pass over the conjunctions (linear in the sentence, whatever the number of cues)
    for m in _SPEAKER_TURN.finditer(doc, start, end):
        if starts is None:
            starts = {c["start"] for c in speech if c["start"] > start}
        for n, w in enumerate(_WORD.finditer(doc, m.end(), min(end, m.end() + 200))):
            if w.start() in starts:
                return m.start()
            if n >= 8 or w.group() in (",", ";", "."):
                break
    return end


_SPEAKER_TURN = re.compile(r"(?:;|,\s+(?:while|whereas|but|though|although|and))\s+")


def _subject_after_cues(
    doc: str, src: tuple[int, int] | None, c: dict[str, Any], speech: list[dict[str, Any]]
) -> tuple[int, int] | None:
    """The subject of reporting verb ``c`` when its left noun phrase runs over another verb.

    "Dale Prewitt said the administration expects …": the subject of "expects" starts after
    "said" (a clear verb of saying, weight >= 0.8); None when nothing is left. ``speech`` is
    sorted by position.
    """
    if src is None:
        return None
    i = bisect.bisect_left(speech, src[0], key=lambda x: x["start"])
    inner = []
    while i < len(speech) and speech[i]["start"] < src[1]:
        x = speech[i]
        if x["weight"] >= 0.8 and x["end"] <= src[1] and x is not c:
            inner.append(x)
        i += 1
    if not inner:
        return src
    return _np_left(doc, inner[-1]["end"], c["start"])
