"""Structural cues of subjectivity in the writer's voice, for the featurizer's ``struct`` block.

Writer-voice framing (opinion, evaluation, exhortation, rhetoric) has a few surface signs that
carry across house styles better than n-grams do: the writer speaks in the first person or
addresses the reader, prescribes with a deontic modal, asks or exclaims, and packs evaluative
words into a sentence that names few people, places or numbers. Each cue is measured on the
**writer-voice text only** (the sentence with its quotations removed), so a quoted "we must act!"
is the source's voice and does not count.

:func:`subjectivity_columns` returns the cues as named columns;
:meth:`biaskit.features.SentenceFeaturizer._structure` adds them to its ``struct`` block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter

import numpy as np
import scipy.sparse as sp

from biaskit.lexicons import (
    _preprocess,
    case_special,
    default_matcher,
    gate_table,
    gated,
    run_flags,
    tokenize,
    word_runs,
)

#: Names of the columns of :func:`subjectivity_columns`, in order.
SUBJECTIVITY_FEATURES: tuple[str, ...] = (
    "wv_first_person",
    "wv_second_person",
    "wv_deontic_modal",
    "wv_question",
    "wv_exclamation",
    "wv_evaluative_density",
    "wv_name_share",
)

# "I" only as a capital (not "i.e." or "(i)" in lists), "us" not as "US" (masked below)
_FIRST_PERSON = re.compile(
    r"(?-i:\bI\b|\bI['’](?:m|ve|d|ll)\b)|\b(?:me|my|mine|myself|we|we['’](?:re|ve|d|ll)|our|"
    r"ours|ourselves|us)\b",
    re.IGNORECASE,
)
_US_CAPS = re.compile(r"\bUS\b")
_SECOND_PERSON = re.compile(
    r"\b(?:you|your|yours|yourself|yourselves|you['’](?:re|ve|d|ll))\b", re.IGNORECASE
)
# prescriptive modals; "has to"/"have to" are left out (schedules, "has to do with")
# should, shouldn't, must, mustn't, ought, need(s) to, had better
_DEONTIC = re.compile(
    r"\b(?:should(?:n['’]t)?|must(?:n['’]t)?|ought|needs? to|had better)\b", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# the same words in ASCII text, where ``[^\W\d_]`` is ``[A-Za-z]`` (a fixed set is faster)
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")
#: framing kinds whose lexicon hits count as evaluative words (promo is boilerplate, not view)
_EVALUATIVE_LEXICONS = ("loaded_terms", "opinion_terms", "speculation_cues")

# Every match of the three word patterns above contains a whole run of word characters, and
# (outside rows with :data:`CASE_SPECIAL_CHARS`) that run lowercased is one of these words: a
# sentence without one cannot match, so the regex runs only on the few that have one
_FIRST, _SECOND, _DEONTIC_BIT = 1, 2, 4
_GATE_WORDS = gate_table(
    {
        _FIRST: "i me my mine myself we our ours ourselves us",
        _SECOND: "you your yours yourself yourselves",
        _DEONTIC_BIT: "should shouldn must mustn ought need needs had",
    }
)


def _first_person(text: str) -> float:
    # "US" (the country) is not the pronoun; the regex is case-insensitive, so mask it first
    # (a text without "US" has nothing to mask: skip building the masked copy)
    return float(bool(_FIRST_PERSON.search(_US_CAPS.sub("", text) if "US" in text else text)))


def _shares_capitalised(words: list[list[str]], lengths: np.ndarray) -> np.ndarray:
    """Per text, the share of its words after the first that start with a capital A-Z.

    Names, titles, places. ``words`` are the ``_WORD`` words of each text and ``lengths``
    their numbers; the first letters of all words are compared at once (ASCII capitals only,
    as the former ``[A-Z]`` match).
    """
    firsts = "".join(map(itemgetter(0), chain.from_iterable(words)))
    code = np.frombuffer(firsts.encode("utf-32-le"), dtype=np.uint32)
    seen = np.zeros(len(code) + 1, dtype=np.int64)
    np.cumsum((code >= ord("A")) & (code <= ord("Z")), out=seen[1:])
    ends = np.cumsum(lengths)
    after_first = np.minimum(ends - lengths + 1, ends)
    return _share_after_first(seen[ends] - seen[after_first], lengths)


def _share_after_first(capital: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``capital / (lengths - 1)`` where a text has two words or more, 0.0 elsewhere."""
    rest = np.asarray(lengths, dtype=np.int64) - 1
    out = np.zeros(len(rest), dtype=float)
    many = rest > 0
    # int / int as float64, the division the per-text version does
    out[many] = np.asarray(capital, dtype=np.int64)[many] / rest[many]
    return out


