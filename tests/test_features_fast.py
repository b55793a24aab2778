"""The batch featurizer gives bit for bit the matrix of its per-sentence reference.

``SentenceFeaturizer.transform`` counts n-grams and lexicon entries for the whole batch and
runs most structural regexes only on rows a cheap test lets through (issue #5). The shipped
model was trained on the per-sentence implementation, so the matrix must not change in any
bit, nor in the order of a row's stored entries (a sparse product sums them in that order).
The reference below is that implementation, kept verbatim: sklearn's ``CountVectorizer`` for
the word n-grams, the matcher's ``vectorizer`` (its ``_candidate_ngrams`` analyzer) for the
lexicon counts, and the former pandas/regex code for the structural and subjectivity columns.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import biaskit
from biaskit import features as F
from biaskit import subjectivity as S
from biaskit.corpus import load
from biaskit.features import SentenceFeaturizer
from biaskit.lexicons import (
    _FAST_TOKEN_RE,
    _TOKEN_RE,
    CASE_SPECIAL_CHARS,
    default_matcher,
    load_lexicon,
    tokenize,
    word_runs,
)

# ---------------------------------------------------------------- the reference implementation

_QUOTE_CHARS = re.compile("[\"“”„«»'‘’]")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")


def _ref_kind_counts(texts: list[str]) -> sp.csr_matrix:
    m = default_matcher()
    return (m.vectorizer.transform(texts) @ m.term_kind).tocsr()


def _ref_subjectivity(writer: list[str], kind_counts: sp.csr_matrix | None) -> dict:
    writer = [str(t) for t in writer]

    def density() -> np.ndarray:
        matcher = default_matcher()
        cols = [
            j for j, k in enumerate(matcher.kind_names) if k.split(":")[0] in S._EVALUATIVE_LEXICONS
        ]
        counts = _ref_kind_counts(list(writer)) if kind_counts is None else kind_counts
        weighted = np.asarray(counts[:, cols].sum(axis=1)).ravel()
        n_words = np.array([len(S._WORD.findall(t)) for t in writer], dtype=float)
        return np.minimum(np.divide(weighted, np.maximum(n_words, 1.0)) * 4, 1.0)

    def name_share(text: str) -> float:
        words = S._WORD.findall(text)[1:]
        if not words:
            return 0.0
        return sum(1 for w in words if "A" <= w[0] <= "Z") / len(words)

    cols = {
        "wv_first_person": np.array([S._first_person(t) for t in writer], dtype=float),
        "wv_second_person": np.array(
            [float(bool(S._SECOND_PERSON.search(t))) for t in writer], dtype=float
        ),
        "wv_deontic_modal": np.array(
            [float(bool(S._DEONTIC.search(t))) for t in writer], dtype=float
        ),
        "wv_question": np.array([float("?" in t) for t in writer], dtype=float),
        "wv_exclamation": np.array([float("!" in t) for t in writer], dtype=float),
        "wv_evaluative_density": density() if writer else np.zeros(0, dtype=float),
        "wv_name_share": np.array([name_share(t) for t in writer], dtype=float),
    }
    return {name: cols[name] for name in S.SUBJECTIVITY_FEATURES}


def _ref_structure(feat, frame, writer=None, writer_counts=None) -> np.ndarray:
    text = frame["text"]
    n_words = text.str.count(r"\S+").to_numpy(dtype=float)
    speech = F._speech_verbs()
    texts = text.tolist()
    cols = {
        "in_quote": frame["in_quote"].to_numpy(dtype=float),
        "fully_quoted": (frame["in_quote"].to_numpy(dtype=float) >= 0.999).astype(float),
        "has_quote_mark": np.array(
            [bool(_QUOTE_CHARS.search(t)) and bool(F._QUOTE_MARKS.search(t)) for t in texts],
            dtype=float,
        ),
        "starts_with_quote": text.str.match(r"^[\"“‘'«„]").to_numpy(dtype=float),
        "quote_then_speech_verb": np.array(
            [F._has_verb(F._AFTER_QUOTE, t, speech) for t in text], dtype=float
        ),
        "speech_verb_then_quote": np.array(
            [F._verb_before_quote(t, speech) for t in text], dtype=float
        ),
        "has_number": text.str.contains(F._NUMBER).to_numpy(dtype=float),
        "has_date": text.str.contains(F._MONTH_DAY).to_numpy(dtype=float),
        "is_headline": frame["is_headline"].to_numpy(dtype=float),
        "headline_colon": (
            frame["is_headline"].to_numpy(dtype=bool)
            & text.str.contains(F._HEADLINE_COLON).to_numpy(dtype=bool)
        ).astype(float),
        "first_sentence": (frame["sent_id"].to_numpy(dtype=float) <= 1).astype(float),
        "paragraph_pos": np.minimum(frame["paragraph"].to_numpy(dtype=float), 20) / 20,
        "log_words": np.log1p(n_words) / 4,
        "short": (n_words <= 6).astype(float),
        "first_person": text.str.contains(F._FIRST_PERSON).to_numpy(dtype=float),
        "second_person": text.str.contains(F._SECOND_PERSON).to_numpy(dtype=float),
        "question": text.str.contains(r"\?").to_numpy(dtype=float),
        "exclamation": text.str.contains("!").to_numpy(dtype=float),
        "caps_words": np.minimum(text.str.count(_CAPS_WORD).to_numpy(dtype=float), 3) / 3,
        "no_final_punct": (~text.str.contains(r"[.!?][\"”’')\]]*\s*$")).to_numpy(dtype=float),
        "colon": text.str.contains(":").to_numpy(dtype=float),
        "url_or_handle": text.str.contains(r"https?://|www\.|@\w|\.com\b").to_numpy(dtype=float),
    }
    if getattr(feat, "subjectivity_", False):
        if writer is None:
            writer, _ = feat._voices(texts, frame["in_quote"].to_numpy(dtype=float))
            writer_counts = None
        cols.update(_ref_subjectivity(writer, writer_counts))
    return np.column_stack(list(cols.values()))


def reference_transform(feat: SentenceFeaturizer, X) -> sp.csr_matrix:
    """``SentenceFeaturizer.transform`` as it was before the batch version."""
    frame = feat._check(X)
    texts = frame["text"].tolist()
    blocks = []
    writer = lw = lq = None
    if feat.use_words:
        blocks.append(feat.word_vectorizer_.transform(texts))
        if feat.char_ngrams:
            blocks.append(feat.char_vectorizer_.transform(texts))
    if feat.use_lexicons:
        writer, quoted = feat._voices(texts, frame["in_quote"].to_numpy(dtype=float))
        lw = _ref_kind_counts(writer)
        lq = _ref_kind_counts(quoted)
    struct = (
        sp.csr_matrix(_ref_structure(feat, frame, writer=writer, writer_counts=lw))
        if feat.use_structure
        else None
    )
    if lw is not None and lq is not None:
        lw.data = np.log1p(lw.data) * feat.lexicon_scale
        lq.data = np.log1p(lq.data) * feat.lexicon_scale
        blocks += [lw, lq]
    if struct is not None:
        blocks.append(struct)
    if not blocks:
        return sp.csr_matrix((len(texts), 0))
    return sp.hstack(blocks, format="csr")


def assert_same_csr(new: sp.csr_matrix, ref: sp.csr_matrix) -> None:
    """Same shape, dtypes and stored arrays: the same bits in the same order."""
    assert new.shape == ref.shape
    for name in ("data", "indices", "indptr"):
        a, b = getattr(new, name), getattr(ref, name)
        assert a.dtype == b.dtype, name
        if not np.array_equal(a, b):
            rows = np.flatnonzero(new.indptr != ref.indptr)
            if len(rows):
                raise AssertionError(f"{name} differ (row {rows[0] - 1} has other entries)")
            at = np.flatnonzero(a != b)[0]
            row = int(np.searchsorted(ref.indptr, at, side="right")) - 1
            raise AssertionError(f"{name} differ (first in row {row})")


# ---------------------------------------------------------------- awkward and random inputs

AWKWARD = [
    "",
    " ",
    "...",
    "?!",
    "“”",
    "\"'",
    "a",
    "I",
    "US",
    "us",
    "Us",
    "uS",
    "We",
    "YOU",
    "You're right, we’re wrong; I'm sure.",
    "I.e. the plan, i.e. (i) and (ii).",
    "The US and us: what we owe.",
    "“We must act now,” the mayor said.",
    "“We must act now,” the mayor said. “And you should too!”",
    '"Unclosed quotation runs on',
    "closing only” he said, “and another",
    "‘Single curly’ and ’90s and rock ’n’ roll",
    "It's the group's plan — 'quoted' — Qur'an",
    "«Guillemets» et „German“ and ‹single›",
    "»Reversed« marks",
    "Report: the vote failed",
    "ELECTION 2024: NATO and the EU agree",
    "NATO-led, U.S.-backed, covid-19, e-mail, so-called “experts”",
    "Visit https://example.com or www.site.org, mail @handle, see x.com now",
    "HTTP://SHOUTING.COM",
    "On 12 March 2024, on Monday, yesterday and TODAY, in Sepember.",
    "In 19999 or 1999a or a1999 or _2024 or 2024_ or ٢٠٢٤ or ２０２４.",
    "İstanbul İS İI; dotless ı; long ſ as in ſhould; Kelvin \u212a as in \u212aEEP, wee\u212a, \u212aelvin; ΣΑΣ ΟΔΥΣΣΕΥΣ.",
    "Yourſ truly, ſhould muſt; frİday; ıou",
    "tabs\tand\nnewlines\r\nand\x0bvertical\x1cfile\x1dsep\x1e\x1f\x85\u2028\u2029 end.",
    "non\u00a0breaking\u2009thin\u3000ideographic .",
    'Ends with closers.")]  \n ',
    "Ends with closers?’  ",
    "Ends without",
    "under_score _we_ we_ _us",
    "straße STRASSE Straße ǅemal ǆ ǄEMAL ﬁnance ﬀ",
    "emoji 🙂 and 𝐁𝐨𝐥𝐝 and ＦＵＬＬＷＩＤＴＨ",
    "NUL\x00inside\x00text",
    "According to sources, reportedly, allegedly; according to",
    "he told reporters he had better go; she needs to; they need to; ought to",
    "shouldn’t mustn't should n't we're you’ve I’ll",
    "Sadly, this reckless plan is a disgrace!",
    "'' '' ' ' ’’ ‘‘",
    "--- -a- a- -a 'a' ’a’ a' a’ a-'b b'-c",
    "x" * 3000,
    " ".join(["word"] * 2000) + ".",
]

# every gate word's awkward forms, alone in the writer's voice, in a sentence split between
# the voices, and inside the quotation
# fmt: off
GATE_FORMS = [
    "shouldn’t", "shouldn't", "mustn’t", "must", "ought", "needs to", "need to", "had better",
    "I’m", "I'd", "I", "i", "we’re", "We'll", "us", "Us", "uS", "US", "our", "Ours", "me", "MY",
    "mine", "myself", "ourselves", "you’ve", "You", "your", "yours", "yourself", "yourselves",
    "Sepember", "sept", "MAY", "today", "2024", "٢٠٢٤", "friİday", "ſhould", "muſt", "\u212aeep",
]
# fmt: on
AWKWARD += [
    form
    for w in GATE_FORMS
    for form in (f"They {w} go.", f"“A quote,” they {w} go.", f"“They {w} go,” she said.")
]


def _pieces() -> list[str]:
    # fmt: off
    words = [
        "the", "said", "told", "reporters", "according", "to", "sources", "reportedly",
        "slammed", "I", "i", "US", "Us", "us", "we", "We", "our", "ours", "me", "MY", "you",
        "Your", "yours", "should", "shouldn", "must", "ought", "need", "needs", "had",
        "better", "March", "may", "MAY", "Sept", "sepember", "today", "Friday", "2024",
        "19", "٢٠٢٤", "NATO", "EU", "ABC", "AbC", "http", "https://a.b", "www.x.org",
        "@me", "x.com", "covid-19", "so-called", "don't", "won’t", "’90s", "rock’n’roll",
        "İ", "ı", "ſ", "\u212a", "Σ", "\u212aeep", "ΑΣ", "ß", "ǅ", "ﬁ", "_", "__init__", "a_b", "é",
        "e\u0301", "🙂", "Ⅻ", "½", "²",
    ]
    # fmt: on
    for name in ("loaded_terms", "reporting_verbs", "attribution_phrases", "hedges"):
        words += load_lexicon(name)["term"].head(40).tolist()
    return words


# fmt: off
SEPARATORS = [" ", " ", " ", "", "-", "'", "’", ", ", ". ", ": ", "? ", "! ", "\n", "\t",
              "\u00a0", " “", "” ", ' "', '" ', " ‘", "’ ", " «", "» ", "—", "…", "(", ")"]
# fmt: on


def random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = _pieces()
    out = []
    for _ in range(n):
        k = rng.choice([0, 1, 2, 3, 5, 8, 13, 30])
        parts = []
        for _ in range(k):
            w = rng.choice(words)
            w = rng.choice([w, w, w.upper(), w.lower(), w.title()])
            parts += [w, rng.choice(SEPARATORS)]
        out.append("".join(parts[: rng.randint(0, len(parts))] if rng.random() < 0.2 else parts))
    return out


def random_table(texts: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(texts)
    share = rng.choice([0.0, 0.0, 1.0, 0.5, np.nan], size=n)
    share[share == 0.5] = rng.random(int((share == 0.5).sum()))
    return pd.DataFrame(
        {
            "text": texts,
            "in_quote": share,
            "is_headline": rng.random(n) < 0.3,
            "sent_id": rng.integers(0, 4, n),
            "paragraph": rng.integers(0, 30, n),
        }
    )


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def model():
    return biaskit.load_model()


@pytest.fixture(scope="module")
def corpus_sentences() -> pd.DataFrame:
    return load(Path(__file__).resolve().parent.parent / "corpora")[1]


def test_shipped_featurizer_identical_on_corpus(model, corpus_sentences) -> None:
    feat = model.pipeline.named_steps["features"]
    cols = ["text", "in_quote", "is_headline", "sent_id", "paragraph"]
    X = feat.transform(corpus_sentences[cols])
    ref = reference_transform(feat, corpus_sentences[cols])
    assert_same_csr(X, ref)
    tagger = model.pipeline.named_steps["tagger"]
    assert np.array_equal(tagger.predict_proba(X), tagger.predict_proba(ref))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shipped_featurizer_identical_on_awkward_and_random_texts(model, seed) -> None:
    feat = model.pipeline.named_steps["features"]
    texts = AWKWARD + random_texts(400, seed)
    table = random_table(texts, seed)
    assert_same_csr(feat.transform(table), reference_transform(feat, table))
    # a plain list (no structure known; quote shares found) and a Series
    assert_same_csr(feat.transform(texts), reference_transform(feat, texts))
    assert_same_csr(feat.transform(pd.Series(texts)), reference_transform(feat, pd.Series(texts)))


@pytest.mark.parametrize(
    "params",
    [
        {"min_df": 1},
        {"min_df": 1, "word_ngrams": (1, 3)},
        {"min_df": 1, "word_ngrams": (2, 3), "lexicon_scale": 2.5},
        {"min_df": 1, "word_ngrams": (1, 1), "use_structure": False},
        {"min_df": 1, "use_words": False},
        {"min_df": 1, "use_lexicons": False},
        {"min_df": 2, "char_ngrams": (2, 3), "max_features": 500},
    ],
)
def test_other_settings_identical(corpus_sentences, params) -> None:
    train = random_table(AWKWARD + random_texts(300, 7), 7)
    train = pd.concat([train, corpus_sentences[train.columns].head(300)], ignore_index=True)
    feat = SentenceFeaturizer(**params).fit(train)
    test = random_table(AWKWARD + random_texts(300, 8), 8)
    assert_same_csr(feat.transform(test), reference_transform(feat, test))


def test_model_fitted_before_subjectivity_identical(model) -> None:
    feat = SentenceFeaturizer(min_df=1).fit(random_table(AWKWARD, 3))
    del feat.subjectivity_
    table = random_table(AWKWARD + random_texts(200, 4), 4)
    assert_same_csr(feat.transform(table), reference_transform(feat, table))


def test_empty_table() -> None:
    feat = SentenceFeaturizer(min_df=1).fit(random_table(AWKWARD, 5))
    empty = random_table([], 5)
    assert feat.transform(empty).shape == (0, feat.n_features_out_)
    assert_same_csr(feat.transform(empty), reference_transform(feat, empty))


def test_missing_text_is_a_schema_error() -> None:
    feat = SentenceFeaturizer(min_df=1).fit(random_table(AWKWARD, 6))
    table = random_table(["fine", "also fine"], 6)
    table["text"] = ["fine", None]
    with pytest.raises(ValueError, match="row 1"):
        feat.transform(table.assign(in_quote=0.0))


def test_lexicon_term_counts_match_the_vectorizer(corpus_sentences) -> None:
    m = default_matcher()
    texts = corpus_sentences["text"].tolist() + AWKWARD + random_texts(500, 9)
    assert_same_csr(m.term_counts(texts), m.vectorizer.transform(texts))
    assert_same_csr(m.kind_counts(texts), _ref_kind_counts(texts))


def test_subjectivity_columns_match_the_reference(corpus_sentences) -> None:
    texts = corpus_sentences["text"].tolist() + AWKWARD + random_texts(500, 10)
    new, ref = S.subjectivity_columns(texts), _ref_subjectivity(texts, None)
    assert list(new) == list(ref)
    for name in ref:
        assert np.array_equal(new[name], ref[name]), name


def test_fast_token_pattern_finds_the_same_tokens(corpus_sentences) -> None:
    texts = corpus_sentences["text"].tolist() + AWKWARD + random_texts(1000, 11)
    for t in texts:
        for s in (t, t.lower(), t.encode("ascii", "replace").decode()):
            assert _FAST_TOKEN_RE.findall(s) == _TOKEN_RE.findall(s), s
            assert tokenize([s]) == [_TOKEN_RE.findall(s)], s


def test_rewritten_patterns_agree_with_the_originals(corpus_sentences) -> None:
    texts = corpus_sentences["text"].tolist() + AWKWARD + random_texts(2000, 14)
    final = re.compile(r"[.!?][\"”’')\]]*\s*$")
    for t in texts:
        assert F._CAPS_WORD.findall(t) == re.findall(r"\b[A-Z]{3,}\b", t), t
        assert F._YEAR.findall(t) == re.findall(r"\b\d{4}\b", t), t
        assert F._final_punct(t) == bool(final.search(t)), t
        assert len(t.split()) == len(re.findall(r"\S+", t)), t
        assert F._has_quote_char(t) == bool(_QUOTE_CHARS.search(t)), t
        words = S._ASCII_WORD.findall(t) if t.isascii() else S._WORD.findall(t)
        assert words == S._WORD.findall(t), t


def test_word_runs_are_the_word_character_runs() -> None:
    texts = AWKWARD + random_texts(1000, 12)
    low = [t.lower() for t in texts]
    assert word_runs(tokenize(low)) == [re.findall(r"\w+", t) for t in low]


def test_gate_words_cover_every_match() -> None:
    # every match of a gated word regex, lowercased, is among its gate words
    texts = AWKWARD + random_texts(2000, 13)
    gates = [
        (F._MONTH_DAY, F._DATE, F._GATE_WORDS),
        (F._FIRST_PERSON, F._FIRST, F._GATE_WORDS),
        (F._SECOND_PERSON, F._SECOND, F._GATE_WORDS),
        (S._FIRST_PERSON, S._FIRST, S._GATE_WORDS),
        (S._SECOND_PERSON, S._SECOND, S._GATE_WORDS),
        (S._DEONTIC, S._DEONTIC_BIT, S._GATE_WORDS),
    ]
    for pattern, bit, table in gates:
        words = {w for w, b in table.items() if b & bit}
        for t in texts:
            if any(c in t for c in CASE_SPECIAL_CHARS):
                continue
            for m in pattern.finditer(t):
                runs = re.findall(r"\w+", m.group().lower())
                assert any(r in words for r in runs) or re.fullmatch(r"\d{4}", runs[0]), (
                    pattern.pattern,
                    m.group(),
                )


def test_case_special_chars_are_all_there_are() -> None:
    # the code points whose lowercasing changes length, word-character status or depends
    # on context, or that match an ASCII letter case-insensitively without lowercasing to it
    word, ascii_letter = re.compile(r"\w"), re.compile(r"[a-zA-Z]", re.IGNORECASE)
    found = []
    for cp in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        low = c.lower()
        if (
            len(low) != 1
            or low.isascii()
            or (word.match(c) is None) != (word.match(low) is None)
            or ("a" + c).lower()[1:] != low
            or ascii_letter.match(c)
        ):
            found.append(c)
    assert sorted(found) == sorted(CASE_SPECIAL_CHARS)


def test_whitespace_helpers_agree_with_the_regex_classes() -> None:
    # len(t.split()) stands for counting \S+, rstrip() for \s*$
    spaces = [chr(cp) for cp in range(sys.maxunicode + 1) if re.match(r"\s", chr(cp))]
    assert spaces == [chr(cp) for cp in range(sys.maxunicode + 1) if chr(cp).isspace()]


# ---------------------------------------------------------------- exact expected values


def test_exact_values_of_a_small_table() -> None:
    train = pd.DataFrame(
        {
            "text": ["The mayor said no.", "The mayor said yes.", "We must act!"],
            "in_quote": [0.0, 0.0, 0.0],
            "is_headline": [False, False, False],
            "sent_id": [1, 2, 3],
            "paragraph": [1, 1, 2],
        }
    )
    feat = SentenceFeaturizer(min_df=2).fit(train)
    names = list(feat.get_feature_names_out())
    words = [n for n in names if n.startswith("word:")]
    assert words == ["word:mayor", "word:mayor said", "word:said", "word:the", "word:the mayor"]
    test = pd.DataFrame(
        {
            "text": ["THE MAYOR SAID, “we must act.”", "Said the mayor", ""],
            "in_quote": [np.nan, 0.0, 0.0],
            "is_headline": [True, False, False],
            "sent_id": [1, 5, 6],
            "paragraph": [1, 40, 3],
        }
    )
    X = feat.transform(test)
    row = dict(zip(names, X.toarray()[0], strict=True))
    assert [row[w] for w in words] == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert row["struct:in_quote"] == pytest.approx(14 / 30, abs=1e-4)
    assert row["struct:speech_verb_then_quote"] == 1.0
    assert row["struct:has_quote_mark"] == 1.0
    assert row["struct:first_person"] == 1.0  # "we" inside the quotation
    assert row["struct:wv_first_person"] == 0.0  # not in the writer's voice
    assert row["struct:wv_deontic_modal"] == 0.0
    assert row["struct:caps_words"] == 1.0
    assert row["struct:no_final_punct"] == 0.0
    assert row["struct:log_words"] == pytest.approx(np.log1p(6) / 4)
    row2 = dict(zip(names, X.toarray()[1], strict=True))
    assert [row2[w] for w in words] == [1.0, 0.0, 1.0, 1.0, 1.0]  # no "mayor said" here
    assert row2["struct:paragraph_pos"] == 1.0
    assert row2["struct:no_final_punct"] == 1.0
    assert row2["struct:short"] == 1.0
    lex = [n for n in names if n.startswith("lex:") and n.endswith(":writer")]
    assert row2[lex[[n.split(":")[2] for n in lex].index("speech")]] == pytest.approx(
        np.log1p(1.0) * feat.lexicon_scale
    )
    assert X[2].nnz == sum(
        1 for n, v in zip(names, X.toarray()[2], strict=True) if v != 0 and n.startswith("struct:")
    )
    assert X[2, names.index("struct:no_final_punct")] == 1.0


def test_exact_lexicon_counts_with_overlaps() -> None:
    m = default_matcher()
    X = m.term_counts(["According to sources, according to SOURCES it reportedly fell", ""])
    got = {m._keys[j]: X[0, j] for j in X[0].indices}
    assert got["according to"] == 2.0
    assert got["according to sources"] == 2.0
    assert got["reportedly"] == 1.0
    assert X[1].nnz == 0
    assert np.all(np.diff(X.indices[X.indptr[0] : X.indptr[1]]) > 0)


# ---------------------------------------------------------------- the token table and matches


def test_identical_when_the_batch_holds_every_separator(model) -> None:
    # the batch is tokenised joined by a character it does not hold; with all of them in it,
    # one text at a time
    feat = model.pipeline.named_steps["features"]
    texts = AWKWARD + random_texts(100, 15)
    texts[3] = "all separators: " + F.SEPARATORS + " end"
    table = random_table(texts, 15)
    assert_same_csr(feat.transform(table), reference_transform(feat, table))
    table = random_table([F.SEPARATORS[:k] + "We said so" for k in range(4)], 16)
    assert_same_csr(feat.transform(table), reference_transform(feat, table))


def test_identical_after_the_token_table_starts_over(model, monkeypatch) -> None:
    # a full token table is replaced by a new one; batches see the same features
    feat = model.pipeline.named_steps["features"]
    monkeypatch.setattr(F._TokenTable, "LIMIT", 50)
    for seed in (17, 18):
        table = random_table(AWKWARD + random_texts(200, seed), seed)
        assert_same_csr(feat.transform(table), reference_transform(feat, table))


def test_identical_from_threads(model) -> None:
    from concurrent.futures import ThreadPoolExecutor

    feat = SentenceFeaturizer(min_df=1).fit(random_table(AWKWARD + random_texts(300, 19), 19))
    tables = [random_table(AWKWARD + random_texts(300, s), s) for s in range(20, 26)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(feat.transform, tables))
    for X, table in zip(got, tables, strict=True):
        assert_same_csr(X, reference_transform(feat, table))


def test_token_added_by_another_thread_between_probe_and_lock() -> None:
    # the interleaving that raised ValueError: thread A probes and misses "zzq", thread B
    # adds it, then A takes the lock with nothing left to add
    from biaskit import features as F

    table = F._TokenTable(None, F._matcher())
    table.lookup(["zzq"], False)
    ids = np.array([-1])
    table._add(["zzq"], ids, np.array([0]), table.index[False], False)
    assert ids.tolist() == table.lookup(["zzq"], False).tolist()


def test_unseen_tokens_from_threads_started_together() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    feat = SentenceFeaturizer(min_df=1).fit(random_table(AWKWARD, 3))
    # every thread transforms the same batch of tokens none of them has seen
    table = random_table([f"Qx{i}zz said the qy{i}ww plan was reckless." for i in range(400)], 5)
    expected = reference_transform(feat, table)
    barrier = threading.Barrier(6)

    def run(_: int):
        barrier.wait()
        return feat.transform(table)

    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(run, range(6)))
    for X in got:
        assert_same_csr(X, expected)


def test_long_tokens_count_against_the_table_limit(monkeypatch) -> None:
    from biaskit import features as F

    monkeypatch.setattr(F._TokenTable, "CHAR_LIMIT", 10_000)
    feat = SentenceFeaturizer(min_df=1).fit(random_table(AWKWARD, 3))
    blob = random_table([f"data {'x' * 3000}{i} end" for i in range(8)], 7)
    assert_same_csr(feat.transform(blob), reference_transform(feat, blob))
    vec = feat.word_vectorizer_
    assert F._plain_word_vectorizer(vec)
    used = F._word_table(vec).tokens
    assert used.chars > 10_000
    # the next batch starts a new table instead of keeping the long tokens
    fresh = F._token_table(vec, F._matcher())
    assert fresh is not used and fresh.chars == 0
    assert_same_csr(feat.transform(blob), reference_transform(feat, blob))


def _ref_matches(m, text: str, offset: int = 0) -> list[dict]:
    """``LexiconMatcher.matches`` as it was before issue #5's batch work (match objects)."""
    ms = list(_TOKEN_RE.finditer(text))
    if "\u0130" in text or "\u03a3" in text:
        words = [x.group().lower().replace("’", "'") for x in ms]
    else:
        low = text.lower().replace("’", "'")
        words = [low[x.start() : x.end()] for x in ms]
    found, nxt = [], 0
    for i in [i for i, w in enumerate(words) if w in m._starts]:
        if i < nxt:
            continue
        gram = words[i]
        n = 1 if gram in m.entries else 0
        for j in range(i + 1, min(i + m._starts[gram], len(words))):
            gram = f"{gram} {words[j]}"
            if gram not in m._prefixes:
                break
            if gram in m.entries:
                n = j - i + 1
        if n == 0:
            continue
        s, e = ms[i].start(), ms[i + n - 1].end()
        for en in m.entries[" ".join(words[i : i + n])]:
            found.append(
                {"lexicon": en.lexicon, "kind": en.kind, "weight": en.weight,
                 "term": text[s:e], "start": offset + s, "end": offset + e}
            )
        nxt = i + n
    return found


def test_matches_identical_to_the_reference(corpus_sentences) -> None:
    m = default_matcher()
    texts = corpus_sentences["text"].tolist() + AWKWARD + random_texts(3000, 27)
    texts += [f"{t} according to sources. {t.upper()}" for t in AWKWARD]
    for t in texts:
        assert m.matches(t, offset=7) == _ref_matches(m, t, offset=7), t


def test_batch_matches_identical_to_the_reference(corpus_sentences) -> None:
    m = default_matcher()
    texts = corpus_sentences["text"].tolist() + AWKWARD + random_texts(3000, 28)
    texts += [f"{t} according to sources. {t.upper()}" for t in AWKWARD]
    offsets = list(range(len(texts)))
    expected = [_ref_matches(m, t, offset=o) for t, o in zip(texts, offsets, strict=True)]
    assert m.matches_many(texts, offsets) == expected
    assert m.matches_many(texts) == [_ref_matches(m, t) for t in texts]
    assert m.matches_many([]) == []
    # every separator character in the batch: one text at a time
    texts = [*texts[:50], "sources said " + F.SEPARATORS]
    assert m.matches_many(texts) == [_ref_matches(m, t) for t in texts]
