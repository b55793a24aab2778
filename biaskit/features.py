"""Sentence table → feature matrix: word and character n-grams, lexicon cues, structure.

:class:`SentenceFeaturizer` is the text side of the model (string input, so it gets
hand-written API tests rather than scikit-learn's common checks). It takes the sentence table
(columns ``text``, ``in_quote``, ``is_headline``, ``sent_id``, ``paragraph``) and returns one
sparse matrix, the horizontal stack of:

- ``word``: binary word 1–2-grams (vocabulary learned in ``fit``, pruned by ``min_df``);
- ``char``: binary character 2–4-grams within word boundaries (pruned the same way);
- ``lex``: weighted lexicon counts per (lexicon, kind), separately for the writer's voice
  (outside quotation marks) and the quoted voice (inside), log-scaled;
- ``struct``: quotation share, quote marks, numbers, dates, headline, position, length,
  first/second person, question and exclamation marks, speech-verb-after-quote patterns.

Every column has a readable name (``get_feature_names_out``) that evidence uses.

``transform`` works on the whole batch (issue #5: it was the slowest stage of ``analyze``):
the sentences are tokenised once, in one regex pass over the batch joined by a separator,
and one dict probe per token gives its id in a per-vocabulary token table (``_TokenTable``)
that holds what every part needs from a token, worked out the first time it is seen: its word
n-gram code (bigrams are then integer pairs looked up with numpy, instead of
``CountVectorizer``'s per-sentence analyzer), its lexicon code (the lexicon counts of both
voices, walked with numpy), the gate flags of the word regexes (which then run only on the
sentences that contain one of the words they can match), and its capitals, digits and words
for the structural and subjectivity counts. Only sentences split between the writer's and
the quoted voice are tokenised again, per voice. The matrix is the one the per-sentence
implementation gave, bit for bit and in the same stored order, so fitted models keep their
predictions; ``tests/test_features_fast.py`` keeps that implementation as the reference and
compares.
"""

from __future__ import annotations

import copy
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from biaskit.errors import SchemaError
from biaskit.lexicons import (
    SEPARATORS,
    TOKEN_PATTERN,
    LexiconMatcher,
    case_special,
    count_matrix,
    gate_table,
    gated,
    joined_tokens,
    load_lexicon,
    tokenize,
)
from biaskit.quotes import quote_spans
from biaskit.subjectivity import _GATE_WORDS as SUBJECTIVITY_GATES
from biaskit.subjectivity import _WORD as SUBJECTIVITY_WORD
from biaskit.subjectivity import subjectivity_columns

FEATURIZER_COLUMNS: tuple[str, ...] = ("text", "in_quote", "is_headline", "sent_id", "paragraph")

_QUOTE_MARKS = re.compile("[\"“”„«»]|(?<!\\w)['‘]|['’](?!\\w)")
_NUMBER = re.compile(r"\d")
# month and day names, "yesterday", "today" or a four-digit year; the alternatives are grouped
# by first letter (the same words as a flat list, fewer branches tried at each word start)
_MONTH_DAY = re.compile(
    r"\b(?:j(?:an(?:uary)?|une|uly)|feb(?:ruary)?|m(?:a(?:rch|y)|onday)|a(?:pril|ug(?:ust)?)|"
    r"s(?:ept?(?:ember)?|aturday|unday)|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"t(?:uesday|hursday|oday)|wednesday|friday|yesterday|\d{4})\b",
    re.IGNORECASE,
)
# i, we, our, ours, us, my, me
# "I" only as a capital (not "i.e."), "us" not as "US" (the country)
_FIRST_PERSON = re.compile(r"(?-i:\bI\b|\b[Uu]s\b)|\b(?:we|ours?|m[ey])\b", re.IGNORECASE)
# you, your, yours
_SECOND_PERSON = re.compile(r"\byou(?:rs?)?\b", re.IGNORECASE)
_HEADLINE_COLON = re.compile(r"^[^:“\"]{2,40}:\s")


# words of three or more capitals: the matches of ``\b[A-Z]{3,}\b``, found faster (a pattern
# that starts with a character set lets the regex engine skip to the candidates, and
# ``(?<!\w[A-Z])`` after the first capital is the ``\b`` before it)
_CAPS_WORD = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]{2,}\b")
# the ``\d{4}`` branch of _MONTH_DAY, written to start with a character set (see above)
_YEAR = re.compile(r"\d(?<!\w\d)\d{3}\b")
_URL_OR_HANDLE = re.compile(r"https?://|www\.|@\w|\.com\b")
#: every character ``_QUOTE_MARKS`` can match: a sentence without one skips the slower pattern
_QUOTE_CHAR_LIST = "\"“”„«»'‘’"
_OPENING_CHARS = frozenset("\"“‘'«„")
_FINAL_CLOSERS = "\"”’')]"

# Gates of the word patterns (see biaskit.lexicons.gated): every match of _MONTH_DAY's word
# branch, _FIRST_PERSON and _SECOND_PERSON is a whole run of word characters that, lowercased,
# is one of these words (in rows without biaskit.lexicons.CASE_SPECIAL_CHARS)
_DATE, _FIRST, _SECOND = 1, 2, 4
_GATE_WORDS = gate_table(
    {
        _DATE: "jan january june july feb february march may monday april aug august sep sept "
        "sepember september saturday sunday oct october nov november dec december tuesday "
        "thursday today wednesday friday yesterday",
        _FIRST: "i us we our ours me my",
        _SECOND: "you your yours",
    }
)
_SUBJECTIVITY_SHIFT = 8
_ALL_GATE_WORDS = {
    w: _GATE_WORDS.get(w, 0) | SUBJECTIVITY_GATES.get(w, 0) << _SUBJECTIVITY_SHIFT
    for w in _GATE_WORDS.keys() | SUBJECTIVITY_GATES.keys()
}

