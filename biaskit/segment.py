"""News-aware sentence segmentation: NLTK Punkt with shipped parameters, plus news structure.

Punkt (``nltk.tokenize.punkt``) decides where periods end sentences; its parameters
(abbreviations, collocations, frequent sentence starters) ship with biaskit in
``biaskit/data/punkt/`` because NLTK's pretrained models cannot be downloaded here. On top of
Punkt's spans, a few cheap passes add what news needs:

- line structure: a line break ends a sentence (headlines, datelines, list items, captions
  and promo lines are lines of their own), unless the next line continues in lower case
  (hard-wrapped prose);
- quotation closing marks after a sentence end stay with that sentence (``…bastions.”``);
- a question or exclamation inside a quotation followed by its speaker in lower case stays one
  sentence (``“Why now?” she asked.``);
- a bare list marker (``1.``) joins the item that follows it.

Every sentence is an exact slice of the input: ``text[s.start:s.end] == s.text``.

The module is callable, so ``biaskit.segment(text)`` works as well as
``biaskit.segment.segment(text)``.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import sys
import types
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from nltk.tokenize.punkt import (
    PunktLanguageVars,
    PunktParameters,
    PunktSentenceTokenizer,
    PunktToken,
    PunktTrainer,
)

try:  # Punkt's orthographic-context flags (private names, stable since NLTK 2)
    from nltk.tokenize.punkt import _ORTHO_BEG_LC, _ORTHO_LC, _ORTHO_MID_UC, _ORTHO_UC
except ImportError:  # pragma: no cover - the same bit values, should NLTK rename them
    _ORTHO_MID_UC, _ORTHO_BEG_LC = 1 << 2, 1 << 4
    _ORTHO_UC = (1 << 1) | (1 << 2) | (1 << 3)
    _ORTHO_LC = (1 << 4) | (1 << 5) | (1 << 6)

from biaskit.errors import InputError
from biaskit.quotes import quote_spans, shares_inside
from biaskit.schema import SEGMENT_COLUMNS

logger = logging.getLogger(__name__)

__all__ = [
    "Sentence",
    "NewsSegmenter",
    "segment",
    "segment_frame",
    "train_punkt",
    "load_punkt",
    "save_punkt",
    "default_punkt_parameters",
]

_PARAMS_FORMAT = "biaskit-punkt/1"
#: longest piece of text handed to Punkt in one call (see NewsSegmenter._punkt_spans)
CHUNK = 100_000
_SENT_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")


class Sentence(NamedTuple):
    """One sentence with its exact position in the text.

    Attributes
    ----------
    start, end : int
        Character offsets; ``text[start:end]`` is the sentence.
    text : str
        The sentence text.
    paragraph : int
        0-based index of the line block (paragraph) it belongs to.
    is_headline : bool
        A title or headline line: a leading line without final punctuation.
    in_quote : float
        Share of its characters inside quotation marks (0–1).

    """

    start: int
    end: int
    text: str
    paragraph: int
    is_headline: bool
    in_quote: float


class _NewsLanguageVars(PunktLanguageVars):
    """Punkt language variables that also move curly quotes and guillemets back.

    NLTK releases before 3.9 only realign straight quotes; pinning the pattern here keeps the
    behaviour the same across NLTK versions.
    """

    re_boundary_realignment = re.compile(
        r"[\"')\]}\u2018\u2019\u201c\u201d\xab\xbb\u203a]+?(?:\s+|(?=--)|$)", re.MULTILINE
    )


#: the whitespace NLTK looks for before a candidate period (``string.whitespace``)
_ASCII_SPACE = " \t\n\r\x0b\x0c"


def _engine(pattern: Any) -> Any:
    """The compiled pattern under NLTK's time-limit wrapper (``nltk.redos``), if it has one."""
    return getattr(pattern, "_rx", pattern)


