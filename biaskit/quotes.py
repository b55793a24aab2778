"""Find quotations in text: pair opening and closing marks by type, tolerate odd counts.

Quotation state matters twice: the segmenter keeps ``.”`` together, and framing inside a
quotation belongs to the quoted source, not the writer. Marks handled: “ ” (curly double),
‘ ’ (curly single, told apart from apostrophes), " and ' (straight, paired by position),
« » and ‹ › (guillemets), „ “ (German-style low-high). Unbalanced marks never raise: an
unclosed quotation runs to the end of its paragraph (the usual news convention for quotes
that continue into the next paragraph reopen with a new mark) and a stray closing mark is
ignored, with a debug log.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

logger = logging.getLogger(__name__)

# opening mark -> closing marks it accepts
_PAIRS: dict[str, str] = {
    "“": "”",
    "„": "“”",
    "«": "»",
    "‹": "›",
    "‘": "’",
    '"': '"',
    "»": "«",  # reversed guillemets (Danish/German style)
}
_ANY_MARK = re.compile("[\"“”„«»‹›‘’']")
#: the texts whose quotations :func:`quote_spans` remembers (inside :func:`remembered`), with
#: their quotations once found; a context variable, so each thread (and each asyncio task)
#: sees only its own block
_REMEMBERED: ContextVar[dict[str, list[tuple[int, int]] | None] | None] = ContextVar(
    "biaskit_quotes_remembered", default=None
)
_PARA_BREAK = re.compile(r"\n[ \t]*\n")


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def _classify(text: str, i: int) -> str:
    """Return 'open', 'close', 'both' or 'none' for the mark at text[i]."""
    ch = text[i]
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if ch in "“„«‹":
        # “ is also a closing mark after „; decided by the pairing step
        return "both" if ch == "“" else "open"
    if ch in "”›":
        return "close"
    if ch == "»":
        return "close"
    if ch in "’'":
        if _is_word(prev) and _is_word(nxt):
            return "none"  # apostrophe inside a word: don't, Qur'an
        if ch == "’" and prev in "sS" and not _is_word(nxt):
            return "close_or_apostrophe"  # terrorists’ — decided by pairing
        if not _is_word(prev) and _is_word(nxt) or (prev.isspace() and not nxt.isspace()):
            return "open" if ch == "'" else "open_curly_apos"
        return "close"
    if ch == "‘":
        return "open"
    if ch == '"':
        if prev.isspace() or prev in "([{—–-/" or i == 0:
            return "open"
        if nxt.isspace() or nxt in ".,;:!?)]}—–-" or i + 1 == len(text):
            return "close"
        return "both"
    return "none"


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of quotations, marks included, outermost only.

    Parameters
    ----------
    text : str
        Any text; never raises on unbalanced marks.

    Returns
    -------
    list of (int, int)
        Sorted, non-overlapping spans. An unclosed quotation ends at the end of its
        paragraph.

    Examples
    --------
    >>> t = '“The plan failed,” she said.'
    >>> [t[s:e] for s, e in quote_spans(t)]
    ['“The plan failed,”']
    >>> quote_spans("It's the group's plan")
    []

    """
    memo = _REMEMBERED.get()
    if memo is None or text not in memo:
        return _quote_spans(text)
    spans = memo[text]
    if spans is None:
        spans = memo[text] = _quote_spans(text)
    return list(spans)  # a copy: callers may change their list


