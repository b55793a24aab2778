"""Statistical fixes of biaskit.comparison: studentized permutation test, degenerate
bootstrap tests, canonical resampling order, duplicates, boundary intervals,
small-sample widening; and list cells of pandas-written CSVs in ``biaskit compare``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_comparison import sent

from biaskit import cli
from biaskit.aggregate import articles
from biaskit.comparison import compare
from biaskit.errors import InputError


def table(outlets, sents, claims):
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(outlets))], "outlet": outlets,
                         "n_sentences": sents, "n_claims": claims})


# ------------------------------------------------------------------ 4. duplicates


def test_duplicate_sentence_is_an_error():
    s = pd.DataFrame([sent("a", "A", 0, claim=True), sent("a", "A", 1), sent("b", "B", 0)])
    with pytest.raises(InputError) as err:
        compare(pd.concat([s, s.iloc[1:2]]), metrics="claim_density")
    assert str(err.value) == (
        "sentence table: (doc_id, sent_id) ('a', 1) occurs more than once (1 duplicated key(s) "
        "in 2 rows); each sentence must be listed once (was the same data read twice?)")


# ------------------------------------------------------------------ 7. CLI list cells


def _scores_csv(tmp_path, rows):
    path = tmp_path / "scores.csv"
    pd.DataFrame(rows).to_csv(path, index=False)  # lists as Python reprs
    return path


def test_compare_reads_pandas_written_list_cells(tmp_path):
    rows = [sent(f"d{i}", "AB"[i % 2], 0, claim=True, attribution=True,
                 att=["reported_speech"], evidence=[{"tag": "claim", "kind": None}])
            for i in range(6)]
    path = _scores_csv(tmp_path, rows)
    loaded = cli._load_scores(str(path))
    assert loaded["attribution_kind"].tolist() == [["reported_speech"]] * 6
    assert loaded["evidence"].iloc[0] == [{"tag": "claim", "kind": None}]
    assert cli.main(["compare", str(path), "-o", str(tmp_path / "out"), "--no-figures"]) == 0


def test_unreadable_list_cell_names_column_row_and_value(tmp_path):
    rows = [sent("d0", "A", 0), sent("d1", "A", 0)]
    path = _scores_csv(tmp_path, rows)
    frame = pd.read_csv(path)
    frame.loc[1, "framing_kind"] = "[opinion"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        cli._load_scores(str(path))
    assert str(err.value) == (f"{path}: column 'framing_kind', data row 2: cannot read "
                              "'[opinion' as a list (expected JSON or a Python list literal)")


# ------------------------------------------------------------------ 8. outlet values


def test_list_outlets_are_an_input_error_naming_the_column():
    s = pd.DataFrame([sent("a", ["A"]), sent("b", ["B"])])
    with pytest.raises(InputError, match="column 'outlet' must hold scalars"):
        articles(s)


def test_blank_outlet_is_missing_like_nan():
    for value in ("", "  ", None):
        s = pd.DataFrame([sent("a", "A", 0), sent("b", value, 0)])
        with pytest.raises(InputError, match=r"outlet is missing or blank in row 1 \(doc_id 'b'\)"):
            articles(s)
    t = table(["A", "A", "", np.nan, "B", "B"], [10] * 6, [1, 2, 3, 4, 5, 6])
    out = compare(t, metrics="claim_density", min_articles=0)
    assert out["outlet"].tolist() == ["A", "B"]
    assert out["n_articles"].tolist() == [2, 2]
