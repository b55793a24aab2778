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


# --- the speed shortcuts of attribution.py stay in step with the patterns they guard


def _verb_alternatives(pattern) -> list[str]:
    """The words of a pattern's ``(?P<verb>…)`` group (auxiliaries dropped)."""
    import re

    source = pattern.pattern
    start = source.index("(?P<verb>") + len("(?P<verb>")
    depth, end = 1, start
    while depth:  # to the parenthesis that closes the group
        depth += {"(": 1, ")": -1}.get(source[end], 0)
        end += 1
    group = re.sub(r"\(\?:", "(", source[start : end - 1])
    return [w for w in re.findall(r"[a-z]+", group) if w not in {"has", "have", "had"}]


@pytest.mark.parametrize(
    "pattern, stems",
    [("_ESTIMATE", "_ESTIMATE_STEMS"), ("_NAMING", "_NAMING_STEMS"), ("_DOC_VERB", "_DOC_VERB_STEMS")],
)
def test_every_verb_of_a_pattern_holds_a_prefilter_stem(pattern, stems):
    from biaskit import attribution as A

    verbs = _verb_alternatives(getattr(A, pattern))
    assert len(verbs) >= 5
    missing = [v for v in verbs if not any(stem in v for stem in getattr(A, stems))]
    assert not missing, f"{pattern} matches verbs its prefilter {stems} skips: {missing}"


@pytest.mark.parametrize("name", ["_ROLE", "_NEGATED", "_PASSIVE_AUX"])
def test_case_insensitive_shortcut_patterns_have_lowercase_literals(name):
    # _search_ci searches the lowered text with the case-sensitive twin on ASCII input: exact
    # only if the pattern has no uppercase literal or class
    import re

    from biaskit import attribution as A

    ci, cs = getattr(A, name), getattr(A, name + "_CS")
    assert ci.flags & re.IGNORECASE and not cs.flags & re.IGNORECASE
    assert ci.pattern == cs.pattern
    # uppercase letters outside escapes (\A, \S, \W, \B, \D) and group names
    source = re.sub(r"\\[A-Za-z]|\(\?P<\w+>", "", ci.pattern)
    assert not re.search(r"[A-Z]", source), f"{name} has uppercase literals"
