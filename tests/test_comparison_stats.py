"""Statistical fixes of biaskit.comparison: studentized permutation test, degenerate
bootstrap tests, canonical resampling order, duplicates, boundary intervals,
small-sample widening; and list cells of pandas-written CSVs in ``biaskit compare``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_comparison import arts, sent

import biaskit.comparison as bc
from biaskit import cli
from biaskit.aggregate import articles
from biaskit.comparison import compare, pairwise
from biaskit.errors import InputError


def table(outlets, sents, claims):
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(outlets))], "outlet": outlets,
                         "n_sentences": sents, "n_claims": claims})


def simulated(rng, spec, mu=0.3, kappa=5.0):
    parts = []
    for name, n, lo, hi in spec:
        s = rng.integers(lo, hi + 1, n)
        p = rng.beta(mu * kappa, (1 - mu) * kappa, n)
        parts.append(pd.DataFrame({"doc_id": [f"{name}{i}" for i in range(n)], "outlet": name,
                                   "n_sentences": s, "n_claims": rng.binomial(s, p)}))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ 1. studentized permutation


def test_studentized_statistic_hand_computed():
    num = np.array([1.0, 3, 2, 4, 6])
    den = np.array([10.0, 10, 5, 10, 20])

    def sums(sel):
        x, d = num[sel, None], den[sel, None]
        return np.hstack([x, d, x * x, x * d, d * d]).sum(axis=0)[None, :]

    a, b = np.arange(3), np.arange(3, 5)
    t = bc._studentized([(sums(a), sums(b), 3, 2)], np.ones(1), 1)[0, 0]

    def rate_var(sel):
        r = num[sel].sum() / den[sel].sum()
        n = len(sel)
        return r, n / (n - 1) * ((num[sel] - r * den[sel]) ** 2).sum() / den[sel].sum() ** 2

    (ra, va), (rb, vb) = rate_var(a), rate_var(b)
    assert t == pytest.approx((ra - rb) / math.sqrt(va + vb), rel=1e-12)


def test_permutation_test_keeps_its_level_when_article_lengths_differ():
    # equal true rates; A 20 short articles, B 300 long: permuting raw differences
    # rejected in 28% of tests at 5%
    rng = np.random.default_rng(77)
    rejections = 0
    for r in range(100):
        t = simulated(rng, [("A", 20, 1, 3), ("B", 300, 30, 60)])
        row = pairwise(t, metrics="claim_density", n_boot=50, n_perm=200, random_state=r,
                       min_articles=20).iloc[0]
        rejections += row["p_value"] < 0.05
    assert rejections <= 12


def test_permutation_test_of_zero_spread_outlets_is_not_significant():
    # 2 articles per outlet, every article at its outlet's rate: 2 of the 6
    # relabellings are as extreme as the data, so p is about 1/3
    t = table(list("AABB"), [10] * 4, [1, 1, 2, 2])
    row = pairwise(t, metrics="claim_density", min_articles=0).iloc[0]
    assert abs(row["p_value"] - 1 / 3) < 0.03
    assert not row["significant"]


def test_normal_tail_is_floored_at_the_exact_permutation_minimum():
    # every A article above every B article, 6 vs 6: the exact two-sided
    # permutation p-value is 2 / C(12, 6); the studentized statistic's normal
    # tail alone said 1e-33
    rng = np.random.default_rng(0)
    claims = np.r_[rng.integers(11, 15, 6), rng.integers(5, 9, 6)]
    t = table(["A"] * 6 + ["B"] * 6, [20] * 12, claims)
    row = pairwise(t, metrics="claim_density", n_perm=2000, min_articles=0).iloc[0]
    assert row["p_value"] == pytest.approx(2 / math.comb(12, 6), rel=1e-12)


# ------------------------------------------------------------------ 2. bootstrap test


@pytest.mark.parametrize("claims", [[1, 1, 2, 2], [0, 0, 2, 2]])
def test_bootstrap_test_of_zero_spread_difference_is_nan_with_warning(claims):
    t = table(list("AABB"), [10] * 4, claims)
    row = pairwise(t, metrics="claim_density", test="bootstrap", min_articles=0).iloc[0]
    assert math.isnan(row["p_value"]) and math.isnan(row["p_adjusted"])
    assert not row["significant"]
    assert ("no p-value: the bootstrap distribution of the difference has no spread (every "
            "article at its outlet's rate); use test='permutation'") in row["warning"]


def test_bootstrap_test_of_equal_zero_spread_outlets_is_one():
    t = table(list("AABB"), [10] * 4, [1, 1, 1, 1])
    row = pairwise(t, metrics="claim_density", test="bootstrap", min_articles=0).iloc[0]
    assert row["p_value"] == 1.0


# ------------------------------------------------------------------ 3. row order


@pytest.mark.parametrize("kwargs", [
    dict(), dict(ci="bca"), dict(test="bootstrap"), dict(strata="topic", per_stratum=True)])
def test_row_order_does_not_change_results(kwargs):
    rng = np.random.default_rng(1)
    n = 60
    t = pd.DataFrame({"doc_id": [f"d{i}" for i in range(2 * n)], "outlet": ["A"] * n + ["B"] * n,
                      "n_sentences": rng.integers(5, 40, 2 * n),
                      "topic": rng.choice(["t1", "t2"], 2 * n)})
    t["n_claims"] = rng.binomial(t["n_sentences"], 0.4)
    shuffled = t.sample(frac=1, random_state=5).reset_index(drop=True)
    opts = dict(metrics="claim_density", n_boot=300, random_state=0, **kwargs)
    per = opts.pop("per_stratum", False)
    test = opts.pop("test", "permutation")
    pd.testing.assert_frame_equal(compare(t, per_stratum=per, **opts),
                                  compare(shuffled, per_stratum=per, **opts), check_exact=True)
    pd.testing.assert_frame_equal(pairwise(t, n_perm=300, test=test, **opts),
                                  pairwise(shuffled, n_perm=300, test=test, **opts),
                                  check_exact=True)


# ------------------------------------------------------------------ 4. duplicates


def test_duplicate_doc_id_in_article_table_is_an_error():
    t = table(["A"] * 3, [10] * 3, [1, 2, 3])
    twice = pd.concat([t, t, t.iloc[:1]])
    with pytest.raises(InputError) as err:
        compare(twice, metrics="claim_density")
    assert str(err.value) == (
        "article table: doc_id 'd0' occurs more than once (3 duplicated key(s) in 7 rows); "
        "each must be unique (was the same data read twice?)")


def test_duplicate_sentence_is_an_error():
    s = pd.DataFrame([sent("a", "A", 0, claim=True), sent("a", "A", 1), sent("b", "B", 0)])
    with pytest.raises(InputError) as err:
        compare(pd.concat([s, s.iloc[1:2]]), metrics="claim_density")
    assert str(err.value) == (
        "sentence table: (doc_id, sent_id) ('a', 1) occurs more than once (1 duplicated key(s) "
        "in 2 rows); each sentence must be listed once (was the same data read twice?)")


# ------------------------------------------------------------------ 5. boundary


def test_no_positive_gives_one_sided_bound():
    out = compare(table(["A"] * 200, [10] * 200, [0] * 200), metrics="claim_density").iloc[0]
    assert (out["estimate"], out["ci_low"], out["ci_high"]) == (0.0, 0.0, 1 - 0.025 ** (1 / 200))
    assert out["warning"] == (
        "no positive in any of its 200 articles: interval is the approximate one-sided bound "
        "1 - 0.025^(1/200) treating articles as independent, not a bootstrap interval")


def test_all_positive_proportion_gives_mirrored_bound():
    out = compare(table(["A"] * 50, [10] * 50, [10] * 50), metrics="claim_density").iloc[0]
    assert (out["estimate"], out["ci_low"], out["ci_high"]) == (1.0, 0.025 ** (1 / 50), 1.0)
    assert out["warning"].startswith("every unit positive in all of its 50 articles")


def test_boundary_bound_is_scaled_and_follows_alpha():
    t = arts([("A", 10, 3)] * 40)  # n_hedged is 0 everywhere
    out = compare(t, metrics="hedge_rate", alpha=0.1).iloc[0]
    assert (out["ci_low"], out["ci_high"]) == (0.0, (1 - 0.05 ** (1 / 40)) * 100.0)


def test_boundary_applies_to_per_stratum_rows():
    t = table(["A"] * 6 + ["B"] * 6, [10] * 12, [0] * 6 + [1, 2, 3, 1, 2, 3])
    t["topic"] = ["t1", "t2"] * 6
    out = compare(t, metrics="claim_density", strata="topic", per_stratum=True, min_articles=0)
    a = out[(out["outlet"] == "A")].set_index("stratum")
    assert a.loc["t1", "ci_high"] == 1 - 0.025 ** (1 / 3)
    assert a.loc[bc.STANDARDIZED, "ci_high"] == 1 - 0.025 ** (1 / 6)


# ------------------------------------------------------------------ 6. small samples


@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_interval_is_widened_by_small_sample_factor(ci, monkeypatch):
    rng = np.random.default_rng(3)
    n = 12
    t = table(["X"] * n, rng.integers(5, 30, n), rng.integers(1, 5, n))
    est = t["n_claims"].sum() / t["n_sentences"].sum()
    out = compare(t, metrics="claim_density", n_boot=400, ci=ci).iloc[0]
    f, sqrt = math.sqrt(n / (n - 1)), math.sqrt
    # the same comparison without the factor (bc.math is the math module)
    monkeypatch.setattr(bc.math, "sqrt", lambda v: 1.0 if v == n / (n - 1) else sqrt(v))
    raw = compare(t, metrics="claim_density", n_boot=400, ci=ci).iloc[0]
    assert out["ci_low"] == pytest.approx(est - f * (est - raw["ci_low"]), rel=1e-12)
    assert out["ci_high"] == pytest.approx(est + f * (raw["ci_high"] - est), rel=1e-12)


def test_percentile_interval_matches_widened_replicates():
    rng = np.random.default_rng(4)
    n = 15
    t = table(["X"] * n, rng.integers(5, 30, n), rng.integers(0, 5, n))
    out = compare(t, metrics="claim_density", n_boot=500).iloc[0]
    g = np.random.default_rng([0, bc._label_hash("X"), bc._label_hash(None), 0])
    # resampled in doc_id order (d0, d1, d10, ...), whatever the row order
    values = t.sort_values("doc_id")[["n_claims", "n_sentences"]].to_numpy(dtype=float)
    sums = bc._resample_sums(values, 500, g)
    est = values[:, 0].sum() / values[:, 1].sum()
    boot = est + math.sqrt(n / (n - 1)) * (sums[:, 0] / sums[:, 1] - est)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((lo, hi), rel=1e-12)


def test_small_and_rare_outlets_are_warned():
    big = table(["X"] * 29 + ["Y"] * 40, [10] * 69, [3] * 29 + [1] * 9 + [0] * 31)
    out = compare(big, metrics="claim_density").set_index("outlet")
    assert out.loc["X", "warning"] == "only 29 articles (<30): interval unstable"
    assert out.loc["Y", "warning"] == (
        "only 9 of its articles have any positive (<10): interval unstable")
    assert bc.CompareOptions().min_articles == 30


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


def test_no_positive_on_a_count_metric_has_no_upper_bound():
    # sources per article is not a proportion: none in 20 articles bounds nothing
    t = arts([("A", 10, 3)] * 20)
    out = compare(t, metrics="named_source_diversity").iloc[0]
    assert out["estimate"] == 0.0 and out["ci_low"] == 0.0 and np.isnan(out["ci_high"])
    assert "no upper bound" in out["warning"]


def test_widened_intervals_stay_inside_the_metric_range():
    # one claim in 20 articles: the widening must not give a negative lower end
    claims = [1] + [0] * 19
    out = compare(table(["A"] * 20, [10] * 20, claims), metrics="claim_density")
    assert (out["ci_low"] >= 0).all()
    full = compare(table(["A"] * 20, [10] * 20, [10] * 19 + [9]), metrics="claim_density")
    assert (full["ci_high"] <= 1).all()


def test_missing_and_mixed_type_doc_ids_sort_without_error():
    t = arts([("A", 10, 3), ("A", 12, 5), ("A", 8, 1), ("B", 10, 6), ("B", 9, 2), ("B", 11, 4)])
    t["doc_id"] = [None, 1, "1", 2.5, "x", 7]
    a = compare(t, metrics="claim_density", n_boot=200)
    b = compare(t.iloc[::-1].reset_index(drop=True), metrics="claim_density", n_boot=200)
    pd.testing.assert_frame_equal(a, b)


def test_a_stratum_without_spread_is_named_on_the_standardized_row():
    rows = [("A", 10, 3, "pol")] * 20 + [("A", 10, 4, "spo")] * 20
    rows += [("B", 10, 5, "pol")] * 15 + [("B", 10, 0, "spo")] * 12
    t = arts([dict(zip(("outlet", "n_sentences", "n_claims", "topic"), r, strict=True))
              for r in rows])
    out = compare(t, metrics="claim_density", strata="topic", n_boot=200)
    b = out[(out["outlet"] == "B") & (out["stratum"] == bc.STANDARDIZED)].iloc[0]
    assert "no spread in stratum spo (12) (all negative or all positive): the standardized " \
        "interval is too narrow" in b["warning"]
    a = out[(out["outlet"] == "A") & (out["stratum"] == bc.STANDARDIZED)].iloc[0]
    assert a["warning"] is None or "no spread" not in a["warning"]