_AFTER_QUOTE = re.compile(r"[,?!…—][\"”’']\s+((?:[\w.’'-]+\s+){0,6}[\w’'-]+)")
_OPENING_AFTER_PUNCT = re.compile(r"[:,]\s*[\"“]")
_WORDS = re.compile(r"[\w’'-]+")


@lru_cache(maxsize=1)
def _speech_verbs() -> frozenset[str]:
    lex = load_lexicon("reporting_verbs")
    keys = lex.loc[
        lex["kind"].isin(["speech", "loaded_speech", "written"]) & (lex["weight"] >= 0.6), "key"
    ]
    return frozenset(k for k in keys if " " not in k)


def _has_verb(pattern: re.Pattern[str], text: str, verbs: frozenset[str]) -> float:
    """Return 1.0 when a speech verb is among the words the pattern captures.

    Set lookups, not an alternation of hundreds of verbs in the regex (which backtracks).
    """
    for m in pattern.finditer(text):
        if any(w.lower().replace("’", "'") in verbs for w in _WORDS.findall(m.group(1))):
            return 1.0
    return 0.0


def _verb_before_quote(text: str, verbs: frozenset[str]) -> float:
    """1.0 when one of the six words before ``: “`` or ``, “`` is a speech verb."""
    for m in _OPENING_AFTER_PUNCT.finditer(text):
        words = _WORDS.findall(text[max(0, m.start() - 60) : m.start()])[-6:]
        if any(w.lower().replace("’", "'") in verbs for w in words):
            return 1.0
    return 0.0


