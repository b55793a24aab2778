"""Load the cue lexicons in ``biaskit/data/lexicons/*.tsv`` and match them in text.

Each lexicon is a reviewable TSV (term, kind, weight, note) written by the team; see
``biaskit/data/lexicons/SOURCES.md``. Matching is a literal, case-insensitive phrase match
on word tokens (the tokeniser of :data:`TOKEN_PATTERN`), done for a whole batch of sentences
at once with a fixed-vocabulary ``CountVectorizer`` and a sparse term→kind weight matrix, so
there is no per-sentence Python loop over the lexicons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from biaskit.errors import InputError

#: Word tokens: letters/digits with inner apostrophes or hyphens ("won't", "so-called").
TOKEN_PATTERN = r"(?u)\b\w+(?:['’\-]\w+)*\b"
_TOKEN_RE = re.compile(TOKEN_PATTERN)

#: The lexicon files and, for each, the biaskit family its kinds feed.
LEXICON_FILES: dict[str, str] = {
    "reporting_verbs": "attribution",
    "attribution_phrases": "attribution",
    "hedges": "attribution",
    "loaded_terms": "framing",
    "opinion_terms": "framing",
    "speculation_cues": "framing",
    "promo_phrases": "framing",
}


def normalise_term(term: str) -> str:
    """Lowercase, straight apostrophes, tokens joined by one space (the matching key).

    Examples
    --------
    >>> normalise_term("Told  Reporters")
    'told reporters'
    >>> normalise_term("READ MORE:")
    'read more'
    """
    return " ".join(_TOKEN_RE.findall(term.lower().replace("’", "'")))


@cache
def load_lexicon(name: str) -> pd.DataFrame:
    """One lexicon as a table with columns term, kind, weight, note, key.

    Parameters
    ----------
    name : str
        File stem in ``biaskit/data/lexicons`` (see :data:`LEXICON_FILES`).

    Returns
    -------
    pandas.DataFrame
        ``key`` is :func:`normalise_term` of ``term``; rows whose key is empty are dropped.
    """
    if name not in LEXICON_FILES:
        raise InputError(f"unknown lexicon {name!r}; expected one of {', '.join(LEXICON_FILES)}")
    path = resources.files("biaskit.data.lexicons").joinpath(f"{name}.tsv")
    rows = []
    header_seen = False
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if not header_seen:
            header_seen = True
            if parts[:4] == ["term", "kind", "weight", "note"]:
                continue
        if len(parts) < 3:
            raise InputError("expected term<TAB>kind<TAB>weight", path=f"{name}.tsv", line=lineno)
        try:
            weight = float(parts[2])
        except ValueError as exc:
            raise InputError(
                f"weight {parts[2]!r} is not a number", path=f"{name}.tsv", line=lineno
            ) from exc
        rows.append((parts[0], parts[1], weight, parts[3] if len(parts) > 3 else ""))
    frame = pd.DataFrame(rows, columns=["term", "kind", "weight", "note"])
    frame["key"] = frame["term"].map(normalise_term)
    frame = frame[frame["key"] != ""].drop_duplicates("key", keep="first")
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class LexiconEntry:
    """What a matched key means: its lexicon, kind, weight and the original term."""

    lexicon: str
    kind: str
    weight: float
    term: str


class LexiconMatcher:
    """Batch matcher of all lexicons: sentences → weighted counts per (lexicon, kind).

    Parameters
    ----------
    names : tuple of str, optional
        Lexicons to use; all of :data:`LEXICON_FILES` by default.

    Examples
    --------
    >>> m = LexiconMatcher()
    >>> X = m.kind_counts(["He reportedly fled.", "Share this story!"])
    >>> float(X[0, m.kind_names.index("hedges:distancing")]) > 0
    True
    """

    def __init__(self, names: tuple[str, ...] | None = None) -> None:
        self.names = tuple(names or LEXICON_FILES)
        entries: dict[str, list[LexiconEntry]] = {}
        for name in self.names:
            for row in load_lexicon(name).itertuples(index=False):
                # a key listed in several lexicons ("slammed": loaded speech verb and loaded
                # term) feeds every kind it belongs to
                entries.setdefault(row.key, []).append(
                    LexiconEntry(name, row.kind, row.weight, row.term)
                )
        self.entries = entries
        self.vocabulary = {k: i for i, k in enumerate(sorted(entries))}
        kinds = sorted({f"{e.lexicon}:{e.kind}" for es in entries.values() for e in es})
        self.kind_names = kinds
        kind_index = {k: i for i, k in enumerate(kinds)}
        rows, cols, vals = [], [], []
        for key, i in self.vocabulary.items():
            for e in entries[key]:
                rows.append(i)
                cols.append(kind_index[f"{e.lexicon}:{e.kind}"])
                vals.append(e.weight)
        self.term_kind = sp.csr_matrix(
            (vals, (rows, cols)), shape=(len(self.vocabulary), len(kinds)), dtype=np.float64
        )
        max_n = max(len(k.split()) for k in self.vocabulary)
        # for each first word of an entry, the longest entry it starts: the analyzer builds
        # only n-grams that can be in the vocabulary instead of every 1..max_n-gram
        starts: dict[str, int] = {}
        # every multi-word prefix of an entry ("according", "according to" of "according to
        # sources"): a candidate n-gram is extended only while it is still such a prefix
        prefixes: set[str] = set()
        for key in self.vocabulary:
            toks = key.split(" ")
            starts[toks[0]] = max(starts.get(toks[0], 1), len(toks))
            for k in range(2, len(toks) + 1):
                prefixes.add(" ".join(toks[:k]))
        self._starts = starts
        self._prefixes = frozenset(prefixes)
        self.max_n = max_n
        self.vectorizer = CountVectorizer(
            vocabulary=self.vocabulary,
            analyzer=self._candidate_ngrams,
            dtype=np.float64,
        )
        self._keys = np.array(sorted(self.vocabulary), dtype=object)

    def _candidate_ngrams(self, text: str) -> list[str]:
        toks = _TOKEN_RE.findall(_preprocess(text))
        starts = self._starts
        prefixes = self._prefixes
        out = []
        n_tok = len(toks)
        for i, tok in enumerate(toks):
            n = starts.get(tok)
            if n is None:
                continue
            out.append(tok)
            # the vectoriser drops n-grams outside its vocabulary, and an entry's n-gram can
            # only follow its own prefixes: stop at the first n-gram that starts no entry
            gram = tok
            for j in range(i + 1, min(i + n, n_tok)):
                gram = f"{gram} {toks[j]}"
                if gram not in prefixes:
                    break
                out.append(gram)
        return out

    def term_counts(self, texts: list[str]) -> sp.csr_matrix:
        """Sparse sentence × term counts."""
        return self.vectorizer.transform(texts)

    def kind_counts(self, texts: list[str]) -> sp.csr_matrix:
        """Sparse sentence × (lexicon:kind) weighted counts."""
        return (self.term_counts(texts) @ self.term_kind).tocsr()

    def matches(self, text: str, *, offset: int = 0) -> list[dict[str, object]]:
        """Every lexicon match in one text, with character offsets (for evidence).

        Longer phrases win over the words inside them.
        """
        ms = list(_TOKEN_RE.finditer(text))
        if "\u0130" in text or "\u03a3" in text:
            # lowercase token by token, as the keys were made: "İ" lowercases to two
            # characters (offsets into a lowercased sentence would shift) and "Σ" to "σ" or
            # final "ς" depending on the letters around it, which may lie outside the token
            words = [m.group().lower().replace("’", "'") for m in ms]
        else:
            # every other character lowercases to exactly one, whatever its neighbours, so
            # slicing the sentence lowercased once gives the same words
            low = _preprocess(text)
            words = [low[m.start() : m.end()] for m in ms]
        found: list[dict[str, object]] = []
        starts = self._starts
        prefixes = self._prefixes
        entries = self.entries
        n_tok = len(words)
        nxt = 0
        for i in [i for i, w in enumerate(words) if w in starts]:
            if i < nxt:
                continue  # inside the previous match
            # the longest entry starting here: extend while the n-gram still starts an entry
            gram = words[i]
            n = 1 if gram in entries else 0
            for j in range(i + 1, min(i + starts[gram], n_tok)):
                gram = f"{gram} {words[j]}"
                if gram not in prefixes:
                    break
                if gram in entries:
                    n = j - i + 1
            if n == 0:
                continue
            key = " ".join(words[i : i + n])
            s, e = ms[i].start(), ms[i + n - 1].end()
            for en in entries[key]:
                found.append(
                    {
                        "lexicon": en.lexicon,
                        "kind": en.kind,
                        "weight": en.weight,
                        "term": text[s:e],
                        "start": offset + s,
                        "end": offset + e,
                    }
                )
            nxt = i + n
        return found


def _preprocess(text: str) -> str:
    return text.lower().replace("’", "'")


@lru_cache(maxsize=1)
def default_matcher() -> LexiconMatcher:
    """The matcher over all shipped lexicons, built once per process."""
    return LexiconMatcher()
