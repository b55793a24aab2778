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

import numpy as np
import scipy.sparse as sp

from biaskit.lexicons import default_matcher

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
#: framing kinds whose lexicon hits count as evaluative words (promo is boilerplate, not view)
_EVALUATIVE_LEXICONS = ("loaded_terms", "opinion_terms", "speculation_cues")


def _first_person(text: str) -> float:
    # "US" (the country) is not the pronoun; the regex is case-insensitive, so mask it first
    # (a text without "US" has nothing to mask: skip building the masked copy)
    return float(bool(_FIRST_PERSON.search(_US_CAPS.sub("", text) if "US" in text else text)))


def _name_share(text: str) -> float:
    """Share of words after the first that start with a capital (names, titles, places)."""
    words = _WORD.findall(text)[1:]
    if not words:
        return 0.0
    # a capital A-Z first (ASCII only, as the former ``[A-Z]`` match), compared directly
    return sum(1 for w in words if "A" <= w[0] <= "Z") / len(words)


def _evaluative_density(
    writer: Sequence[str], kind_counts: sp.csr_matrix | None = None
) -> np.ndarray:
    """Weighted framing-lexicon hits per word, capped at 1 (0.25 ≈ one strong cue in 4 words).

    ``kind_counts`` is the default matcher's ``kind_counts(writer)`` when the caller has it.
    """
    matcher = default_matcher()
    cols = [j for j, k in enumerate(matcher.kind_names) if k.split(":")[0] in _EVALUATIVE_LEXICONS]
    if kind_counts is None:
        kind_counts = matcher.kind_counts(list(writer))
    weighted = np.asarray(kind_counts[:, cols].sum(axis=1)).ravel()
    n_words = np.array([len(_WORD.findall(t)) for t in writer], dtype=float)
    return np.minimum(np.divide(weighted, np.maximum(n_words, 1.0)) * 4, 1.0)


def subjectivity_columns(
    writer: Sequence[str], *, kind_counts: sp.csr_matrix | None = None
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
    cols = {
        "wv_first_person": np.array([_first_person(t) for t in writer], dtype=float),
        "wv_second_person": np.array(
            [float(bool(_SECOND_PERSON.search(t))) for t in writer], dtype=float
        ),
        "wv_deontic_modal": np.array(
            [float(bool(_DEONTIC.search(t))) for t in writer], dtype=float
        ),
        "wv_question": np.array([float("?" in t) for t in writer], dtype=float),
        "wv_exclamation": np.array([float("!" in t) for t in writer], dtype=float),
        "wv_evaluative_density": _evaluative_density(writer, kind_counts)
        if writer
        else np.zeros(0, dtype=float),
        "wv_name_share": np.array([_name_share(t) for t in writer], dtype=float),
    }
    return {name: cols[name] for name in SUBJECTIVITY_FEATURES}