@contextmanager
def remembered(texts: Iterable[str]) -> Iterator[None]:
    """Within the block, :func:`quote_spans` finds the quotations of each of ``texts`` once.

    The segmenter, the attribution rules and :func:`biaskit.analysis.analyze` each ask for the
    quotations of the same documents; other texts are not remembered.

    Parameters
    ----------
    texts : iterable of str
        The texts to remember (documents).

    Examples
    --------
    >>> with remembered(["“Yes,” he said."]):
    ...     quote_spans("“Yes,” he said.")
    [(0, 6)]

    """
    outer = _REMEMBERED.get()
    token = _REMEMBERED.set(
        dict.fromkeys(texts) if outer is None else {**dict.fromkeys(texts), **outer}
    )
    try:
        yield
    finally:
        _REMEMBERED.reset(token)


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """:func:`quote_spans` without the texts remembered."""
    spans: list[tuple[int, int]] = []
    para_ends = [m.start() for m in _PARA_BREAK.finditer(text)] + [len(text)]
    stack: list[tuple[str, int]] = []

    def para_end(pos: int) -> int:
        return para_ends[bisect.bisect_right(para_ends, pos)] if pos < len(text) else len(text)

    def close_unclosed(upto_para_of: int | None) -> None:
        # quotations still open when their paragraph ends run to its end
        while stack:
            mark, start = stack[0]
            end = para_end(start)
            if upto_para_of is not None and end > upto_para_of:
                return
            logger.debug("unclosed quotation %r at %d closed at paragraph end", mark, start)
            stack.clear()
            spans.append((start, end))

    for m in _ANY_MARK.finditer(text):
        i = m.start()
        close_unclosed(i)
        ch = text[i]
        kind = _classify(text, i)
        if kind == "none":
            continue
        top = stack[-1][0] if stack else None
        closes_top = top is not None and ch in _PAIRS.get(top, "") or (top == "'" and ch == "'")
        if kind in ("close", "close_or_apostrophe", "both") and closes_top:
            mark, start = stack.pop()
            if not stack:
                spans.append((start, i + 1))
            continue
        if kind in ("open", "both", "open_curly_apos"):
            if ch in "’":
                continue  # a leading apostrophe ('90s) rather than a quote
            stack.append((ch, i))
            continue
        logger.debug("stray closing quotation mark %r at %d ignored", ch, i)
    close_unclosed(None)
    spans.sort()
    return spans


def share_inside(spans: Sequence[tuple[int, int]], start: int, end: int) -> float:
    """Share of the characters in ``[start, end)`` that lie inside any of ``spans``."""
    return shares_inside(spans, [(start, end)])[0]


def shares_inside(
    spans: Sequence[tuple[int, int]], ranges: Iterable[tuple[int, int]]
) -> list[float]:
    """Share of the characters of each ``(start, end)`` of ``ranges`` inside any of ``spans``.

    ``spans`` are sorted and do not overlap, so their ends are sorted too: each range starts
    at the first span ending after its start (reliability fix, issue 10: skipping the earlier
    spans one by one made segmenting a document quadratic in its number of quotations). The
    ends are listed once for all the ranges; texts without quotations skip the search.
    """
    if not spans:
        return [0.0 for _ in ranges]
    ends = [e for _, e in spans]
    n_spans = len(spans)
    out = []
    for start, end in ranges:
        if end <= start:
            out.append(0.0)
            continue
        covered = 0
        i = bisect.bisect_right(ends, start)
        while i < n_spans and spans[i][0] < end:
            s, e = spans[i]
            covered += min(e, end) - max(s, start)
            i += 1
        out.append(round(covered / (end - start), 4))
    return out


def quote_share(text: str) -> float:
    """Share of characters of a standalone ``text`` inside quotation marks.

    A sentence cut from a multi-sentence quotation may hold only the opening or only the
    closing mark: an unclosed opening runs to the end, a lone closing mark (with no opening
    before it) is taken to close a quotation that began before the sentence.

    Examples
    --------
    >>> quote_share('“We won,” she said.')
    0.4737

    """
    spans = quote_spans(text)
    first_open = min((s for s, _ in spans), default=len(text))
    head = text[:first_open]
    lone_close = max(head.rfind("”"), head.rfind("»") if "«" not in head else -1)
    if lone_close >= 0:
        spans = [(0, lone_close + 1), *spans]
    return share_inside(spans, 0, len(text))
