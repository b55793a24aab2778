"""Inputs and expected output of ``biaskit.analyze`` for ``test_analysis_equivalence.py``.

``analyze``'s own work (evidence, decisions, quotation parts, the table) and the segmenter
were sped up (issue #5) on the promise that the sentence table did not change: the same
columns and dtypes, every value (nested evidence and attribution lists, probabilities bit for
bit). This module writes what ``analyze`` returned, before that work, to
``tests/data/analysis_expected.json``:

- the awkward texts of ``attribution_fixture`` as one batch, with and without evidence: the
  whole table of the first ``FULL`` texts (so that a failure can be read), a hash of all;
- the seeded random texts of ``attribution_fixture`` as one batch: a hash;
- every corpus article: a hash per article (compared by a test marked slow).

Regenerate (only when a change of output is intended, and say so in the commit)::

    python tests/analysis_fixture.py
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from attribution_fixture import AWKWARD, random_inputs, write_fixture

import biaskit
from biaskit.corpus import load

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "analysis_expected.json"
#: awkward texts whose whole table is stored
FULL = 30


def plain(value: Any) -> Any:
    """A JSON-ready copy of a table value: missing as None, NaN as "NaN", numpy as Python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    return value


def table(out: pd.DataFrame) -> dict[str, Any]:
    """Columns, dtypes and rows of an ``analyze`` table, JSON-ready."""
    return {
        "columns": list(out.columns),
        "dtypes": [str(t) for t in out.dtypes],
        "rows": [plain(row) for row in zip(*(out[c].tolist() for c in out.columns), strict=True)]
        if len(out.columns)
        else [],
    }


def digest(value: Any) -> str:
    """A short, stable hash of a JSON-ready value (floats by their repr: exact)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def awkward_texts() -> list[str]:
    """The awkward texts of the attribution fixture (the empty ones make no sentence)."""
    return list(AWKWARD)


def random_texts() -> list[str]:
    """The seeded random texts of the attribution fixture."""
    return [text for text, _ in random_inputs()]


def corpus_documents() -> pd.DataFrame:
    """Every corpus article (documents table)."""
    docs, _ = load(ROOT / "corpora")
    return docs


def shipped_model_version() -> str:
    """The version of the shipped default model (the fixture holds its probabilities)."""
    return str(biaskit.analyze("A sentence.")["model_version"].iloc[0])


def run(docs: Any, **kwargs: Any) -> dict[str, Any]:
    """``analyze`` with the shipped model, JSON-ready."""
    return table(biaskit.analyze(docs, **kwargs))


def build() -> dict[str, Any]:
    """The fixture: what ``analyze`` returns on every input."""
    awkward = awkward_texts()
    full = run(awkward[:FULL])
    corpus = corpus_documents()
    out = biaskit.analyze(corpus, keep=("published", "topic"))
    per_doc = {
        str(d): digest(table(g)) for d, g in out.groupby("doc_id", sort=True)
    }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "about": "expected analyze output; regenerate: python tests/analysis_fixture.py",
        "generated_at_commit": commit,
        "model_version": shipped_model_version(),
        "awkward_full": full,
        "awkward": digest(run(awkward)),
        "awkward_no_evidence": digest(run(awkward, evidence=False)),
        "random": digest(run(random_texts())),
        "corpus": {
            "columns": list(out.columns),
            "dtypes": [str(t) for t in out.dtypes],
            "documents": per_doc,
        },
    }


def main() -> int:
    """Write the fixture."""
    return write_fixture(FIXTURE, build())


if __name__ == "__main__":
    raise SystemExit(main())
