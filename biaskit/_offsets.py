"""The text the tagger works on (Unicode NFC, no leading BOM) and its offsets in the user's text.

Lexicons, features and rules expect NFC text without a byte order mark, but every offset
:func:`biaskit.analyze` returns must index the text the user passed (DESIGN.md: ``text[start:end]``
is the sentence). :func:`normalise` gives the text to work on and, only where it differs from the
user's text, an :class:`OffsetMap` from its offsets back to the user's.

NFC works on chunks: a chunk starts at a character that can neither reorder with nor compose
with anything before it, and a chunk normalises on its own (the text's NFC is the concatenation
of its chunks' NFC). Chunks whose NFC differs from them are recorded with their offsets on both
sides; outside them the two texts are the same characters, shifted. An offset inside a changed
chunk's normalised form (``e`` + U+0301 → ``é`` is one character, but NFC can also leave
several, or expand one into several) has no exact image: it maps to the chunk's start where it
starts a span and to the chunk's end where it ends one, so that a span always covers at least
the raw characters of what it covered.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from functools import cache

logger = logging.getLogger(__name__)

__all__ = ["BOM", "OffsetMap", "normalise"]

#: the byte order mark a text may begin with (dropped before tagging)
BOM = "\ufeff"

# every character below U+0300 is a starter (canonical combining class 0), unchanged by NFC
# and the second character of no canonical composition: only the others need a look
_UNSURE = re.compile("[^\x00-\u02ff]")


class OffsetMap:
    r"""Offsets of a normalised text (see :func:`normalise`) mapped onto its raw text.

    Parameters
    ----------
    bom : int
        1 when the raw text starts with a byte order mark (dropped from the normalised text),
        else 0.
    chunks : list of tuple of int
        The chunks NFC changed, in order: ``(norm_start, norm_end, raw_start, raw_end)``, raw
        offsets counting the BOM.

    Examples
    --------
    >>> text, offsets = normalise("\ufeffCafe\u0301 owners")
    >>> text
    'Café owners'
    >>> offsets.start(5), offsets.end(4), offsets.end(3)
    (7, 6, 4)
    """

    __slots__ = ("_norm_ends", "_norm_starts", "_raw_ends", "_raw_starts", "bom")

    def __init__(self, bom: int, chunks: list[tuple[int, int, int, int]]) -> None:
        self.bom = bom
        self._norm_starts = [c[0] for c in chunks]
        self._norm_ends = [c[1] for c in chunks]
        self._raw_starts = [c[2] for c in chunks]
        self._raw_ends = [c[3] for c in chunks]

    def _map(self, offset: int, *, end: bool) -> int:
        # the first changed chunk that ends after the offset
        i = bisect.bisect_right(self._norm_ends, offset)
        if i < len(self._norm_ends) and self._norm_starts[i] < offset:
            # inside a changed chunk's normalised form: no exact image
            return self._raw_ends[i] if end else self._raw_starts[i]
        # between changed chunks the texts agree, shifted as after the previous chunk
        shift = self._raw_ends[i - 1] - self._norm_ends[i - 1] if i else self.bom
        return offset + shift

    def start(self, offset: int) -> int:
        """The raw offset of a span starting at the normalised ``offset``.

        Parameters
        ----------
        offset : int
            An offset into the normalised text, ``0 <= offset <= len(text)``.

        Returns
        -------
        int
            The raw offset; inside a changed chunk, the chunk's raw start.
        """
        return self._map(offset, end=False)

    def end(self, offset: int) -> int:
        """The raw offset of a span ending at the normalised ``offset``.

        Parameters
        ----------
        offset : int
            An offset into the normalised text, ``0 <= offset <= len(text)``.

        Returns
        -------
        int
            The raw offset; inside a changed chunk, the chunk's raw end.
        """
        return self._map(offset, end=True)


def normalise(raw: str) -> tuple[str, OffsetMap | None]:
    r"""The text to tag: ``raw`` in NFC without a leading BOM, and its offset map.

    Parameters
    ----------
    raw : str
        The text as the user gave it.

    Returns
    -------
    text : str
        ``unicodedata.normalize("NFC", raw).removeprefix(BOM)``.
    offsets : OffsetMap or None
        None when ``text`` is ``raw`` (nearly every text: checked without building anything),
        else the map from offsets into ``text`` to offsets into ``raw``.

    Examples
    --------
    >>> normalise("plain")
    ('plain', None)
    >>> text, offsets = normalise("Jose\u0301 said")
    >>> text, offsets.start(5), offsets.end(4)
    ('José said', 6, 5)
    """
    bom = 1 if raw.startswith(BOM) else 0
    # the BOM is a starter that composes with nothing: NFC of the rest is NFC without it
    body = raw[bom:] if bom else raw
    # ``normalize`` returns its argument itself when its quick check passes: on NFC text it
    # costs a third of ``unicodedata.is_normalized`` (measured on the corpus, CPython 3.11)
    text = unicodedata.normalize("NFC", body)
    if text is body or text == body:
        return (body, OffsetMap(bom, [])) if bom else (raw, None)
    return text, OffsetMap(bom, _changed_chunks(body, text, bom))


def _changed_chunks(body: str, text: str, bom: int) -> list[tuple[int, int, int, int]]:
    """``(norm_start, norm_end, raw_start, raw_end)`` of the chunks of ``body`` NFC changes.

    ``text`` is NFC of ``body``; raw offsets are shifted by ``bom``.
    """
    chunks: list[tuple[int, int, int, int]] = []
    pieces: list[str] = []  # the normalised text rebuilt from the chunks, to check them
    n = len(body)
    delta = 0  # normalised offset minus body offset, after the chunks so far
    done = 0  # body offset up to which chunks are settled (always a chunk start or n)
    i = _next_unsure(body, 0)
    while i < n:
        c = body[i]
        if _starts_chunk(c) and _stable(c):
            i = _next_unsure(body, i + 1)
            continue
        # the chunk holding i: back to its start, on to the next chunk's start
        j = i
        while j > done and not _starts_chunk(body[j]):
            j -= 1
        k = i + 1
        while k < n and not _starts_chunk(body[k]):
            k += 1
        piece = body[j:k]
        norm = unicodedata.normalize("NFC", piece)
        if norm != piece:
            pieces += [body[done:j], norm]
            chunks.append((j + delta, j + delta + len(norm), j + bom, k + bom))
            delta += len(norm) - len(piece)
            done = k
        i = _next_unsure(body, k)
    pieces.append(body[done:])
    if "".join(pieces) != text:
        # cannot happen if the chunk starts are right (UAX #15); the whole text as one chunk
        # is still exact, only coarse
        logger.warning("NFC offsets: chunking did not reproduce the normalised text")
        return [(0, len(text), bom, n + bom)]
    return chunks


def _next_unsure(body: str, i: int) -> int:
    """The first position at or after ``i`` of a character from U+0300 on (or ``len(body)``)."""
    m = _UNSURE.search(body, i)
    return m.start() if m else len(body)


@cache
def _stable(c: str) -> bool:
    """NFC leaves the character ``c`` as it is."""
    return unicodedata.is_normalized("NFC", c)


@cache
def _starts_chunk(c: str) -> bool:
    """Nothing before ``c`` can reorder or compose with it or with what follows it.

    True when the first character of ``c``'s canonical decomposition is a starter (canonical
    combining class 0) that is the second character of no canonical composition.
    """
    first = unicodedata.normalize("NFD", c)[0]
    return unicodedata.combining(first) == 0 and first not in _seconds()


@cache
def _seconds() -> frozenset[str]:
    """Characters that compose with a character before them (NFC_Quick_Check Maybe and more).

    The second characters of every two-character canonical decomposition (composition
    exclusions included: a superset is only coarser, never wrong), and the Hangul vowel and
    final consonant jamo (Hangul syllables compose algorithmically). Built on first use (a
    few tens of milliseconds), only for a text that needs the map.
    """
    out = {chr(cp) for cp in range(0x1161, 0x1176)} | {chr(cp) for cp in range(0x11A8, 0x11C3)}
    # canonical decompositions stop at plane 2 (CJK compatibility ideographs supplement)
    for cp in range(0x30000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                out.add(chr(int(parts[1], 16)))
    return frozenset(out)