class SentenceFeaturizer(TransformerMixin, BaseEstimator):
    """Turn a sentence table into the model's sparse feature matrix.

    Parameters
    ----------
    word_ngrams : tuple of int
        n-gram range of the word vectoriser.
    char_ngrams : tuple of int or None
        n-gram range of the character vectoriser (``char_wb``), e.g. ``(2, 4)``; ``None`` (the
        default) disables it — see :func:`biaskit.model.make_model` for why.
    min_df : int
        Minimum number of training sentences an n-gram must occur in.
    max_features : int
        Cap on each vocabulary (most frequent kept).
    use_lexicons : bool
        Include lexicon features.
    use_structure : bool
        Include structural features.
    use_words : bool
        Include word n-grams.
    lexicon_scale : float
        Multiplier of the lexicon block. Values above 1 lower the effective regularisation of
        lexicon features relative to n-grams (they transfer better to unseen outlets).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"text": ["He said so.", "Prices rose 3%."], "in_quote": [0.0, 0.0],
    ...                   "is_headline": [False, False], "sent_id": [0, 1], "paragraph": [0, 0]})
    >>> X = SentenceFeaturizer(min_df=1).fit_transform(t)
    >>> X.shape[0]
    2
    """

    def __init__(
        self,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = None,
        min_df: int = 2,
        max_features: int = 40000,
        use_lexicons: bool = True,
        use_structure: bool = True,
        use_words: bool = True,
        lexicon_scale: float = 1.0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.use_lexicons = use_lexicons
        self.use_structure = use_structure
        self.use_words = use_words
        self.lexicon_scale = lexicon_scale

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _check(frame: Any) -> pd.DataFrame:
        if isinstance(frame, pd.Series):
            frame = frame.to_frame("text")
        if not isinstance(frame, pd.DataFrame):
            # a plain list of sentences: no structure known
            frame = pd.DataFrame({"text": list(frame)})
        if "text" not in frame.columns:
            raise SchemaError("featurizer input needs a 'text' column")
        out = pd.DataFrame({"text": frame["text"].astype(str).to_numpy()})
        for col, default in (
            ("in_quote", np.nan),
            ("is_headline", False),
            ("sent_id", 1),
            ("paragraph", 1),
        ):
            out[col] = frame[col].to_numpy() if col in frame.columns else default
        missing = out["in_quote"].isna()
        if missing.any():
            from biaskit.quotes import quote_share

            out.loc[missing, "in_quote"] = out.loc[missing, "text"].map(quote_share)
        return out

    @staticmethod
    def _voices(texts: list[str], in_quote: np.ndarray) -> tuple[list[str], list[str]]:
        """Split each sentence into its writer-voice and quoted-voice text (same length)."""
        writer, quoted, _ = _split_voices(texts, in_quote)
        return writer, quoted

    def _structure(self, frame: pd.DataFrame, batch: _Batch | None = None) -> np.ndarray:
        """Structural columns of the sentence table ``frame``.

        ``batch`` is the table's tokens and voices (:func:`_batch`) when ``transform`` has
        them already. Each column is the value its regex gives (``SentenceFeaturizer`` models
        keep their meaning): some are counted from the tokens (``_TokenTable``), and most
        regexes run only on rows a cheap test lets through: a character the match needs, or a
        word from ``_GATE_WORDS`` among the sentence's word runs.
        """
        texts = frame["text"].tolist()
        subjectivity = getattr(self, "subjectivity_", False)  # absent in older models
        if batch is None:
            batch = _batch(texts, frame["in_quote"].to_numpy(dtype=float), None, subjectivity)
        n = len(texts)
        special = batch.special
        values = batch.table.values
        flags = _row_or(values[batch.ids, 2], batch.rows, n)
        caps = _row_sum(values[batch.ids, 3], batch.rows, n)
        # \d and runs of [A-Z] depend on case: texts whose lowercasing is special are
        # tokenised lowercased, so those two are found on the text itself
        has_number = flags & _HAS_DIGIT > 0
        for i in np.flatnonzero(special).tolist():
            has_number[i] = _NUMBER.search(texts[i]) is not None
            caps[i] = len(_CAPS_WORD.findall(texts[i]))
        quote_rows = np.array([_has_quote_char(t) for t in texts], dtype=bool)
        is_headline = frame["is_headline"].to_numpy(dtype=bool)
        n_words = np.array([len(t.split()) for t in texts], dtype=float)
        speech = _speech_verbs()
        date_gate = special | (flags & (_DATE | _HAS_YEAR) > 0)
        cols = {
            "in_quote": frame["in_quote"].to_numpy(dtype=float),
            "fully_quoted": (frame["in_quote"].to_numpy(dtype=float) >= 0.999).astype(float),
            "has_quote_mark": gated(texts, quote_rows, _QUOTE_MARKS.search),
            "starts_with_quote": np.array([t[:1] in _OPENING_CHARS for t in texts], dtype=float),
            "quote_then_speech_verb": gated(
                texts, quote_rows, lambda t: _has_verb(_AFTER_QUOTE, t, speech)
            ),
            "speech_verb_then_quote": gated(
                texts, quote_rows, lambda t: _verb_before_quote(t, speech)
            ),
            "has_number": has_number.astype(float),
            "has_date": gated(texts, date_gate, _MONTH_DAY.search),
            "is_headline": frame["is_headline"].to_numpy(dtype=float),
            "headline_colon": gated(
                texts,
                is_headline & np.array([":" in t for t in texts], dtype=bool),
                _HEADLINE_COLON.search,
            ),
            "first_sentence": (frame["sent_id"].to_numpy(dtype=float) <= 1).astype(float),
            "paragraph_pos": np.minimum(frame["paragraph"].to_numpy(dtype=float), 20) / 20,
            # str.split splits at the characters \s matches: as many parts as \S+ matches
            "log_words": np.log1p(n_words) / 4,
            "short": (n_words <= 6).astype(float),
            "first_person": gated(texts, special | (flags & _FIRST > 0), _FIRST_PERSON.search),
            "second_person": gated(texts, special | (flags & _SECOND > 0), _SECOND_PERSON.search),
            "question": np.array(["?" in t for t in texts], dtype=float),
            "exclamation": np.array(["!" in t for t in texts], dtype=float),
            "caps_words": np.minimum(caps.astype(float), 3) / 3,
            "no_final_punct": np.array([not _final_punct(t) for t in texts], dtype=float),
            "colon": np.array([":" in t for t in texts], dtype=float),
            "url_or_handle": gated(
                texts,
                np.array(
                    ["http" in t or "www." in t or "@" in t or ".com" in t for t in texts],
                    dtype=bool,
                ),
                _URL_OR_HANDLE.search,
            ),
        }
        if subjectivity:
            voices = batch.voices
            if voices is None:
                voices = batch.voices = _voice_streams(
                    batch, texts, frame["in_quote"].to_numpy(dtype=float)
                )
            cols.update(_writer_subjectivity(batch, voices, n))
        self._struct_names = list(cols)
        return np.column_stack(list(cols.values()))

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any = None) -> SentenceFeaturizer:
        """Learn the n-gram vocabularies from the sentence table ``X``."""
        frame = self._check(X)
        texts = frame["text"].tolist()
        if self.use_words:
            self.word_vectorizer_ = CountVectorizer(
                ngram_range=self.word_ngrams,
                token_pattern=TOKEN_PATTERN,
                binary=True,
                min_df=self.min_df,
                max_features=self.max_features,
                dtype=np.float64,
            ).fit(texts)
            if self.char_ngrams:
                self.char_vectorizer_ = CountVectorizer(
                    analyzer="char_wb",
                    ngram_range=self.char_ngrams,
                    binary=True,
                    min_df=self.min_df,
                    max_features=self.max_features,
                    dtype=np.float64,
                ).fit(texts)
        for name in ("word_vectorizer_", "char_vectorizer_"):
            vec = getattr(self, name, None)
            if vec is not None:
                # CountVectorizer leaves numpy ints here; plain ints let skops store the
                # vocabulary as one JSON object instead of one array file per term (the
                # model file is 2.5x smaller and loads 2.5x faster)
                vec.vocabulary_ = {term: int(j) for term, j in vec.vocabulary_.items()}
        self.subjectivity_ = True
        self._structure(frame.head(1))
        names: list[str] = []
        if self.use_words:
            names += [f"word:{t}" for t in self.word_vectorizer_.get_feature_names_out()]
            if self.char_ngrams:
                names += [f"char:{t}" for t in self.char_vectorizer_.get_feature_names_out()]
        if self.use_lexicons:
            kinds = LexiconMatcher().kind_names
            names += [f"lex:{k}:writer" for k in kinds] + [f"lex:{k}:quoted" for k in kinds]
            self.lexicon_kinds_ = kinds
        if self.use_structure:
            names += [f"struct:{n}" for n in self._struct_names]
        self.feature_names_ = np.array(names, dtype=object)
        self.n_features_out_ = len(names)
        return self

    def transform(self, X: Any) -> sp.csr_matrix:
        """Feature matrix of the sentence table ``X`` (rows in the same order)."""
        check_is_fitted(self, "feature_names_")
        frame = self._check(X)
        texts = frame["text"].tolist()
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise SchemaError(
                    f"featurizer input row {i}: 'text' is {t!r}, expected a string; "
                    "drop or fill the missing texts first"
                )
        vec = getattr(self, "word_vectorizer_", None) if self.use_words else None
        subjectivity = self.use_structure and getattr(self, "subjectivity_", False)
        in_quote = frame["in_quote"].to_numpy(dtype=float)
        # one tokenisation of the batch serves the word n-grams, the lexicon counts of both
        # voices, and the structural word gates and counts
        batch = _batch(texts, in_quote, vec, self.use_lexicons or subjectivity)
        blocks = []
        if vec is not None:
            blocks.append(_batch_word_counts(vec, batch, texts))
            if self.char_ngrams:
                blocks.append(self.char_vectorizer_.transform(texts))
        lw = lq = None
        if self.use_lexicons:
            matcher = batch.table.matcher
            if matcher.kind_names != self.lexicon_kinds_:
                raise SchemaError(
                    "the lexicons changed since this model was trained "
                    f"({len(matcher.kind_names)} kinds now, {len(self.lexicon_kinds_)} then); "
                    "retrain with `biaskit train`"
                )
            voices = batch.voices
            assert voices is not None
            lw, lq = voices.writer_counts(batch), voices.quoted_counts(batch)
        # the structure block reads the raw writer-voice counts, so it is built before the
        # lexicon block is log-scaled (the block order below is unchanged)
        struct = sp.csr_matrix(self._structure(frame, batch)) if self.use_structure else None
        if lw is not None and lq is not None:
            # scaling a block up weakens the L2 penalty on it: a prior that the team's
            # lexicons carry across house styles better than n-grams do
            lw.data = np.log1p(lw.data) * self.lexicon_scale
            lq.data = np.log1p(lq.data) * self.lexicon_scale
            blocks += [lw, lq]
        if struct is not None:
            blocks.append(struct)
        if not blocks:
            return sp.csr_matrix((len(texts), 0))
        return sp.hstack(blocks, format="csr")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Readable names: ``word:…``, ``char:…``, ``lex:<lexicon>:<kind>:<voice>``, ``struct:…``.

        Returns
        -------
        numpy.ndarray of str
        """
        check_is_fitted(self, "feature_names_")
        return self.feature_names_

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict[str, Any]:
        """State to save, with the fitted vocabularies and feature names as string arrays.

        A vocabulary dict or an object array of names is one skops schema node per string
        (about 28,000 in the default model), all walked at every load; a numpy unicode array is
        one ``.npy`` file. The vectorisers are saved as copies without ``vocabulary_``; the
        featurizer itself is not changed. What does not pack exactly is saved as it is.
        """
        # a copy: BaseEstimator returns the instance's own __dict__ for a non-sklearn class
        state = dict(super().__getstate__())
        packed: dict[str, Any] = {}
        for name in _VECTORIZERS:
            vec = state.get(name)
            arrays = _pack_vocabulary(getattr(vec, "vocabulary_", None))
            if arrays is None:
                continue
            slim = copy.copy(vec)
            del slim.vocabulary_
            state[name] = slim
            packed[name] = arrays
        names = _pack_strings(state.get("feature_names_"))
        if names is not None:
            del state["feature_names_"]
            packed["feature_names_"] = names
        if packed:
            state[_PACKED] = packed
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a saved state, unpacking what ``__getstate__`` packed (older models: nothing)."""
        state = dict(state)
        packed = state.pop(_PACKED, None) or {}
        super().__setstate__(state)
        for name in _VECTORIZERS:
            if name in packed:
                getattr(self, name).vocabulary_ = _unpack_vocabulary(packed[name])
        if "feature_names_" in packed:
            self.feature_names_ = np.array(packed["feature_names_"].tolist(), dtype=object)