def _evaluative_density(
    writer: Sequence[str],
    kind_counts: sp.csr_matrix | None = None,
    n_words: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted framing-lexicon hits per word, capped at 1 (0.25 ≈ one strong cue in 4 words).

    ``kind_counts`` is the default matcher's ``kind_counts(writer)`` and ``n_words`` the
    number of ``_WORD`` words of each text, when the caller has them.
    """
    matcher = default_matcher()
    cols = [j for j, k in enumerate(matcher.kind_names) if k.split(":")[0] in _EVALUATIVE_LEXICONS]
    if kind_counts is None:
        kind_counts = matcher.kind_counts(list(writer))
    weighted = np.asarray(kind_counts[:, cols].sum(axis=1)).ravel()
    if n_words is None:
        n_words = np.array([len(_WORD.findall(t)) for t in writer], dtype=float)
    return np.minimum(np.divide(weighted, np.maximum(n_words, 1.0)) * 4, 1.0)


def subjectivity_columns(
    writer: Sequence[str],
    *,
    kind_counts: sp.csr_matrix | None = None,
    tokens: Sequence[list[str]] | None = None,
    gate_flags: np.ndarray | None = None,
    word_counts: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Subjectivity cues of each sentence's writer-voice text.

    Parameters
    ----------
    writer : sequence of str
        Writer-voice text of each sentence: the sentence with quotations removed (empty for a
        fully quoted sentence), as :meth:`SentenceFeaturizer._voices` returns it.
    kind_counts : scipy.sparse.csr_matrix, optional
        ``default_matcher().kind_counts(writer)`` (raw, not log-scaled) when the caller has
        already computed it (the featurizer does, for its ``lex`` block); computed otherwise.
    tokens : sequence of list of str, optional
        The lexicon tokens of each text (:func:`biaskit.lexicons.tokenize` of
        ``text.lower().replace("’", "'")``) when the caller has them; found otherwise.
    gate_flags : numpy.ndarray, optional
        Per text, :func:`biaskit.lexicons.run_flags` of its word runs with ``_GATE_WORDS``
        when the caller has them (``tokens`` is then not needed); found otherwise.
    word_counts : tuple of numpy.ndarray, optional
        Per text, the number of its ``_WORD`` words and the number of those after the first
        that start with a capital A-Z, when the caller has counted them (the featurizer
        does, once per distinct token of a batch); found otherwise.

    Returns
    -------
    dict of str to numpy.ndarray
        One float column per name in :data:`SUBJECTIVITY_FEATURES`, each in [0, 1]:
        first-person and second-person pronoun, deontic modal (should, must, ought, need to),
        question mark and exclamation mark (binary); evaluative-lexicon density; share of
        capitalised words (names) among the words after the first.

    Examples
    --------
    >>> cols = subjectivity_columns(["We should be ashamed of this!", "The US port reopened."])
    >>> [float(cols["wv_first_person"][i]) for i in range(2)]
    [1.0, 0.0]
    >>> float(cols["wv_deontic_modal"][0]), float(cols["wv_exclamation"][1])
    (1.0, 0.0)
    """
    writer = [str(t) for t in writer]
    if gate_flags is None:
        if tokens is None:
            tokens = tokenize([_preprocess(t) for t in writer])
        gate_flags = run_flags(word_runs(tokens), _GATE_WORDS)
    flags = gate_flags
    special = case_special(writer)
    if word_counts is None:
        words = [_ASCII_WORD.findall(t) if t.isascii() else _WORD.findall(t) for t in writer]
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        name_share = _shares_capitalised(words, lengths)
    else:
        lengths, capital = word_counts
        name_share = _share_after_first(capital, lengths)
    n_words = lengths.astype(float)
    cols = {
        "wv_first_person": gated(writer, special | (flags & _FIRST > 0), _first_person),
        "wv_second_person": gated(writer, special | (flags & _SECOND > 0), _SECOND_PERSON.search),
        "wv_deontic_modal": gated(writer, special | (flags & _DEONTIC_BIT > 0), _DEONTIC.search),
        "wv_question": np.array([float("?" in t) for t in writer], dtype=float),
        "wv_exclamation": np.array([float("!" in t) for t in writer], dtype=float),
        "wv_evaluative_density": _evaluative_density(writer, kind_counts, n_words)
        if writer
        else np.zeros(0, dtype=float),
        "wv_name_share": name_share,
    }
    return {name: cols[name] for name in SUBJECTIVITY_FEATURES}
