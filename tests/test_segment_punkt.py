"""The segmenter's fast paths decide exactly as the code they replace (issue #5).

``biaskit.segment._NewsPunktTokenizer`` re-implements NLTK's test of each candidate sentence
break (``text_contains_sentbreak``) and the span pass around it on plain strings; these tests
hold it to NLTK's ``PunktSentenceTokenizer`` with the same parameters: every decision and every
span, on the corpus, on random news-like fragments and on arbitrary text. ``_newline_runs``
is held to the ``_NEWLINES`` pattern it replaces.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

from biaskit.segment import (
    _NEWLINES,
    _newline_runs,
    _NewsLanguageVars,
    _NewsPunktTokenizer,
    default_punkt_parameters,
    train_punkt,
)

ARTICLES = sorted((Path(__file__).resolve().parent.parent / "corpora" / "articles").glob("*/*.txt"))

# words that exercise each rule of Punkt: abbreviations, initials, numbers, ellipses,
# sentence starters, collocations, punctuation, quotes and every kind of white space
PIECES = [
    "Mr.", "U.S.", "p.m.", "J.", "A.", "e.g.", "etc.", "3.", "1990.", "12.5", "-3.", ".5.", "...",
    "..", "word..", "The", "the", "And", "he", "She", "They", "iPhone", "É.", "é.", "١٢.", "Ⅻ.",
    "x-ray.", "Gen.", "St.", "No.", "no.", ".", "?", "!", "?!", "”", "“", '"', "'", "’", ")", "(",
    "[", "]", ";", ":", ",", "-", "--", "—", "&", "#", "*", "@", "\n", "\n\n", " ", "  ", "\t",
    "\r\n", "\xa0", "\x0b", "said.", "Said.", "A", "a", "I.", "i.", "vs.", "Inc.", "Ltd.", "U.K.",
    "5", "10,000.", "$5.", "Jan.", "Sen.", "Dr.", "In", "But", "However,",
]  # fmt: skip


def _tokenizers(params: PunktParameters) -> tuple[PunktSentenceTokenizer, _NewsPunktTokenizer]:
    nltk_tok = PunktSentenceTokenizer(params, lang_vars=_NewsLanguageVars())
    return nltk_tok, _NewsPunktTokenizer(params, _NewsLanguageVars())


NLTK, FAST = _tokenizers(default_punkt_parameters())


def _vocabulary(params: PunktParameters) -> list[str]:
    """PIECES plus words the parameters know (so that their rules fire)."""
    words = [*PIECES]
    words += [a + "." for a in sorted(params.abbrev_types)[:150]]
    words += [w.capitalize() for w in sorted(params.sent_starters)[:80]]
    words += [w for pair in sorted(params.collocations)[:80] for w in pair]
    known = sorted(k for k, v in params.ortho_context.items() if v)[:200]
    return words + known + [w.capitalize() for w in known]


def _fragments(seed: int, n: int, vocabulary: list[str]) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 30)):
            parts.append(rng.choice(vocabulary))
            r = rng.random()
            parts.append(" " if r < 0.7 else "" if r < 0.85 else rng.choice(["\n", "  ", ". "]))
        texts.append("".join(parts))
    return texts


def _assert_same(nltk_tok: PunktSentenceTokenizer, fast: _NewsPunktTokenizer, text: str) -> None:
    for _, context in nltk_tok._match_potential_end_contexts(text):
        assert fast.text_contains_sentbreak(context) == nltk_tok.text_contains_sentbreak(
            context
        ), context
    assert fast.text_contains_sentbreak(text) == nltk_tok.text_contains_sentbreak(text), text
    assert list(fast.span_tokenize(text)) == list(nltk_tok.span_tokenize(text)), text


def test_the_corpus_is_there() -> None:
    assert len(ARTICLES) >= 100


def test_same_spans_on_the_corpus() -> None:
    for path in ARTICLES:
        text = path.read_text("utf-8")
        assert list(FAST.span_tokenize(text)) == list(NLTK.span_tokenize(text)), path.name


@pytest.mark.parametrize("seed", range(2))
def test_same_decisions_on_news_fragments(seed: int) -> None:
    for text in _fragments(seed, 800, _vocabulary(default_punkt_parameters())):
        _assert_same(NLTK, FAST, text)


def test_same_decisions_with_trained_parameters() -> None:
    params = train_punkt(path.read_text("utf-8") for path in ARTICLES[:40])
    nltk_tok, fast = _tokenizers(params)
    for text in _fragments(7, 600, _vocabulary(params)):
        _assert_same(nltk_tok, fast, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_same_decisions_on_unspaced_pieces(text: str) -> None:
    _assert_same(NLTK, FAST, text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_same_decisions_on_arbitrary_text(text: str) -> None:
    _assert_same(NLTK, FAST, text)


def test_without_realignment_it_is_nltk() -> None:
    text = "(He left.) She stayed. “Why?” he asked."
    assert list(FAST.span_tokenize(text, realign_boundaries=False)) == list(
        NLTK.span_tokenize(text, realign_boundaries=False)
    )


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t\f\v\xa0\r\nab.\u2028\x85\x1c", max_size=40))
def test_newline_runs_match_the_pattern(text: str) -> None:
    assert _newline_runs(text) == [m.span() for m in _NEWLINES.finditer(text)]


def test_falls_back_to_nltk_when_its_internals_move(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Should a future NLTK drop an internal the fast path reads, segmentation still works."""
    from biaskit import segment as seg

    text = (
        "Gov. Ana Ruiz said on Jan. 5 that the U.S. plan was late. “We will see,” she said. "
        "Prices rose 3.5% in May.\n\nA new paragraph starts here. It ends here."
    )
    fast = seg.NewsSegmenter().spans(text)

    def broken(self: object, *args: object, **kwargs: object) -> None:
        raise AttributeError("_word_tokenizer_re")

    monkeypatch.setattr(seg._NewsPunktTokenizer, "__init__", broken)
    slow_segmenter = seg.NewsSegmenter()
    assert slow_segmenter.spans(text) == fast
    assert type(slow_segmenter.tokenizer) is PunktSentenceTokenizer
    assert "NLTK internals changed" in caplog.text