#: the fitted vectorisers whose vocabularies ``__getstate__`` packs
_VECTORIZERS = ("word_vectorizer_", "char_vectorizer_")
#: state key of what ``__getstate__`` packed (absent in models saved before it packed anything)
_PACKED = "_packed_state"


#: padded size (longest string × count) allowed per character held when packing strings
#: (the default model's vocabulary and feature names need about 3.5)
_PACK_MAX_PADDING = 8


def _pack_strings(names: Any) -> np.ndarray | None:
    """A 1-d object array of ``str`` as a unicode array, or None if it does not pack exactly.

    A unicode array drops trailing NUL characters: the strings must come back unchanged.
    It pads every string to the longest: where that would cost more than
    ``_PACK_MAX_PADDING`` times the characters held (one very long term, e.g. an unspaced
    script or a repeated identifier), the strings stay as they are.
    """
    if not isinstance(names, np.ndarray) or names.dtype != object or names.ndim != 1:
        return None
    items = names.tolist()
    if not items or any(type(t) is not str for t in items):
        return None
    longest, chars = max(map(len, items)), sum(map(len, items))
    if longest * len(items) > max(_PACK_MAX_PADDING * chars, 1 << 18):
        return None
    packed = np.array(items, dtype=str)
    return packed if packed.tolist() == items else None


