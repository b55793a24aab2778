"""The attribution rules give, field for field, the output recorded before they were sped up.

``tests/data/attribution_expected.json`` holds what ``extract_article`` returned at the commit
it names (before the issue #5 speed work) on every corpus article, on awkward texts and on
seeded random texts; ``tests/attribution_fixture.py`` builds the inputs and the fixture (see
its docstring). Every field of every attribution is compared: kind, rule, the cue, source
and content spans and their texts, source type, entity, cue weight and frame.
"""

from __future__ import annotations

import json

import pytest
from attribution_fixture import (
    FIELDS,
    FIXTURE,
    corpus_inputs,
    digest,
    joined_input,
    random_inputs,
    run,
)

EXPECTED = json.loads(FIXTURE.read_text("utf-8"))
REGENERATE = "regenerate only for an intended change: python tests/attribution_fixture.py"


def test_fixture_fields_match():
    assert EXPECTED["fields"] == list(FIELDS)


@pytest.fixture(scope="module")
def corpus():
    return corpus_inputs()


def test_every_corpus_article(corpus):
    # articles added to the corpus after the fixture are not in it (the span gate covers
    # them); the recorded ones must all still be there, with the same sentences
    recorded = {d: corpus[d] for d in EXPECTED["corpus"] if d in corpus}
    missing = sorted(set(EXPECTED["corpus"]) - set(recorded))
    assert not missing, f"corpus articles removed since the fixture: {missing[:10]}"
    changed_input = [d for d, (doc, sp) in recorded.items()
                     if digest([doc, [list(x) for x in sp]]) != EXPECTED["corpus"][d]["input"]]
    assert not changed_input, f"corpus articles edited since the fixture: {changed_input}"
    differ = [d for d, (doc, sp) in recorded.items()
              if digest(run(doc, sp)) != EXPECTED["corpus"][d]["output"]]
    assert not differ, f"attributions differ on {len(differ)} articles: {differ[:10]}; {REGENERATE}"


@pytest.mark.parametrize("doc_id", sorted(EXPECTED["corpus_full"]))
def test_corpus_article_in_full(corpus, doc_id):
    doc, spans = corpus[doc_id]
    got = run(doc, spans)
    for k, (g, x) in enumerate(zip(got, EXPECTED["corpus_full"][doc_id], strict=True)):
        s, e = spans[k]
        assert g == x, f"sentence {k}: {doc[s:e]!r}"


@pytest.mark.parametrize(
    "case", EXPECTED["texts"], ids=[f"{i}:{c['text'][:30]!r}" for i, c in enumerate(EXPECTED["texts"])]
)
def test_awkward_text(case):
    spans = [tuple(x) for x in case["spans"]]
    assert run(case["text"], spans) == case["expected"]
    assert digest(run(case["text"], spans, with_matches=False)) == case["no_matches"]


def test_awkward_texts_as_one_article():
    doc, spans = joined_input()
    assert [digest(run(doc, spans, wm)) for wm in (True, False)] == EXPECTED["joined"]


def test_random_texts():
    assert EXPECTED["random"]["count"] == len(random_inputs())
    got = [digest(run(t, sp)) for t, sp in random_inputs()]
    differ = [i for i, (g, x) in enumerate(zip(got, EXPECTED["random"]["outputs"], strict=True))
              if g != x]
    assert not differ, f"random texts {differ[:10]} differ; {REGENERATE}"
