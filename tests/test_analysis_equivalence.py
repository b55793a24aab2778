"""``analyze`` returns the table recorded in ``tests/data/analysis_expected.json``.

The fixture was first recorded before the issue #5 speed work on evidence, decisions,
quotation parts, table assembly and segmentation, which had to leave it unchanged; it is
re-recorded only for an intended change of output (a retrained model, a rule change), at the
commit and for the model it names. ``tests/analysis_fixture.py`` builds the inputs and the
fixture (see its docstring). Columns, dtypes and every value are compared, nested evidence and attribution
lists included; floats by their repr (bit for bit).
"""

from __future__ import annotations

import json

import pytest
from analysis_fixture import (
    FIXTURE,
    FULL,
    awkward_texts,
    corpus_documents,
    digest,
    random_texts,
    run,
    shipped_model_version,
    table,
)

import biaskit

EXPECTED = json.loads(FIXTURE.read_text("utf-8"))
REGENERATE = "regenerate only for an intended change: python tests/analysis_fixture.py"


def test_fixture_is_for_the_shipped_model():
    # the tables hold the model's probabilities: a retrained model changes them all
    assert EXPECTED.get("model_version") == shipped_model_version(), (
        "the shipped model changed since the fixture was recorded; after `make model`, "
        "check the change and regenerate: python tests/analysis_fixture.py"
    )


def test_awkward_texts_whole_table():
    got = run(awkward_texts()[:FULL])
    expected = EXPECTED["awkward_full"]
    assert got["columns"] == expected["columns"]
    assert got["dtypes"] == expected["dtypes"]
    assert len(got["rows"]) == len(expected["rows"])
    for k, (row, want) in enumerate(zip(got["rows"], expected["rows"], strict=True)):
        assert row == want, f"row {k} ({row[5]!r}); {REGENERATE}"


@pytest.mark.parametrize("evidence", [True, False])
def test_awkward_texts(evidence):
    key = "awkward" if evidence else "awkward_no_evidence"
    assert digest(run(awkward_texts(), evidence=evidence)) == EXPECTED[key], REGENERATE


def test_random_texts():
    assert digest(run(random_texts())) == EXPECTED["random"], REGENERATE


@pytest.mark.slow
def test_every_corpus_article():
    out = biaskit.analyze(corpus_documents(), keep=("published", "topic"))
    expected = EXPECTED["corpus"]
    assert list(out.columns) == expected["columns"]
    assert [str(t) for t in out.dtypes] == expected["dtypes"]
    got = {str(d): digest(table(g)) for d, g in out.groupby("doc_id", sort=True)}
    # articles added to the corpus after the fixture are not in it; the recorded ones must
    # all give the same table
    changed = [d for d, h in expected["documents"].items() if got.get(d) != h]
    assert not changed, f"{len(changed)} articles changed, e.g. {changed[:5]}; {REGENERATE}"