def _pack_vocabulary(vocabulary: Any) -> dict[str, np.ndarray] | None:
    """A vocabulary (term → column) as numpy arrays, or None if it does not pack exactly.

    ``terms`` is a unicode array (saved without pickle). When the columns are ``0 … n-1``
    (a fitted ``CountVectorizer``'s are the ranks of the sorted terms) ``terms[j]`` is the
    term of column ``j``; otherwise ``columns[k]`` is the column of ``terms[k]``. Only a dict
    of ``str`` → ``int`` packs, and only if its terms come back unchanged (see
    ``_pack_strings``). The unpacked dict is equal, with the same types; its order is the
    columns' (only lookups and ``_WordTable``, which does not depend on it, read it).
    """
    if not isinstance(vocabulary, dict) or not vocabulary:
        return None
    keys = list(vocabulary)
    values = list(vocabulary.values())
    if any(type(k) is not str for k in keys) or any(type(v) is not int for v in values):
        return None
    columns = np.array(values, dtype=np.int64)
    order = np.argsort(columns, kind="stable")
    if np.array_equal(columns[order], np.arange(len(columns))):
        terms = _pack_strings(np.array([keys[k] for k in order.tolist()], dtype=object))
        return None if terms is None else {"terms": terms}
    terms = _pack_strings(np.array(keys, dtype=object))
    return None if terms is None else {"terms": terms, "columns": columns}


def _unpack_vocabulary(arrays: dict[str, np.ndarray]) -> dict[str, int]:
    """The vocabulary dict ``_pack_vocabulary`` packed: ``str`` terms, ``int`` columns."""
    terms = arrays["terms"].tolist()
    columns = range(len(terms)) if "columns" not in arrays else arrays["columns"].tolist()
    return dict(zip(terms, columns, strict=True))


def _matcher() -> LexiconMatcher:
    from biaskit.lexicons import default_matcher

    return default_matcher()


def _has_quote_char(text: str) -> bool:
    """Whether ``text`` holds a character ``_QUOTE_MARKS`` can match.

    Plain ``in`` tests: much faster than a regex character class over the whole sentence.
    """
    if text.isascii():
        return '"' in text or "'" in text
    return any(c in text for c in _QUOTE_CHAR_LIST)


def _final_punct(text: str) -> bool:
    r"""Whether ``[.!?]["”’')\]]*\s*$`` matches ``text``.

    That is: after trailing whitespace and closers, the text ends in ``.``, ``!`` or ``?``
    (``str.rstrip()`` strips the characters ``\s`` matches).
    """
    return text.rstrip().rstrip(_FINAL_CLOSERS).endswith((".", "!", "?"))


def _split_voices(
    texts: list[str], in_quote: np.ndarray
) -> tuple[list[str], list[str], np.ndarray]:
    """Writer-voice and quoted-voice text of each sentence, and which sentences are whole.

    ``whole`` is 0 where the writer voice is the whole sentence (the quoted voice empty), 1
    where the quoted voice is, and -1 where the sentence is split between them.
    """
    writer, quoted = [], []
    whole = np.full(len(texts), -1, dtype=np.int8)
    for i, (text, share) in enumerate(zip(texts, in_quote, strict=True)):
        if share >= 0.999:
            writer.append("")
            quoted.append(text)
            whole[i] = 1
            continue
        if share <= 0.0:
            writer.append(text)
            quoted.append("")
            whole[i] = 0
            continue
        spans = quote_spans(text)
        # a lone closing mark at the start of a continued quotation
        first = spans[0][0] if spans else len(text)
        close = max(text.rfind("”", 0, first), text.rfind('"', 0, first))
        if close >= 0 and not spans or (close >= 0 and close < first):
            spans = [(0, close + 1), *spans]
        w, q, pos = [], [], 0
        for s, e in spans:
            w.append(text[pos:s])
            q.append(text[s:e])
            pos = e
        w.append(text[pos:])
        writer.append(" ".join(w))
        quoted.append(" ".join(q))
    return writer, quoted, whole


#: per fitted word vectoriser, its vocabulary as a token → code table (built on first use)
_WORD_TABLES: weakref.WeakKeyDictionary[
    CountVectorizer, tuple[dict[str, Any], tuple[int, ...], _WordTable]
] = weakref.WeakKeyDictionary()


class _WordTable:
    """A word vectoriser's vocabulary, arranged for counting a whole batch at once.

    ``code[token]`` is ``(unigram id + 1) << 32 | (token id + 1)``, where token ids number
    the words of the vocabulary's n-grams (n > 1); a text token absent from ``code`` is
    neither. A bigram is then a pair of token ids, looked up among the sorted
    ``pair_codes`` of the vocabulary's bigrams; longer n-grams are joined into strings
    (where all their tokens have ids) and looked up in the vocabulary.
    """

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]) -> None:
        min_n, max_n = ngram_range
        self.unigrams = min_n <= 1
        self.ngrams = list(range(max(min_n, 2), max_n + 1))
        token_id: dict[str, int] = {}
        split = {term: term.split(" ") for term in vocabulary if " " in term}
        for toks in split.values():
            for t in toks:
                token_id.setdefault(t, len(token_id))
        code = {t: i + 1 for t, i in token_id.items()}
        for term, j in vocabulary.items():
            if " " not in term:
                code[term] = code.get(term, 0) | (int(j) + 1) << 32
        self.code = code
        self.n_tokens = max(len(token_id), 1)
        pairs = [
            (token_id[toks[0]] * self.n_tokens + token_id[toks[1]], int(vocabulary[term]))
            for term, toks in split.items()
            if len(toks) == 2
        ]
        pairs.sort()
        self.pair_codes = np.array([c for c, _ in pairs], dtype=np.int64)
        self.pair_ids = np.array([j for _, j in pairs], dtype=np.int64)
        #: the featurizer's per-token table over this vocabulary (``_token_table``)
        self.tokens: _TokenTable | None = None


