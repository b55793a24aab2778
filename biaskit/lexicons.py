"""Load the cue lexicons in ``biaskit/data/lexicons/*.tsv`` and match them in text.

Each lexicon is a reviewable TSV (term, kind, weight, note) written by the team; see
``biaskit/data/lexicons/SOURCES.md``. Matching is a literal, case-insensitive phrase match
on word tokens (the tokeniser of :data:`TOKEN_PATTERN`), done for a whole batch of sentences
at once: one dict probe per token, then a walk of the multi-word entries' trie with numpy for
all positions together (:meth:`LexiconMatcher.count_tokens`), and a sparse term→kind weight
matrix. A fixed-vocabulary ``CountVectorizer`` over the same n-grams stays as the readable
reference (:attr:`LexiconMatcher.vectorizer`); the tests check the two agree bit for bit.
The matches with offsets that evidence and the attribution rules read are found the same way
for a whole batch (:meth:`LexiconMatcher.matches_many`), Python running only per match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import chain, repeat
from operator import itemgetter

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from biaskit.errors import InputError

#: Word tokens: letters/digits with inner apostrophes or hyphens ("won't", "so-called").
TOKEN_PATTERN = r"(?u)\b\w+(?:['’\-]\w+)*\b"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
#: The same tokens as :data:`TOKEN_PATTERN`, found in half the time. Its two ``\b`` never
#: decide anything: a scan reaches a word character only at the start of a run of them (after
#: a non-word character, a previous token or the start), and the greedy match always ends
#: before a non-word character. ``tests/test_features_fast.py`` checks the equivalence.
_FAST_TOKEN_RE = re.compile(r"\w+(?:['’\-]\w+)*")
#: The same again for ASCII text, where ``\w`` is ``[A-Za-z0-9_]`` (a fixed set is faster)
_ASCII_TOKEN_RE = re.compile(r"[A-Za-z0-9_]+(?:['\-][A-Za-z0-9_]+)*")

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
        self._build_trie()
        self.vectorizer = CountVectorizer(
            vocabulary=self.vocabulary,
            analyzer=self._candidate_ngrams,
            dtype=np.float64,
        )
        self._keys = np.array(sorted(self.vocabulary), dtype=object)

    def _build_trie(self) -> None:
        """Integer tables for :meth:`count_tokens`: one dict probe per token, numpy after.

        ``_tok_code[token]`` packs three numbers, each plus one (0: none): the token's
        one-word entry id, the trie node of the one-token prefix it starts (if it starts a
        multi-word entry), and its id among the tokens that continue multi-word entries. Trie
        nodes are the proper prefixes of multi-word entries; an edge ``node * n_tokens +
        token`` leads to the entry it completes (``_edge_key``, -1 if none) and to the node
        of the longer prefix (``_edge_child``, -1 if it ends every entry through it).
        """
        token_id: dict[str, int] = {}
        node_id: dict[str, int] = {}
        multi = [key.split(" ") for key in self.vocabulary if " " in key]
        for toks in multi:
            for k in range(1, len(toks)):
                node_id.setdefault(" ".join(toks[:k]), len(node_id))
                token_id.setdefault(toks[k], len(token_id))
        n_tokens = max(len(token_id), 1)
        edges: dict[int, list[int]] = {}
        for toks in multi:
            for k in range(1, len(toks)):
                edge = node_id[" ".join(toks[:k])] * n_tokens + token_id[toks[k]]
                target = edges.setdefault(edge, [-1, -1])
                gram = " ".join(toks[: k + 1])
                if k + 1 == len(toks):
                    target[0] = self.vocabulary[gram]
                else:
                    target[1] = node_id[gram]
        self._tok_bits = max(n_tokens.bit_length(), 1)
        self._node_bits = max((len(node_id) + 1).bit_length(), 1)
        if self._tok_bits + self._node_bits + (len(self.vocabulary) + 1).bit_length() > 62:
            raise InputError(
                f"lexicons too large to match: {len(self.vocabulary)} entries, "
                f"{len(node_id)} multi-word prefixes (the packed codes need under 63 bits)"
            )
        code: dict[str, int] = {}
        for t, i in token_id.items():
            code[t] = i + 1
        for prefix, i in node_id.items():
            if " " not in prefix:
                code[prefix] = code.get(prefix, 0) | (i + 1) << self._tok_bits
        for key, i in self.vocabulary.items():
            if " " not in key:
                code[key] = code.get(key, 0) | (i + 1) << (self._tok_bits + self._node_bits)
        self._tok_code = code
        self._n_tokens = n_tokens
        order = sorted(edges)
        self._edge_codes = np.array(order, dtype=np.int64)
        self._edge_key = np.array([edges[e][0] for e in order], dtype=np.int64)
        self._edge_child = np.array([edges[e][1] for e in order], dtype=np.int64)

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

    def term_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sparse sentence × term counts.

        The same matrix as :attr:`vectorizer` gives (it stays as the readable reference;
        the tests compare the two), counted for the whole batch with one dict probe per
        token instead of sklearn's per-sentence analyzer calls.
        """
        return self.count_tokens(tokenize([_preprocess(t) for t in texts]))

    def kind_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sparse sentence × (lexicon:kind) weighted counts."""
        return self.kinds_of(self.term_counts(texts))

    def kinds_of(self, term_counts: sp.csr_matrix) -> sp.csr_matrix:
        """Weighted (lexicon:kind) counts of a sentence × term count matrix."""
        return (term_counts @ self.term_kind).tocsr()

    def count_tokens(self, token_rows: Sequence[list[str]]) -> sp.csr_matrix:
        """Sentence × term counts from each sentence's tokens.

        Parameters
        ----------
        token_rows : sequence of list of str
            Per sentence, the :data:`TOKEN_PATTERN` tokens of its lowercased text with curly
            apostrophes straightened (:func:`tokenize` of ``text.lower().replace("’", "'")``).

        Returns
        -------
        scipy.sparse.csr_matrix
            float64 counts of every occurrence of every entry (overlaps included), column
            indices sorted within each row: the layout ``CountVectorizer`` produces.
        """
        flat, lengths = _flatten(token_rows)
        row_of = np.repeat(np.arange(len(token_rows), dtype=np.int64), lengths)
        code = np.fromiter(
            map(self._tok_code.get, flat, repeat(0)), dtype=np.int64, count=len(flat)
        )
        return self.count_codes(code, row_of, len(token_rows))

    def token_code(self, token: str) -> int:
        """The packed code :meth:`count_codes` takes for one token (0: in no entry)."""
        return self._tok_code.get(token, 0)

    def count_codes(self, code: np.ndarray, row_of: np.ndarray, n_rows: int) -> sp.csr_matrix:
        """Sentence × term counts from the tokens' :meth:`token_code` and their rows.

        ``code[k]`` is the code of the k-th token of the batch and ``row_of[k]`` its row;
        each row's tokens are contiguous and in order (rows may come in any order). This is
        :meth:`count_tokens` after its dict probes, for callers that coded the tokens already.
        """
        rows, cols = [], []
        for _, pos, key in self._entries_at(code, row_of):
            rows.append(row_of[pos])
            cols.append(key)
        return count_matrix(
            np.concatenate(rows), np.concatenate(cols), (n_rows, len(self.vocabulary))
        )

    def matches(self, text: str, *, offset: int = 0) -> list[dict[str, object]]:
        """Every lexicon match in one text, with character offsets (for evidence).

        Longer phrases win over the words inside them.
        """
        if not text.isascii() and any(c in text for c in CASE_SPECIAL_CHARS):
            return self._matches_by_token(text, offset)
        # every other character lowercases to exactly one, a word character or not as before,
        # whatever its neighbours: the lowercased sentence has the same tokens at the same
        # offsets, so they are found there as strings (no match objects: issue #5) and the
        # offsets of the few that match are found afterwards
        low = _preprocess(text)
        words = (_ASCII_TOKEN_RE if low.isascii() else _FAST_TOKEN_RE).findall(low)
        if self._starts.keys().isdisjoint(words):
            return []
        found: list[dict[str, object]] = []
        pos = k = 0  # ``pos``: where the search for token ``k`` starts (after token k - 1)
        for i, n in self._longest(words):
            s, pos, k = _locate(low, words, k, pos, i, n)
            self._append(found, text, " ".join(words[i : i + n]), s, pos, offset)
        return found

    def matches_many(
        self, texts: Sequence[str], offsets: Sequence[int] | None = None
    ) -> list[list[dict[str, object]]]:
        """:meth:`matches` of every text, for a whole batch at once.

        ``offsets[k]`` is added to the offsets of ``texts[k]``'s matches (0 by default). The
        same lists as one :meth:`matches` call per text, found with one regex pass over the
        batch, one dict probe per token and a walk of the entries' trie with numpy for all
        positions together (as :meth:`count_codes`); Python runs only per match.
        """
        n = len(texts)
        offs = [0] * n if offsets is None else [int(o) for o in offsets]
        out: list[list[dict[str, object]]] = [[] for _ in range(n)]
        special = case_special(texts)
        for k in np.flatnonzero(special).tolist():
            out[k] = self._matches_by_token(texts[k], offs[k])
        plain = np.flatnonzero(~special).tolist()
        lows = [_preprocess(texts[k]) for k in plain]
        joined = joined_tokens(lows)
        if joined is None:  # every separator character in the batch: one text at a time
            for k in plain:
                out[k] = self.matches(texts[k], offset=offs[k])
            return out
        items, sep = joined
        firsts = "".join(map(itemgetter(0), items))
        is_sep = np.frombuffer(firsts.encode("utf-32-le"), dtype=np.uint32) == ord(sep)
        row_of = np.cumsum(is_sep)
        code = np.fromiter(
            map(self._tok_code.get, items, repeat(0)), dtype=np.int64, count=len(items)
        )
        pos, length, key = self._longest_at(code, row_of)
        if not len(pos):
            return out
        # the leftmost longest matches: a candidate starting inside an earlier one that is
        # kept is skipped. Where no earlier candidate reaches past a start, it is kept; the
        # rows with one that does are decided left to right (entries do not cross rows)
        end = pos + length
        reach = np.maximum.accumulate(end)
        keep = np.ones(len(pos), dtype=bool)
        unclear = np.flatnonzero(pos[1:] < reach[:-1]) + 1
        if len(unclear):
            last_end = 0
            for k in np.flatnonzero(np.isin(row_of[pos], row_of[pos[unclear]])).tolist():
                if k and row_of[pos[k]] == row_of[pos[k - 1]] and pos[k] < last_end:
                    keep[k] = False
                else:
                    last_end = end[k]
        pos, length, key = pos[keep], length[keep], key[keep]
        row_start = np.concatenate([[0], np.flatnonzero(is_sep) + 1])
        keys = self._keys
        row = -1
        for r, i, n_tok, j in zip(
            row_of[pos].tolist(), pos.tolist(), length.tolist(), key.tolist(), strict=True
        ):
            if r != row:
                row, k = r, plain[r]
                text, low, result, offset = texts[k], lows[r], out[k], offs[k]
                # ``p``: where the search for the token at ``t`` starts (after token t - 1)
                p, t = 0, int(row_start[r])
            s, p, t = _locate(low, items, t, p, i, n_tok)
            self._append(result, text, keys[j], s, p, offset)
        return out

    def _entries_at(
        self, code: np.ndarray, row_of: np.ndarray
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Every entry in a token stream: ``(n, positions, entry ids)`` per entry length n.

        ``code`` holds the tokens' :meth:`token_code` and ``row_of`` their rows (an entry does
        not cross rows). One-token entries come first; longer ones are found by walking the
        entries' trie one token at a time from every position that starts an entry, all
        positions at once; a walk stops where no entry continues with the next token.
        """
        n_tok = len(code)
        tok_mask = (1 << self._tok_bits) - 1
        ids = (code >> (self._tok_bits + self._node_bits)) - 1
        one = np.flatnonzero(ids >= 0)
        yield 1, one, ids[one]
        token = (code & tok_mask) - 1
        node = ((code >> self._tok_bits) & ((1 << self._node_bits) - 1)) - 1
        pos = np.flatnonzero(node >= 0)
        node = node[pos]
        edges = self._edge_codes
        for n in range(2, self.max_n + 1):
            if not len(pos) or not len(edges):
                break
            nxt = pos + (n - 1)
            ok = nxt < n_tok
            ok[ok] = (row_of[nxt[ok]] == row_of[pos[ok]]) & (token[nxt[ok]] >= 0)
            pos, node = pos[ok], node[ok]
            edge = node * self._n_tokens + token[pos + (n - 1)]
            at = np.minimum(np.searchsorted(edges, edge), len(edges) - 1)
            found = edges[at] == edge
            pos, at = pos[found], at[found]
            key = self._edge_key[at]
            done = key >= 0
            yield n, pos[done], key[done]
            child = self._edge_child[at]
            more = child >= 0
            pos, node = pos[more], child[more]

    def _longest_at(
        self, code: np.ndarray, row_of: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each position where an entry starts: the longest entry's length and id there.

        ``code`` holds the tokens' :meth:`token_code` and ``row_of`` their rows (an entry
        does not cross rows). Positions come out in increasing order.
        """
        best_len = np.zeros(len(code), dtype=np.int64)
        best_key = np.full(len(code), -1, dtype=np.int64)
        # longer entries come later: each overwrites the shorter one at its position
        for n, pos, key in self._entries_at(code, row_of):
            best_len[pos] = n
            best_key[pos] = key
        starts = np.flatnonzero(best_len)
        return starts, best_len[starts], best_key[starts]

    def _matches_by_token(self, text: str, offset: int) -> list[dict[str, object]]:
        """:meth:`matches` for texts with :data:`CASE_SPECIAL_CHARS`: token by token."""
        ms = list(_TOKEN_RE.finditer(text))
        if "\u0130" in text or "\u03a3" in text:
            # lowercase token by token, as the keys were made: "İ" lowercases to two
            # characters (offsets into a lowercased sentence would shift) and "Σ" to "σ" or
            # final "ς" depending on the letters around it, which may lie outside the token
            words = [m.group().lower().replace("’", "'") for m in ms]
        else:
            low = _preprocess(text)
            words = [low[m.start() : m.end()] for m in ms]
        found: list[dict[str, object]] = []
        for i, n in self._longest(words):
            key = " ".join(words[i : i + n])
            self._append(found, text, key, ms[i].start(), ms[i + n - 1].end(), offset)
        return found

    def _longest(self, words: list[str]) -> Iterator[tuple[int, int]]:
        """``(first token, number of tokens)`` of each match, left to right, longest first."""
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
            if n:
                yield i, n
                nxt = i + n

    def _append(
        self, found: list[dict[str, object]], text: str, key: str, s: int, e: int, offset: int
    ) -> None:
        for en in self.entries[key]:
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


def _preprocess(text: str) -> str:
    return text.lower().replace("’", "'")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """The :data:`TOKEN_PATTERN` tokens of each text (no lowercasing here).

    Examples
    --------
    >>> tokenize(["so-called 'experts' won't", ""])
    [['so-called', 'experts', "won't"], []]
    """
    findall, ascii_findall = _FAST_TOKEN_RE.findall, _ASCII_TOKEN_RE.findall
    return [ascii_findall(t) if t.isascii() else findall(t) for t in texts]


#: characters that separate the texts of a batch joined into one string: neither word
#: characters nor token joiners, so no token spans two texts (the first absent from the batch)
SEPARATORS = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"


@lru_cache(maxsize=len(SEPARATORS) * 2)
def _joined_pattern(sep: str, ascii_only: bool) -> re.Pattern[str]:
    """The token pattern (ASCII form when it can) or the separator ``sep``."""
    token = _ASCII_TOKEN_RE.pattern if ascii_only else _FAST_TOKEN_RE.pattern
    return re.compile(f"{token}|{re.escape(sep)}")


def joined_tokens(texts: Sequence[str]) -> tuple[list[str], str] | None:
    r"""The tokens of all ``texts`` in one regex pass, with the separator between texts.

    Returns the items (each text's :func:`tokenize` tokens, one separator item between two
    texts) and the separator, or None when every character of :data:`SEPARATORS` occurs in
    the batch.

    Examples
    --------
    >>> joined_tokens(["He said so.", "", "Yes"])
    (['He', 'said', 'so', '\x00', '\x00', 'Yes'], '\x00')
    """
    for sep in SEPARATORS:
        joined = sep.join(texts)
        if joined.count(sep) == len(texts) - 1:
            return _joined_pattern(sep, joined.isascii()).findall(joined), sep
    return None


#: Characters that break "a case-insensitive regex match of an ASCII word is a lowercased
#: word run equal to it": "İ" lowercases to two characters, "Σ" to "σ" or "ς" by context,
#: and "ı", "ſ", "K" (Kelvin) match "i", "s", "k" under ``re.IGNORECASE``. No other code
#: point does any of this (``tests/test_features_fast.py`` scans them all).
CASE_SPECIAL_CHARS = "\u0130\u0131\u017f\u212a\u03a3"


def case_special(texts: Sequence[str]) -> np.ndarray:
    """Boolean mask of the texts holding any of :data:`CASE_SPECIAL_CHARS`."""
    out = np.zeros(len(texts), dtype=bool)
    wide = [k for k, t in enumerate(texts) if not t.isascii()]
    # the characters are rare: one scan of all non-ASCII texts together usually settles it
    if wide:
        joined = "\n".join([texts[k] for k in wide])
        if any(c in joined for c in CASE_SPECIAL_CHARS):
            out[wide] = [any(c in texts[k] for c in CASE_SPECIAL_CHARS) for k in wide]
    return out


def word_runs(token_rows: Sequence[list[str]]) -> list[list[str]]:
    r"""Each row's maximal runs of word characters (``\w+``), from its tokens.

    A token is word runs joined by single ``'``, ``’`` or ``-``; splitting it there gives the
    runs ``re.findall(r"\w+", text)`` would, in order.
    """
    out = []
    for toks in token_rows:
        joined = " ".join(toks)
        if "'" in joined or "-" in joined or "’" in joined:
            out.append(joined.replace("'", " ").replace("-", " ").replace("’", " ").split())
        else:
            out.append(toks)
    return out


def gate_table(words_by_bit: dict[int, str]) -> dict[str, int]:
    """Word → bitwise or of the bits whose space-separated word list holds it."""
    table: dict[str, int] = {}
    for bit, words in words_by_bit.items():
        for word in words.split():
            table[word] = table.get(word, 0) | bit
    return table


def run_flags(run_rows: Sequence[list[str]], table: dict[str, int]) -> np.ndarray:
    """Per row, the bitwise or of ``table[run]`` over its runs (0 for runs not in ``table``)."""
    flat, lengths = _flatten(run_rows)
    codes = np.fromiter(map(table.get, flat, repeat(0)), dtype=np.int64, count=len(flat))
    hit = np.flatnonzero(codes)
    out = np.zeros(len(run_rows), dtype=np.int64)
    row_of = np.repeat(np.arange(len(run_rows), dtype=np.int64), lengths)
    np.bitwise_or.at(out, row_of[hit], codes[hit])
    return out


def gated(texts: Sequence[str], gate: np.ndarray, test: Callable[[str], object]) -> np.ndarray:
    """``float(bool(test(text)))`` where ``gate`` is set, 0.0 elsewhere.

    ``gate`` must hold wherever ``test`` can be true (a cheap necessary condition): the
    exact test then runs on the few rows that might match instead of on all.
    """
    out = np.zeros(len(texts), dtype=float)
    idx = np.flatnonzero(gate)
    out[idx] = [bool(test(texts[i])) for i in idx.tolist()]
    return out


def _flatten(token_rows: Sequence[list[str]]) -> tuple[list[str], np.ndarray]:
    lengths = np.fromiter(map(len, token_rows), dtype=np.int64, count=len(token_rows))
    return list(chain.from_iterable(token_rows)), lengths


def count_matrix(
    rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], *, binary: bool = False
) -> sp.csr_matrix:
    """CSR float64 matrix counting the (row, column) pairs given, laid out as sklearn's.

    ``CountVectorizer`` returns int32 indices sorted within each row and no stored zeros;
    so does this (``binary`` stores 1.0 for every pair present). The layout matters beyond
    equality: a sparse product sums a row's entries in stored order, so the same values in
    another order can change the last bit of a probability.
    """
    n_rows, n_cols = shape
    keys, counts = np.unique(rows * max(n_cols, 1) + cols, return_counts=True)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // max(n_cols, 1), minlength=n_rows), out=indptr[1:])
    index_dtype = np.int32 if max(len(keys), n_cols) < np.iinfo(np.int32).max else np.int64
    data = np.ones(len(keys)) if binary else counts.astype(np.float64)
    return sp.csr_matrix(
        (data, (keys % max(n_cols, 1)).astype(index_dtype), indptr.astype(index_dtype)),
        shape=shape,
    )


def _locate(
    low: str, tokens: Sequence[str], t: int, p: int, i: int, n: int
) -> tuple[int, int, int]:
    """Character span of tokens ``i … i+n-1`` of ``low``, walking on from token ``t`` at ``p``.

    ``p`` is where the search for token ``t`` starts (just after token ``t - 1``). A token
    starts at the first occurrence of its string from there: the text between two tokens
    holds no word character, and a token starts with one. Returns the match's start, its end
    and the next token (the position and token the next search starts from).
    """
    while t < i:
        p = low.find(tokens[t], p) + len(tokens[t])
        t += 1
    s = low.find(tokens[i], p)
    p, t = s + len(tokens[i]), i + 1
    while t < i + n:
        p = low.find(tokens[t], p) + len(tokens[t])
        t += 1
    return s, p, t


@lru_cache(maxsize=1)
def default_matcher() -> LexiconMatcher:
    """The matcher over all shipped lexicons, built once per process."""
    return LexiconMatcher()