class _NewsPunktTokenizer(PunktSentenceTokenizer):
    """Punkt with a faster, equivalent test of each candidate sentence break.

    NLTK decides every candidate (``text_contains_sentbreak`` on the few words around a
    period) by building annotated ``PunktToken`` objects through generators and regexes guarded
    by a time limit: about 20 µs a candidate, most of all segmentation time. The same two
    passes on plain strings give the same decisions in about 5 µs, and the spans around them
    are found in one pass over lists instead of chained generators (``span_tokenize`` is 2.5×
    faster on the corpus). ``tests/test_segment_punkt.py`` holds every decision and span to
    NLTK's on the corpus and on random texts, also with trained parameters; it also guards
    the NLTK internals this relies on (``PunktToken``'s patterns, the word tokenizer). The time
    limit still guards the scan of the whole text; the contexts tested here are a few words.
    """

    def __init__(self, params: PunktParameters, lang_vars: PunktLanguageVars) -> None:
        super().__init__(params, lang_vars=lang_vars)
        self._words = _engine(lang_vars._word_tokenizer_re()).findall
        self._numeric = _engine(PunktToken._RE_NUMERIC).sub
        self._initial = _engine(PunktToken._RE_INITIAL).match
        self._sent_end_chars = frozenset(lang_vars.sent_end_chars)

    def span_tokenize(
        self, text: str, realign_boundaries: bool = True
    ) -> Iterator[tuple[int, int]]:
        """NLTK's spans (``realign_boundaries``: closing punctuation moved back), in one pass."""
        if not realign_boundaries:
            return super().span_tokenize(text, realign_boundaries)
        return iter(self._realigned(text, self._slices(text)))

    def _slices(self, text: str) -> list[tuple[int, int]]:
        """``_slices_from_text`` of NLTK (with ``_match_potential_end_contexts``), as a list."""
        slices = []
        last_break = 0
        prev_match = None
        prev_start = prev_stop = 0  # the word before the previous candidate
        for match in self._lang_vars.period_context_re().finditer(text):
            start = match.start()
            # the word before this candidate starts after the last ASCII whitespace since the
            # previous candidate (NLTK's _get_last_whitespace_index; 0 means none). Usually the
            # last space: nothing after it is a tab, line break or other control character
            space = text.rfind(" ", prev_stop, start)
            if not text[max(space + 1, prev_stop) : start].isprintable():
                space = max(text.rfind(c, prev_stop, start) for c in _ASCII_SPACE)
            word_start = space + 1 if space > prev_stop else prev_start
            if prev_match is not None and prev_stop <= word_start:
                last_break = self._cut(text, prev_match, prev_start, prev_stop, slices, last_break)
            prev_match, prev_start, prev_stop = match, word_start, start
        if prev_match is not None:
            last_break = self._cut(text, prev_match, prev_start, prev_stop, slices, last_break)
        # the last sentence holds no trailing whitespace
        slices.append((last_break, len(text.rstrip())))
        return slices

    def _cut(
        self,
        text: str,
        match: Any,
        word_start: int,
        word_end: int,
        slices: list[tuple[int, int]],
        last_break: int,
    ) -> int:
        """Test one candidate; on a sentence break, append the slice it ends. The next start."""
        context = text[word_start:word_end] + match.group() + match.group("after_tok")
        if not self.text_contains_sentbreak(context):
            return last_break
        slices.append((last_break, match.end()))
        # the next sentence starts after the whitespace, or at the punctuation that follows
        return match.start("next_tok") if match.group("next_tok") else match.end()

    def _realigned(self, text: str, slices: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """NLTK's ``_realign_boundaries``: closing marks after a break join the sentence."""
        realignment = self._lang_vars.re_boundary_realignment
        out = []
        realign = 0
        last = len(slices) - 1
        for k, (start, stop) in enumerate(slices):
            start += realign
            if k == last:
                if start < stop:  # text[start:stop] is not empty
                    out.append((start, stop))
                break
            next_start, next_stop = slices[k + 1]
            m = realignment.match(text[next_start:next_stop])
            if m:
                out.append((start, next_start + len(m.group(0).rstrip())))
                realign = m.end()
            else:
                realign = 0
                if start < stop:
                    out.append((start, stop))
        return out

    def text_contains_sentbreak(self, text: str) -> bool:
        """Whether a token of ``text`` other than the last ends a sentence (as NLTK decides)."""
        if "\n" in text:
            toks: list[str] = []
            for line in text.split("\n"):
                if line.strip():
                    toks.extend(self._words(line))
        else:
            toks = self._words(text) if text.strip() else []
        # NLTK's second pass changes a token's decision from the first pass of the token and
        # of the one after it; the last token's decision does not count
        following = self._first_pass(toks[0]) if toks else (False, False)
        for k in range(len(toks) - 1):
            sentbreak, abbr = following
            following = self._first_pass(toks[k + 1])
            tok = toks[k]
            if tok.endswith("."):
                sentbreak = self._second_pass(tok, abbr, sentbreak, toks[k + 1], following[0])
            if sentbreak:
                return True
        return False

    def _first_pass(self, tok: str) -> tuple[bool, bool]:
        """NLTK's type-based decision: ``(sentbreak, abbreviation or ellipsis)`` of ``tok``."""
        if tok in self._sent_end_chars:
            return True, False
        if tok.endswith(".."):
            return False, not tok.strip(".")  # an ellipsis (periods only) or nothing
        if tok.endswith("."):
            abbrevs = self._params.abbrev_types
            low = tok[:-1].lower()
            if low in abbrevs or low.split("-")[-1] in abbrevs:
                return False, True
            return True, False
        return False, False

    def _second_pass(
        self, tok: str, abbr: bool, sentbreak: bool, tok2: str, sentbreak2: bool
    ) -> bool:
        """``sentbreak`` of the period-final ``tok`` seeing the next token ``tok2``."""
        params = self._params
        typ = self._numeric("##number##", tok.lower())
        if len(typ) > 1 and typ[-1] == ".":
            typ = typ[:-1]
        typ2 = self._numeric("##number##", tok2.lower())
        next_typ = typ2[:-1] if sentbreak2 and len(typ2) > 1 and typ2[-1] == "." else typ2
        is_initial = self._initial(tok) is not None
        if (typ, next_typ) in params.collocations:
            return False
        if abbr and not is_initial:
            starter = self._ortho(tok2, next_typ)
            if starter is True:
                return True
            if tok2[0].isupper() and next_typ in params.sent_starters:
                return True
        if is_initial or typ == "##number##":
            starter = self._ortho(tok2, next_typ)
            if starter is False:
                return False
            if (
                starter == "unknown"
                and is_initial
                and tok2[0].isupper()
                and not (params.ortho_context.get(next_typ, 0) & _ORTHO_LC)
            ):
                return False
        return sentbreak

    def _ortho(self, tok: str, typ: str) -> bool | str:
        """NLTK's orthographic heuristic: does ``tok`` (of type ``typ``) start a sentence."""
        if tok in self.PUNCTUATION:
            return False
        context = self._params.ortho_context.get(typ, 0)
        if tok[0].isupper() and (context & _ORTHO_LC) and not (context & _ORTHO_MID_UC):
            return True
        if tok[0].islower() and ((context & _ORTHO_UC) or not (context & _ORTHO_BEG_LC)):
            return False
        return "unknown"


# --------------------------------------------------------------------------- parameters


def _read_list(name: str) -> list[str]:
    text = resources.files("biaskit.data.punkt").joinpath(name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def _shipped_lists() -> tuple[frozenset[str], frozenset[tuple[str, str]], frozenset[str]]:
    abbrevs = frozenset(_read_list("abbreviations.txt"))
    collocs = frozenset(tuple(line.split()[:2]) for line in _read_list("collocations.txt"))
    starters = frozenset(_read_list("sentence_starters.txt"))
    return abbrevs, collocs, starters  # type: ignore[return-value]


def default_punkt_parameters() -> PunktParameters:
    """A fresh copy of the Punkt parameters that ship with biaskit.

    Returns
    -------
    nltk.tokenize.punkt.PunktParameters

    Examples
    --------
    >>> "u.s" in default_punkt_parameters().abbrev_types
    True

    """
    abbrevs, collocs, starters = _shipped_lists()
    params = PunktParameters()
    params.abbrev_types = set(abbrevs)
    params.collocations = set(collocs)
    params.sent_starters = set(starters)
    return params


def train_punkt(
    texts: Iterable[str], *, base: PunktParameters | None = None, verbose: bool = False
) -> PunktParameters:
    """Learn Punkt parameters from a user's own corpus, merged with the shipped ones.

    Runs NLTK's unsupervised :class:`~nltk.tokenize.punkt.PunktTrainer` on ``texts`` and
    returns the union of what it learned and ``base`` (the shipped parameters by default):
    abbreviations, collocations and sentence starters are merged, orthographic context is
    OR-ed.

    Parameters
    ----------
    texts : iterable of str
        Raw documents from the user's corpus.
    base : PunktParameters, optional
        Parameters to merge into; defaults to :func:`default_punkt_parameters`.
    verbose : bool
        Passed to the trainer.

    Returns
    -------
    PunktParameters

    """
    trainer = PunktTrainer(lang_vars=_NewsLanguageVars())
    trainer.INCLUDE_ALL_COLLOCS = False
    n = 0
    for text in texts:
        if not isinstance(text, str):
            raise InputError(f"train_punkt: document {n} is {type(text).__name__}, not str")
        trainer.train(text, verbose=verbose, finalize=False)
        n += 1
    if n == 0:
        raise InputError("train_punkt: no documents given")
    trainer.finalize_training(verbose=verbose)
    learned = trainer.get_params()
    merged = base if base is not None else default_punkt_parameters()
    out = PunktParameters()
    out.abbrev_types = set(merged.abbrev_types) | set(learned.abbrev_types)
    out.collocations = set(merged.collocations) | set(learned.collocations)
    out.sent_starters = set(merged.sent_starters) | set(learned.sent_starters)
    for typ, flag in list(merged.ortho_context.items()) + list(learned.ortho_context.items()):
        out.add_ortho_context(typ, flag)
    logger.info(
        "trained Punkt on %d documents: +%d abbreviations, +%d collocations, +%d starters",
        n,
        len(out.abbrev_types) - len(merged.abbrev_types),
        len(out.collocations) - len(merged.collocations),
        len(out.sent_starters) - len(merged.sent_starters),
    )
    return out


def save_punkt(params: PunktParameters, path: str | Path) -> Path:
    """Write Punkt parameters to a JSON file that :func:`load_punkt` reads.

    Parameters
    ----------
    params : PunktParameters
    path : str or Path

    Returns
    -------
    Path

    """
    path = Path(path)
    data = {
        "format": _PARAMS_FORMAT,
        "abbrev_types": sorted(params.abbrev_types),
        "collocations": sorted([list(c) for c in params.collocations]),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": {k: v for k, v in sorted(params.ortho_context.items()) if v},
    }
    path.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_punkt(path: str | Path) -> PunktParameters:
    """Read Punkt parameters written by :func:`save_punkt` (or ``biaskit segment --train``).

    Raises
    ------
    InputError
        If the file is missing or not a biaskit Punkt parameter file.

    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("Punkt parameter file not found", path=str(path)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a Punkt parameter file ({exc})", path=str(path)) from exc
    if not isinstance(data, dict) or data.get("format") != _PARAMS_FORMAT:
        raise InputError(
            f"not a biaskit Punkt parameter file (expected format {_PARAMS_FORMAT!r}); "
            "create one with `biaskit segment --train CORPUS --out FILE`",
            path=str(path),
        )
    params = PunktParameters()
    params.abbrev_types = set(data.get("abbrev_types", []))
    params.collocations = {tuple(c) for c in data.get("collocations", [])}
    params.sent_starters = set(data.get("sent_starters", []))
    for typ, flag in data.get("ortho_context", {}).items():
        params.add_ortho_context(typ, int(flag))
    return params


# --------------------------------------------------------------------------- segmenter

# a run of line breaks with the horizontal space around them
_NEWLINES = re.compile(
    r"[ \t\f\v\xa0]*(?:\r\n|\r|\n)(?:[ \t\f\v\xa0]*(?:\r\n|\r|\n))*[ \t\f\v\xa0]*"
)
# the same runs found from their line breaks: a pattern that starts with optional spaces is
# tried at every space of the text
_LINE_BREAKS = re.compile(r"(?:\r\n|\r|\n)(?:[ \t\f\v\xa0]*(?:\r\n|\r|\n))*")
_HSPACE = " \t\f\v\xa0"
_HSPACE_RUN = re.compile(r"[ \t\f\v\xa0]*")


def _newline_runs(text: str) -> list[tuple[int, int]]:
    """Spans of the matches of ``_NEWLINES`` in ``text``."""
    runs = []
    for m in _LINE_BREAKS.finditer(text):
        start = m.start()
        while start > 0 and text[start - 1] in _HSPACE:
            start -= 1
        runs.append((start, _HSPACE_RUN.match(text, m.end()).end()))
    return runs


_FINAL_PUNCT = re.compile(r"[.!?…:;][\"'”’»)\]]*\s*$")
_QM_SPEAKER = re.compile(r"[?!][\"'”’»]+$")
_LIST_MARKER = re.compile(r"^(?:\(?\d{1,3}[.)]|[a-zA-Z][.)]|[ivxIVX]{1,4}[.)]|[-*•·▪–])$")
_LOWER_START = re.compile(r"^[a-z][a-z ,;']")
# “Did you vote for him?” Graham asked.  After a sentence that is wholly a quoted question or
# exclamation, a capitalised speaker (a name, a pronoun, "The senator from Ohio") and a speech
# verb as one of its first five words, with no punctuation but the periods of abbreviations
# between them, continue it ("Protesters shouted “Shame!” Police said …" stays two sentences:
# the quotation there is not the whole sentence).
_OPENS_QUOTE = re.compile(r"[\"'“‘«„]")
_NAMED_SPEAKER = re.compile(
    r"[A-ZÀ-ÖØ-Þ][\w.’'-]*(?:\s+[\w.’'-]+){0,3}?\s+(?:said|says|asked|asks|added|adds|wondered|"
    r"wonders|shouted|shouts|yelled|screamed|cried|exclaimed|wrote|writes|tweeted|posted|"
    r"replied|replies|responded|countered|continued|demanded|demands|insisted|quipped|joked|"
    r"told|tells|recalled|declared|remarked|noted|argued|warned|pleaded|snapped|retorted|"
    r"protested|mused|chanted|roared|thundered|bellowed|laughed|sighed|interjected|"
    r"interrupted|repeated|concluded|explained)\b"
)
_BYLINE = re.compile(r"^(?:By|BY)\s")
_LINE_END = re.compile(r"[ \t]*[\r\n]")


class NewsSegmenter:
    """Split news text into sentences with exact offsets.

    Parameters
    ----------
    punkt : PunktParameters or str or Path, optional
        Punkt parameters, or a file written by :func:`save_punkt`. Defaults to the
        parameters that ship with biaskit.

    Examples
    --------
    >>> seg = NewsSegmenter()
    >>> [s.text for s in seg.segment("Gen. Ortiz spoke at 5 p.m. The crowd left.")]
    ['Gen. Ortiz spoke at 5 p.m.', 'The crowd left.']

    """

    def __init__(self, punkt: PunktParameters | str | Path | None = None) -> None:
        self.punkt = punkt

    @property
    def tokenizer(self) -> PunktSentenceTokenizer:
        """The underlying NLTK tokenizer (built on first use)."""
        tok = self.__dict__.get("_tokenizer")
        if tok is None:
            params = self.punkt
            if params is None:
                params = default_punkt_parameters()
            elif isinstance(params, (str, Path)):
                params = load_punkt(params)
            try:
                tok = _NewsPunktTokenizer(params, _NewsLanguageVars())
            except AttributeError:  # pragma: no cover - NLTK moved an internal the fast path uses
                # NLTK's own decisions are the reference the fast path reproduces: same spans,
                # about 2x slower
                logger.warning("NLTK internals changed; using Punkt's own (slower) break test")
                tok = PunktSentenceTokenizer(params, lang_vars=_NewsLanguageVars())
            self.__dict__["_tokenizer"] = tok
        return tok

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """Sentence spans ``(start, end, paragraph)`` of ``text``."""
        if not isinstance(text, str):
            raise InputError(f"segment: expected str, got {type(text).__name__}")
        if not text or text.isspace():
            return []
        # line breaks that end a sentence; hard-wrapped lines continuing in lower case do not
        breaks: list[tuple[int, int]] = []
        for start, end in _newline_runs(text):
            nxt = text[end : end + 3]
            run = text[start:end]
            blank = run.count("\n") + run.count("\r") - run.count("\r\n") > 1
            if (
                not blank
                and _LOWER_START.match(nxt)
                and not _FINAL_PUNCT.search(text[max(0, start - 3) : start])
            ):
                continue
            breaks.append((start, end))
        break_starts = [b[0] for b in breaks]

        raw: list[tuple[int, int]] = []
        for s, e in self._punkt_spans(text):
            # cut Punkt's span at every sentence-ending line break inside it
            i = bisect.bisect_left(break_starts, s)
            while i < len(breaks) and breaks[i][0] < e:
                bs, be = breaks[i]
                if bs > s:
                    raw.append((s, bs))
                s = max(s, be)
                i += 1
            if s < e:
                raw.append((s, e))

        out: list[tuple[int, int, int]] = []
        for s, e in raw:
            # trim whitespace Punkt may leave at either end
            piece = text[s:e]
            stripped = piece.strip()
            if not stripped:
                continue
            if len(stripped) != len(piece):
                s += len(piece) - len(piece.lstrip())
                e = s + len(stripped)
            para = bisect.bisect_right(break_starts, s)
            if out:
                ps, pe, ppara = out[-1]
                if ppara == para:
                    prev = text[ps:pe]
                    # “Why now?” she asked.  /  1. First item
                    if (
                        (
                            _QM_SPEAKER.search(prev)
                            and (
                                _LOWER_START.match(text[s : s + 3])
                                or _OPENS_QUOTE.match(prev)
                                and _NAMED_SPEAKER.match(text, s, e)
                            )
                        )
                        or _LIST_MARKER.match(prev)
                        # “…!” ― Jane Doe: a signature after a quotation stays with it
                        or (prev[-1:] in '”"’»' and text[s] in "―—–")
                    ):
                        out[-1] = (ps, e, ppara)
                        continue
            out.append((s, e, para))
        return out

    def _punkt_spans(self, text: str) -> list[tuple[int, int]]:
        """Punkt's spans, run on pieces of at most ``CHUNK`` characters.

        NLTK guards its regexes with a time limit per call, which a 10 MB paragraph exceeds;
        pieces are cut at whitespace after a sentence-final mark (or any whitespace, as a last
        resort), so Punkt sees the same boundaries it would have found.
        """
        if len(text) <= CHUNK:
            return list(self.tokenizer.span_tokenize(text))
        out: list[tuple[int, int]] = []
        pos = 0
        while pos < len(text):
            end = min(pos + CHUNK, len(text))
            if end < len(text):
                window = text[pos + CHUNK // 2 : end]
                cut = max(
                    window.rfind(". "), window.rfind("? "), window.rfind("! "), window.rfind("\n")
                )
                if cut < 0:
                    cut = window.rfind(" ")
                if cut >= 0:
                    end = pos + CHUNK // 2 + cut + 1
            piece = [(pos + s, pos + e) for s, e in self.tokenizer.span_tokenize(text[pos:end])]
            # reliability fix (issue 10): test only the end of the previous span; searching the
            # whole span (a sentence rejoined over many pieces keeps growing) was quadratic:
            # 16 MB without a sentence end took 3.7 s, 32 MB 14.7 s
            tail = text[max(out[-1][0], out[-1][1] - 64) : out[-1][1]] if out else ""
            if out and piece and not _SENT_END.search(tail):
                # the cut fell inside a sentence (no sentence end before it): rejoin
                piece[0] = (out.pop()[0], piece[0][1])
            out.extend(piece)
            pos = end
        return out

    def segment(self, text: str) -> list[Sentence]:
        """Split ``text`` into :class:`Sentence` records.

        Parameters
        ----------
        text : str
            Article text (any Unicode; CRLF, NBSP and curly quotes are fine).

        Returns
        -------
        list of Sentence
            In order, non-overlapping, covering every non-whitespace character.

        """
        return list(map(Sentence._make, self._records(text)))

    def _records(self, text: str) -> list[tuple[int, int, str, int, bool, float]]:
        """The fields of :meth:`segment`'s sentences, as plain tuples."""
        spans = self.spans(text)
        quotes = quote_spans(text) if spans else []
        shares = shares_inside(quotes, [(s, e) for s, e, _ in spans])
        sentences = []
        in_head = True
        for (s, e, para), share in zip(spans, shares, strict=True):
            stext = text[s:e]
            is_headline = False
            if in_head:
                line_start = s == 0 or text[s - 1] in "\r\n"
                # the line ends at e: only spaces or tabs before a line break (or the end)
                line_end = e == len(text) or _LINE_END.match(text, e) is not None
                if (
                    line_start
                    and line_end
                    and not _FINAL_PUNCT.search(stext)
                    and not _BYLINE.match(stext)
                ):
                    is_headline = True
                elif not _BYLINE.match(stext):
                    in_head = False
            sentences.append((s, e, stext, para, is_headline, share))
        return sentences

    def segment_frame(self, docs: Any) -> pd.DataFrame:
        """Sentence table (``schema.SEGMENT_COLUMNS``) for one or many documents."""
        frame = _as_documents(docs)
        doc_ids: list[Any] = []
        outlets: list[Any] = []
        sent_ids: list[int] = []
        records: list[tuple[int, int, str, int, bool, float]] = []
        for doc_id, outlet, text in zip(
            frame["doc_id"], frame["outlet"], frame["text"], strict=True
        ):
            doc_records = self._records(text)
            n = len(doc_records)
            doc_ids += [doc_id] * n
            outlets += [outlet] * n
            sent_ids += range(n)
            records += doc_records
        if records:
            # built column by column (a dict per row cost more than the rest of this method)
            fields = map(list, zip(*records, strict=True))
            columns = dict(zip(Sentence._fields, fields, strict=True))
            columns.update(doc_id=doc_ids, outlet=outlets, sent_id=sent_ids)
            table = pd.DataFrame(columns, columns=list(SEGMENT_COLUMNS))
        else:
            table = pd.DataFrame([], columns=list(SEGMENT_COLUMNS))
        return table.astype(
            {
                "sent_id": "int64",
                "start": "int64",
                "end": "int64",
                "paragraph": "int64",
                "is_headline": "bool",
                "in_quote": "float64",
            }
        )


# a UTF-16 surrogate code point on its own (JSON ``"\ud83d"`` without its pair): not valid
# Unicode, so pandas' Arrow-backed strings and parquet (UTF-8) cannot hold it
_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(value: Any) -> Any:
    """Replace lone surrogates in a string by U+FFFD, one for one (offsets do not move)."""
    if isinstance(value, str) and _SURROGATE.search(value):
        return _SURROGATE.sub("\ufffd", value)
    return value


def _as_documents(docs: Any) -> pd.DataFrame:
    """Normalise str / list of str / list of dicts / DataFrame to doc_id, outlet, text."""
    # reliability fix (issue 10): a lone surrogate made pandas raise UnicodeEncodeError here;
    # it is replaced by U+FFFD (length-preserving, so every offset stays exact)
    if isinstance(docs, str):
        return pd.DataFrame({"doc_id": ["doc-0"], "outlet": [None], "text": [_valid_unicode(docs)]})
    if isinstance(docs, pd.DataFrame):
        if "text" not in docs.columns:
            raise InputError(
                "documents table has no 'text' column "
                f"(columns: {', '.join(map(str, docs.columns))})"
            )
        frame = docs.copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(_valid_unicode)
        if "doc_id" not in frame.columns:
            frame["doc_id"] = [f"doc-{i}" for i in range(len(frame))]
        if "outlet" not in frame.columns:
            frame["outlet"] = None
    elif isinstance(docs, Sequence):
        records = []
        for i, d in enumerate(docs):
            if isinstance(d, str):
                records.append({"doc_id": f"doc-{i}", "outlet": None, "text": _valid_unicode(d)})
            elif isinstance(d, dict) and "text" in d:
                rec = {"doc_id": d.get("doc_id", f"doc-{i}"), "outlet": d.get("outlet"), **d}
                records.append({k: _valid_unicode(v) for k, v in rec.items()})
            else:
                raise InputError(f"document {i}: expected str or dict with 'text'")
        frame = pd.DataFrame(records, columns=None)
        if frame.empty:
            frame = pd.DataFrame(columns=["doc_id", "outlet", "text"])
    else:
        raise InputError(f"expected str, list or DataFrame of documents, got {type(docs).__name__}")
    bad = [i for i, t in enumerate(frame["text"]) if not isinstance(t, str)]
    if bad:
        raise InputError(
            f"document row {bad[0]} (doc_id {frame['doc_id'].iloc[bad[0]]!r}): text is "
            f"{type(frame['text'].iloc[bad[0]]).__name__}, not str"
        )
    frame["doc_id"] = frame["doc_id"].astype(str)
    return frame


@lru_cache(maxsize=4)
def _default_segmenter(punkt: str | None) -> NewsSegmenter:
    return NewsSegmenter(punkt)


def segment(text: str, *, punkt: str | Path | None = None) -> list[Sentence]:
    """Split news text into sentences with exact character offsets.

    Parameters
    ----------
    text : str
        The article text.
    punkt : str or Path, optional
        A Punkt parameter file from ``biaskit segment --train``; the shipped parameters by
        default.

    Returns
    -------
    list of Sentence

    Examples
    --------
    >>> t = "“The plan failed. We will try again,” she said."
    >>> [s.text for s in segment(t)]
    ['“The plan failed.', 'We will try again,” she said.']

    """
    return _default_segmenter(str(punkt) if punkt else None).segment(text)


def segment_frame(docs: Any, *, punkt: str | Path | None = None) -> pd.DataFrame:
    """Sentence table of DESIGN.md for a text, a list of texts/dicts, or a documents table.

    Parameters
    ----------
    docs : str, list of str, list of dict, or pandas.DataFrame
        Documents; a DataFrame needs a ``text`` column and may have ``doc_id`` and ``outlet``.
    punkt : str or Path, optional
        A Punkt parameter file; the shipped parameters by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``schema.SEGMENT_COLUMNS``: doc_id, outlet, sent_id, start, end, text,
        paragraph, is_headline, in_quote.

    """
    return _default_segmenter(str(punkt) if punkt else None).segment_frame(docs)


class _CallableModule(types.ModuleType):
    """Lets ``biaskit.segment(text)`` work while ``biaskit.segment`` is this module."""

    def __call__(self, text: str, **kwargs: Any) -> list[Sentence]:
        return segment(text, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