def _plain_word_vectorizer(vec: CountVectorizer) -> bool:
    """Whether ``_count_words`` reproduces ``vec``: the featurizer's own word vectoriser.

    Lowercase, :data:`TOKEN_PATTERN`, no accents stripped, no stop words, float64.
    """
    return (
        vec.input == "content"
        and vec.analyzer == "word"
        and vec.preprocessor is None
        and vec.tokenizer is None
        and vec.lowercase
        and vec.strip_accents is None
        and vec.stop_words is None
        and vec.token_pattern == TOKEN_PATTERN
        and np.dtype(vec.dtype) == np.float64
        and 1 <= vec.ngram_range[0] <= vec.ngram_range[1]
    )


def _word_table(vec: CountVectorizer) -> _WordTable:
    """The :class:`_WordTable` of a fitted word vectoriser, built on first use."""
    vocabulary = vec.vocabulary_
    ngram_range = tuple(vec.ngram_range)
    cached = _WORD_TABLES.get(vec)
    # rebuilt when the vectoriser is refitted (a new vocabulary object) or its range is reset
    if cached is None or cached[0] is not vocabulary or cached[1] != ngram_range:
        cached = (vocabulary, ngram_range, _WordTable(vocabulary, vec.ngram_range))
        _WORD_TABLES[vec] = cached
    return cached[2]


def _count_words(
    vec: CountVectorizer,
    table: _WordTable,
    code: np.ndarray,
    row_of: np.ndarray,
    n_rows: int,
    gram_tokens: Callable[[int, int], list[str]],
) -> sp.csr_matrix:
    """Word n-gram counts from the tokens' ``_WordTable`` codes and rows.

    Each row's tokens are contiguous and in order; ``gram_tokens(i, n)`` gives the lowercased
    tokens ``i`` to ``i + n`` (for n-grams longer than two, looked up as strings).
    """
    vocabulary = vec.vocabulary_
    n_tok = len(code)
    rows, cols = [], []
    ids = (code >> 32) - 1
    if table.unigrams:
        hit = ids >= 0
        rows.append(row_of[hit])
        cols.append(ids[hit])
    tok = (code & 0xFFFFFFFF) - 1
    for n in table.ngrams:
        first = np.flatnonzero(tok[: max(n_tok - n + 1, 0)] >= 0)
        last = first + (n - 1)
        ok = row_of[last] == row_of[first]
        for k in range(1, n):
            ok &= tok[first + k] >= 0
        first = first[ok]
        if n == 2:
            pair = tok[first] * table.n_tokens + tok[first + 1]
            at = np.minimum(np.searchsorted(table.pair_codes, pair), len(table.pair_codes) - 1)
            hit = table.pair_codes[at] == pair if len(table.pair_codes) else pair < 0
            rows.append(row_of[first[hit]])
            cols.append(table.pair_ids[at[hit]])
            continue
        grams = [" ".join(gram_tokens(i, n)) for i in first.tolist()]
        gram_ids = np.fromiter(
            map(vocabulary.get, grams, repeat(-1)), dtype=np.int64, count=len(grams)
        )
        hit = gram_ids >= 0
        rows.append(row_of[first[hit]])
        cols.append(gram_ids[hit])
    return count_matrix(
        np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
        np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64),
        (n_rows, len(vocabulary)),
        binary=vec.binary,
    )


# ---------------------------------------------------------------- one pass over a batch's tokens

#: bits of a token's flags above the gate words' (structure: low byte, subjectivity: next)
_HAS_DIGIT = 1 << 16
_HAS_YEAR = 1 << 17
#: a word-character run ``_CAPS_WORD`` matches whole (it needs non-word characters around it)
_CAPS_RUN = re.compile(r"[A-Z]{3,}")
#: a word-character run ``_YEAR`` matches whole
_YEAR_RUN = re.compile(r"\d{4}")
class _TokenTable:
    """Per distinct token, everything the featurizer reads from it, worked out once.

    The batch is tokenised once; one dict probe per token gives its id here, and numpy
    gathers the rest for all tokens together (``values``, one row per id, columns
    ``FIELDS``): its word n-gram code (:class:`_WordTable`), lexicon code
    (:meth:`LexiconMatcher.token_code`), gate flags (structure, subjectivity shifted up,
    ``_HAS_DIGIT``, ``_HAS_YEAR``), how many of its word-character runs ``_CAPS_WORD``
    matches, and its subjectivity words (``subjectivity._WORD``: how many, how many start with
    a capital A-Z, whether the first does).

    Keys are tokens of the text as written, lowercased here: for texts without
    :data:`CASE_SPECIAL_CHARS` those are the tokens of the lowercased text (every other
    character lowercases to one character, a word character or not as before, whatever its
    neighbours). Tokens of texts with one are taken from the lowercased text and looked up in
    a second index (their case-dependent fields are recomputed per text by the caller). The
    table lives as long as its word vocabulary and is replaced by a new one past ``LIMIT``
    entries or ``CHAR_LIMIT`` characters of keys (long tokens, e.g. a ``data:`` URI left in
    scraped HTML, count by their length).
    """

    FIELDS = ("word", "lexicon", "flags", "caps", "words", "capital_words", "first_capital")
    #: entries past which ``_token_table`` starts a new table (about 85 MB with the keys)
    LIMIT = 1 << 18
    #: characters of keys (tokens as written and lowered) past which it does so too
    CHAR_LIMIT = 1 << 24

    def __init__(self, word_code: dict[str, Any] | None, matcher: LexiconMatcher) -> None:
        self.word_code = word_code or {}
        self.matcher = matcher
        # lookups add entries: threads calling ``transform`` at once take turns (ids already
        # handed out stay valid: entries are only appended)
        self._lock = threading.Lock()
        self.index: tuple[dict[str, int], dict[str, int]] = (
            dict.fromkeys(SEPARATORS, 0),
            dict.fromkeys(SEPARATORS, 0),
        )
        self.values = np.zeros((1024, len(self.FIELDS)), dtype=np.int64)
        self.lowered: list[str] = [""]
        self.chars = 0  # characters held in keys: ``index`` and ``lowered``

    def lookup(self, items: list[str], lowered: bool) -> np.ndarray:
        """Ids of ``items`` (tokens, or separators: id 0), adding the tokens not seen yet."""
        index = self.index[lowered]
        ids = np.fromiter(map(index.get, items, repeat(-1)), dtype=np.int64, count=len(items))
        miss = np.flatnonzero(ids < 0)
        if len(miss):
            with self._lock:
                self._add(items, ids, miss, index, lowered)
        return ids

    def _add(
        self,
        items: list[str],
        ids: np.ndarray,
        miss: np.ndarray,
        index: dict[str, int],
        lowered: bool,
    ) -> None:
        """Give the missing ``items`` their ids (``ids[miss]``), adding the new tokens."""
        start = len(self.lowered)
        new: dict[str, int] = {}
        rows = []
        for k in miss.tolist():
            tok = items[k]
            j = index.get(tok)
            if j is None:
                j = new.get(tok)
            if j is None:
                j = new[tok] = start + len(rows)
                rows.append(self._fields(tok, lowered))
                self.chars += 2 * len(tok)
            ids[k] = j
        if not rows:  # another thread added them between the probe and the lock
            return
        end = start + len(rows)
        if end > len(self.values):
            grown = np.zeros((max(end, 2 * len(self.values)), len(self.FIELDS)), np.int64)
            grown[:start] = self.values[:start]
            self.values = grown
        self.values[start:end] = rows
        # published last: a lookup in another thread sees a token only once its row is set
        index.update(new)

    def _fields(self, token: str, lowered: bool) -> tuple[int, ...]:
        low = token if lowered else token.lower()
        self.lowered.append(low)
        flags = 0
        # the word-character runs of the token: it is runs joined by single ' ’ or -
        for run in low.replace("'", " ").replace("-", " ").replace("’", " ").split():
            flags |= _ALL_GATE_WORDS.get(run, 0)
        runs = token.replace("'", " ").replace("-", " ").replace("’", " ").split()
        if _NUMBER.search(token):
            flags |= _HAS_DIGIT
        if any(_YEAR_RUN.fullmatch(r) for r in runs):
            flags |= _HAS_YEAR
        words = SUBJECTIVITY_WORD.findall(token)
        capital = [int("A" <= w[0] <= "Z") for w in words]
        return (
            self.word_code.get(low, 0),
            self.matcher.token_code(low.replace("’", "'")),
            flags,
            sum(1 for r in runs if _CAPS_RUN.fullmatch(r)),
            len(words),
            sum(capital),
            capital[0] if capital else 0,
        )

    def stream(
        self, texts: Sequence[str], rows: np.ndarray, special: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids of the tokens of ``texts`` and the row of each (``rows[k]`` for ``texts[k]``).

        Each text's tokens are contiguous and in order; the texts with ``special`` set
        (holding :data:`CASE_SPECIAL_CHARS`) come after the others.
        """
        out_ids, out_rows = [], []
        for lowered in (False, True):
            pick = np.flatnonzero(special == lowered).tolist()
            if not pick:
                continue
            sub = [texts[k].lower() if lowered else texts[k] for k in pick]
            joined = joined_tokens(sub)
            if joined is None:  # every separator in the batch: one text at a time
                parts = [self.lookup(tokenize([t])[0], lowered) for t in sub]
                out_ids += parts
                out_rows += [np.full(len(p), rows[k]) for p, k in zip(parts, pick, strict=True)]
                continue
            ids = self.lookup(joined[0], lowered)
            is_sep = ids == 0
            local = np.cumsum(is_sep)
            keep = ~is_sep
            out_ids.append(ids[keep])
            out_rows.append(rows[np.asarray(pick, dtype=np.int64)][local[keep]])
        if not out_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(out_ids), np.concatenate(out_rows).astype(np.int64)


#: token tables of featurizers without a word vectoriser (or with one counted by sklearn)
_PLAIN_TOKEN_TABLES: dict[int, _TokenTable] = {}


def _token_table(vec: CountVectorizer | None, matcher: LexiconMatcher) -> _TokenTable:
    """The token table of a fitted word vectoriser (None: no word codes), built on first use."""
    if vec is None or not _plain_word_vectorizer(vec):
        table = _PLAIN_TOKEN_TABLES.get(id(matcher))
        if table is None or table.matcher is not matcher:
            _PLAIN_TOKEN_TABLES.clear()
            table = _PLAIN_TOKEN_TABLES[id(matcher)] = _TokenTable(None, matcher)
    else:
        words = _word_table(vec)
        table = words.tokens
        if table is None or table.matcher is not matcher:
            table = words.tokens = _TokenTable(words.code, matcher)
    if len(table.lowered) > table.LIMIT or table.chars > table.CHAR_LIMIT:
        # a new table rather than clearing this one: a batch in another thread may hold it
        table = _TokenTable(table.word_code or None, matcher)
        if vec is None or not _plain_word_vectorizer(vec):
            _PLAIN_TOKEN_TABLES[id(matcher)] = table
        else:
            _word_table(vec).tokens = table
    return table


def _row_or(values: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Per row, the bitwise or of the ``values`` of its tokens."""
    out = np.zeros(n_rows, dtype=np.int64)
    hit = np.flatnonzero(values)
    np.bitwise_or.at(out, rows[hit], values[hit])
    return out


def _row_sum(values: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Per row, the sum of the (small, non-negative integer) ``values`` of its tokens."""
    return np.bincount(rows, weights=values, minlength=n_rows).astype(np.int64)


@dataclass
class _Voices:
    """The writer-voice and quoted-voice text of a batch and the token streams of each.

    ``whole`` is as in ``_split_voices``. A stream is the table ids of the voice's tokens
    and the row of each: the sentence's own tokens where the voice is the whole sentence,
    the voice text's tokens where the sentence is split.
    """

    writer: list[str]
    whole: np.ndarray
    writer_ids: np.ndarray
    writer_rows: np.ndarray
    quoted_ids: np.ndarray
    quoted_rows: np.ndarray
    _writer_counts: sp.csr_matrix | None = None

    def writer_counts(self, batch: _Batch) -> sp.csr_matrix:
        """Weighted (lexicon:kind) counts of the writer voice (raw, computed once)."""
        if self._writer_counts is None:
            self._writer_counts = _kind_counts(batch, self.writer_ids, self.writer_rows)
        return self._writer_counts

    def quoted_counts(self, batch: _Batch) -> sp.csr_matrix:
        """Weighted (lexicon:kind) counts of the quoted voice (raw)."""
        return _kind_counts(batch, self.quoted_ids, self.quoted_rows)


@dataclass
class _Batch:
    """A batch of sentences tokenised once: token ids (``_TokenTable``) and rows."""

    table: _TokenTable
    special: np.ndarray
    ids: np.ndarray
    rows: np.ndarray
    voices: _Voices | None = None


def _batch(
    texts: list[str], in_quote: np.ndarray, vec: CountVectorizer | None, voices: bool
) -> _Batch:
    """Tokenise ``texts`` once; with ``voices``, split them into their voices too."""
    table = _token_table(vec, _matcher())
    special = case_special(texts)
    ids, rows = table.stream(texts, np.arange(len(texts), dtype=np.int64), special)
    batch = _Batch(table, special, ids, rows)
    if voices:
        batch.voices = _voice_streams(batch, texts, in_quote)
    return batch


def _voice_streams(batch: _Batch, texts: list[str], in_quote: np.ndarray) -> _Voices:
    """Split the batch into its voices; only split sentences are tokenised again."""
    writer, quoted, whole = _split_voices(texts, in_quote)
    whole_of = whole[batch.rows]
    split = np.flatnonzero(whole < 0)
    streams = []
    for which, voice in ((0, writer), (1, quoted)):
        own = whole_of == which
        parts = [voice[i] for i in split.tolist()]
        ids, rows = batch.table.stream(parts, split, case_special(parts))
        streams.append(
            (np.concatenate([batch.ids[own], ids]), np.concatenate([batch.rows[own], rows]))
        )
    (w_ids, w_rows), (q_ids, q_rows) = streams
    return _Voices(writer, whole, w_ids, w_rows, q_ids, q_rows)


def _kind_counts(batch: _Batch, ids: np.ndarray, rows: np.ndarray) -> sp.csr_matrix:
    matcher = batch.table.matcher
    counts = matcher.count_codes(batch.table.values[ids, 1], rows, len(batch.special))
    return matcher.kinds_of(counts)


def _batch_word_counts(vec: CountVectorizer, batch: _Batch, texts: list[str]) -> sp.csr_matrix:
    """``vec.transform(texts)``, counted for the whole batch from its tokens.

    ``CountVectorizer`` calls its analyzer and probes its vocabulary once per sentence and
    n-gram in Python; here each token has its code from the token table and bigrams are
    looked up as pairs of integers with numpy. The result has the same values and the same
    layout (sorted int32 indices): see ``count_matrix``.
    """
    if not _plain_word_vectorizer(vec):
        return vec.transform(texts)
    table = batch.table
    lowered, ids = table.lowered, batch.ids
    return _count_words(
        vec,
        _word_table(vec),
        table.values[ids, 0],
        batch.rows,
        len(texts),
        lambda i, n: [lowered[j] for j in ids[i : i + n].tolist()],
    )


def _writer_subjectivity(batch: _Batch, voices: _Voices, n: int) -> dict[str, np.ndarray]:
    """``subjectivity_columns`` of the writer voice, from its token stream."""
    values, ids, rows = batch.table.values, voices.writer_ids, voices.writer_rows
    gate_flags = _row_or((values[ids, 2] >> _SUBJECTIVITY_SHIFT) & 0xFF, rows, n)
    words = values[ids, 4]
    n_words = _row_sum(words, rows, n)
    capital = _row_sum(values[ids, 5], rows, n)
    # the first word of a row is in its first token with words (a row's tokens are
    # contiguous and in order in the stream)
    with_words = np.flatnonzero(words > 0)
    _, first = np.unique(rows[with_words], return_index=True)
    first_tokens = with_words[first]
    capital[rows[first_tokens]] -= values[ids[first_tokens], 6]
    writer = voices.writer
    for i in np.flatnonzero(case_special(writer)).tolist():
        # tokenised lowercased: the words and their capitals from the text itself
        found = SUBJECTIVITY_WORD.findall(writer[i])
        n_words[i] = len(found)
        capital[i] = sum(1 for w in found[1:] if "A" <= w[0] <= "Z")
    return subjectivity_columns(
        writer,
        kind_counts=voices.writer_counts(batch),
        gate_flags=gate_flags,
        word_counts=(n_words, capital),
    )
