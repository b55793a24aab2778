"""Tests of biaskit.comparison: outlet estimates, intervals, pairwise tests, evidence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import biaskit
import biaskit.comparison as bc
from biaskit.comparison import (
    BUILTIN_METRICS,
    OUTLET_TABLE_COLUMNS,
    STANDARDIZED,
    CompareOptions,
    Metric,
    benjamini_hochberg,
    compare,
    evidence,
    holm,
    pairwise,
    run_comparison,
)
from biaskit.errors import InputError, SchemaError
from biaskit.schema import ARTICLE_COLUMNS, PAIRWISE_COLUMNS

# --------------------------------------------------------------------------- factories


def arts(rows, **extra_cols):
    """Article table from (outlet, n_sentences, n_claims, **counts) tuples/dicts."""
    records = []
    for i, row in enumerate(rows):
        if isinstance(row, tuple):
            row = dict(zip(("outlet", "n_sentences", "n_claims"), row, strict=False))
        rec = {c: 0 for c in ARTICLE_COLUMNS}
        rec.update(doc_id=f"d{i}", **row)
        records.append(rec)
    out = pd.DataFrame(records)
    for k, v in extra_cols.items():
        out[k] = v
    return out


def sent(doc, outlet="A", sid=0, *, claim=False, attribution=False, framing=False, att=(),
         fr=(), quoted=False, source=None, stype=None, entity=None, cue=None, evidence=(),
         text=None, **extra):
    row = {
        "doc_id": doc, "outlet": outlet, "sent_id": sid, "text": text or f"{doc}/{sid}",
        "in_quote": 0.0, "p_claim": 0.5, "p_attribution": 0.5, "p_framing": 0.5,
        "claim": claim, "attribution": attribution, "framing": framing,
        "attribution_kind": list(att), "framing_kind": list(fr), "quoted_framing": quoted,
        "quoted_framing_kind": [], "framing_voice": "writer" if framing else None,
        "source": source, "source_type": stype, "source_entity": entity, "cue": cue,
        "evidence": list(evidence), "model_version": "test-0",
    }
    row.update(extra)
    return row


def sim_articles(rng, rates, n_articles, *, mean_sentences=15, kappa=20.0, strata=None):
    """Articles with Poisson sentence counts and Beta-distributed per-article claim rates.

    The per-article rate varies around the outlet's true rate (between-article
    correlation of sentences); E[claims]/E[sentences] equals the true rate.
    ``strata`` maps outlet index to (stratum probabilities, stratum rates).
    """
    parts = []
    for o, (mu, n) in enumerate(zip(rates, n_articles, strict=True)):
        s = rng.poisson(mean_sentences, n) + 1
        if strata is not None:
            probs, srates = strata[o]
            k = rng.choice(len(probs), size=n, p=probs)
            mu_art = np.asarray(srates)[k]
        else:
            k = np.zeros(n, dtype=int)
            mu_art = np.full(n, mu)
        p = rng.beta(mu_art * kappa, (1 - mu_art) * kappa)
        parts.append(pd.DataFrame({
            "doc_id": [f"{o}-{i}" for i in range(n)], "outlet": f"O{o}",
            "n_sentences": s, "n_claims": rng.binomial(s, p), "topic": [f"t{j}" for j in k]}))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- estimates


def test_ratio_estimator_hand_computed():
    table = arts([("X", 10, 5), ("X", 30, 5), ("Y", 8, 2), ("Y", 12, 1)])
    out = compare(table, metrics=["claim_density"], n_boot=200, min_articles=0)
    assert list(out.columns) == list(OUTLET_TABLE_COLUMNS)
    est = dict(zip(out["outlet"], out["estimate"], strict=True))
    assert est["X"] == pytest.approx(10 / 40)  # not the mean of 0.5 and 1/6
    assert est["Y"] == pytest.approx(3 / 20)
    assert out["n_articles"].tolist() == [2, 2]
    assert out["n_sentences"].tolist() == [40, 20]
    assert out["method"].iloc[0] == (
        "ratio estimator; article-clustered bootstrap, percentile, n_boot=200, seed=0")
    # min_articles=0 silences the article count, not the few-positive-articles warning
    assert out["warning"].tolist() == [
        "only 2 of its articles have any positive (<10): interval unstable"] * 2


def test_builtin_metrics_hand_computed():
    table = arts([
        dict(outlet="X", n_sentences=10, n_promo=2, n_claims=4, n_attributed_claims=1,
             n_attributed=4, n_direct_quote=1, n_hedged=2, n_anonymous=1, n_writer_framing=3,
             n_loaded_language=2, n_quoted_framing=1, n_named_sources=3),
        dict(outlet="X", n_sentences=30, n_promo=0, n_claims=6, n_attributed_claims=5,
             n_attributed=6, n_direct_quote=3, n_hedged=0, n_anonymous=0, n_writer_framing=1,
             n_loaded_language=0, n_quoted_framing=0, n_named_sources=0),
    ])
    out = compare(table, n_boot=50, min_articles=0).set_index("metric")["estimate"]
    assert list(out.index) == list(BUILTIN_METRICS)
    assert out["claim_density"] == pytest.approx(10 / 40)
    assert out["attributed_claim_share"] == pytest.approx(6 / 10)
    assert out["attribution_rate"] == pytest.approx(100 * 10 / 40)
    assert out["direct_quote_share"] == pytest.approx(4 / 10)
    assert out["hedged_share"] == pytest.approx(2 / 10)
    assert out["hedge_rate"] == pytest.approx(100 * 2 / 40)
    assert out["anonymous_rate"] == pytest.approx(100 * 1 / 40)
    assert out["named_source_diversity"] == pytest.approx(1.5)  # mean per article
    assert out["writer_framing_rate"] == pytest.approx(100 * 4 / 40)
    assert out["loaded_language_rate"] == pytest.approx(100 * 2 / 40)
    assert out["quoted_framing_rate"] == pytest.approx(100 * 1 / 40)
    assert out["promo_share"] == pytest.approx(2 / 42)  # promo over all sentences


def test_accepts_sentence_table_and_does_not_mutate():
    rows = [sent("a", "X", 0, claim=True), sent("a", "X", 1), sent("a", "X", 2, claim=True,
            framing=True, fr=["promo"]), sent("b", "Y", 0, claim=True), sent("b", "Y", 1)]
    table = pd.DataFrame(rows)
    before = table.copy(deep=True)
    out = compare(table, metrics=["claim_density", "promo_share"], n_boot=20, min_articles=0)
    pd.testing.assert_frame_equal(table, before)
    est = out.set_index(["outlet", "metric"])["estimate"]
    assert est[("X", "claim_density")] == pytest.approx(1 / 2)  # promo sentence excluded
    assert est[("X", "promo_share")] == pytest.approx(1 / 3)
    assert est[("Y", "claim_density")] == pytest.approx(1 / 2)


def test_custom_metrics_column_tuple_and_callable():
    table = arts([("X", 10, 5), ("X", 30, 5), ("Y", 10, 1)])
    table["n_writer_framing"] = [1, 2, 3]
    table["n_quoted_framing"] = [1, 0, 0]
    metrics = [
        Metric("per_article_claims", "n_claims", description="claims per article"),
        Metric("any_framing", ("n_writer_framing", "n_quoted_framing"), "n_sentences",
               scale=100),
        Metric("long_share", lambda a: a["n_sentences"] > 20, proportion=True),
    ]
    out = compare(table, metrics=metrics, n_boot=20, min_articles=0)
    est = out.set_index(["outlet", "metric"])["estimate"]
    assert est[("X", "per_article_claims")] == pytest.approx(5.0)
    assert est[("X", "any_framing")] == pytest.approx(100 * 4 / 40)
    assert est[("X", "long_share")] == pytest.approx(0.5)
    assert est[("Y", "long_share")] == pytest.approx(0.0)
    assert out["method"][out["metric"] == "per_article_claims"].iloc[0].startswith(
        "mean per article")


def test_partial_article_table_needs_only_metric_columns():
    table = pd.DataFrame({"outlet": ["X", "Y"], "n_sentences": [4, 5], "n_claims": [1, 2]})
    out = compare(table, metrics="claim_density", n_boot=10, min_articles=0)
    assert out["estimate"].round(3).tolist() == [0.25, 0.4]
    with pytest.raises(SchemaError, match="hedge_rate"):
        compare(table, metrics="hedge_rate", n_boot=10)
    bare = pd.DataFrame({"outlet": ["X", "X", "Y"], "n_claims": [1, 3, 2]})
    out = compare(bare, metrics=Metric("claims", "n_claims"), n_boot=10, min_articles=0)
    assert out["estimate"].tolist() == [2.0, 2.0]
    assert out["n_sentences"].isna().all()  # unknown, not made up


def test_metric_errors():
    table = arts([("X", 10, 5)])
    with pytest.raises(InputError, match="unknown metric 'nope'"):
        compare(table, metrics=["nope"])
    with pytest.raises(InputError, match="duplicate"):
        compare(table, metrics=["claim_density", "claim_density"])
    with pytest.raises(InputError, match="scale"):
        Metric("bad", "n_claims", scale=0)
    with pytest.raises(InputError, match="negative"):
        compare(table, metrics=[Metric("neg", "n_claims", lambda a: -a["n_sentences"])])
    with pytest.raises(SchemaError, match="outlet_group"):
        compare(table, by="outlet_group")


@pytest.mark.parametrize("kwargs, word", [
    (dict(ci="normal"), "ci"), (dict(correction="bonferroni"), "correction"),
    (dict(alpha=1.5), "alpha"), (dict(n_boot=0), "n_boot"), (dict(min_articles=-1), "min"),
    (dict(random_state="seed"), "random_state"), (dict(strata="outlet"), "strata"),
])
def test_bad_options_are_input_errors(kwargs, word):
    with pytest.raises(InputError, match=word):
        compare(arts([("X", 10, 5)]), **kwargs)


def test_by_other_column():
    table = arts([("X", 10, 5), ("X", 10, 1), ("Y", 10, 5)], topic=["t1", "t2", "t1"])
    out = compare(table, by="topic", metrics="claim_density", n_boot=20, min_articles=0)
    assert dict(zip(out["outlet"], out["estimate"], strict=True)) == {"t1": 0.5, "t2": 0.1}


# --------------------------------------------------------------------------- intervals


def test_seeded_and_deterministic():
    rng = np.random.default_rng(0)
    table = sim_articles(rng, [0.3, 0.4], [30, 30])
    a = compare(table, metrics="claim_density", n_boot=300, random_state=7)
    b = compare(table, metrics="claim_density", n_boot=300, random_state=7)
    c = compare(table, metrics="claim_density", n_boot=300, random_state=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ci_low"], c["ci_low"])
    g1 = compare(table, metrics="claim_density", n_boot=50,
                 random_state=np.random.default_rng(1))
    g2 = compare(table, metrics="claim_density", n_boot=50,
                 random_state=np.random.default_rng(1))
    pd.testing.assert_frame_equal(g1, g2)
    assert "seed=Generator" in g1["method"].iloc[0]


def test_outlet_results_do_not_depend_on_other_outlets_or_metrics():
    rng = np.random.default_rng(1)
    table = sim_articles(rng, [0.3, 0.4], [25, 25])
    full = compare(table, metrics=[Metric("per_article", "n_claims"), "claim_density"],
                   n_boot=200)
    alone = compare(table[table["outlet"] == "O0"], metrics="claim_density", n_boot=200)
    row = full[(full["outlet"] == "O0") & (full["metric"] == "claim_density")]
    assert row[["ci_low", "ci_high"]].to_numpy() == pytest.approx(
        alone[["ci_low", "ci_high"]].to_numpy())


@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_interval_contains_estimate(ci):
    rng = np.random.default_rng(2)
    out = compare(sim_articles(rng, [0.2, 0.5], [40, 40]), metrics="claim_density",
                  n_boot=500, ci=ci)
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()
    assert (out["ci_high"] - out["ci_low"] > 0).all()
    assert f", {ci}," in out["method"].iloc[0]


@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_degenerate_values_give_point_interval_without_nan(ci):
    table = arts([("X", 10, 5)] * 10 + [("Y", 10, 0)] * 10)
    out = compare(table, metrics="claim_density", n_boot=200, ci=ci, min_articles=0)
    x, y = out.iloc[0], out.iloc[1]
    assert (x["ci_low"], x["ci_high"]) == pytest.approx((0.5, 0.5))
    # Y has no claim at all: not a zero-width bootstrap interval but the exact
    # bound for no events in 10 articles (changed with the boundary fix)
    assert (y["ci_low"], y["ci_high"]) == (0.0, 1 - 0.025 ** (1 / 10))
    pairs = pairwise(table, metrics="claim_density", n_boot=200, n_perm=200, ci=ci)
    assert pairs[["diff", "ci_low", "ci_high", "p_value"]].notna().all().all()


def test_small_outlets_warned_single_article_has_no_interval():
    table = arts([("X", 10, 5)] + [("Y", 10, 3), ("Y", 12, 4)] * 4)
    out = compare(table, metrics="claim_density", n_boot=100, min_articles=20)
    x, y = out.iloc[0], out.iloc[1]
    assert x["warning"] == "only 1 article: no interval"
    assert math.isnan(x["ci_low"]) and math.isnan(x["ci_high"])
    assert y["warning"] == ("only 8 articles (<20): interval unstable; only 8 of its articles "
                            "have any positive (<10): interval unstable")
    assert not math.isnan(y["ci_low"])


def test_undefined_metric_is_nan_with_warning():
    table = arts([("X", 10, 0), ("X", 10, 0), ("Y", 10, 3), ("Y", 10, 1)])
    table["n_attributed_claims"] = [0, 0, 1, 0]
    out = compare(table, metrics="attributed_claim_share", n_boot=200, min_articles=0)
    x, y = out.iloc[0], out.iloc[1]
    assert math.isnan(x["estimate"]) and math.isnan(x["ci_low"])
    assert x["warning"] == "undefined: n_claims is 0 in every article"
    assert y["estimate"] == pytest.approx(0.25)
    assert y["warning"] == "only 1 of its articles have any positive (<10): interval unstable"


def test_zero_denominator_replicates_are_dropped_and_reported():
    # claims in 1 of 5 articles: about (4/5)^5 = 33% of resamples have no claims (0/0)
    table = arts([("X", 10, 4)] + [("X", 10, 0)] * 4)
    table["n_attributed_claims"] = [2, 0, 0, 0, 0]
    out = compare(table, metrics="attributed_claim_share", n_boot=1000, min_articles=0)
    x = out.iloc[0]
    assert x["estimate"] == pytest.approx(0.5)
    assert x["ci_low"] == pytest.approx(0.5) and x["ci_high"] == pytest.approx(0.5)
    assert x["warning"].startswith(
        "only 1 of its articles have any positive (<10): interval unstable; ")
    share = int(x["warning"].split("; ")[1].split("%")[0])
    assert 25 <= share <= 42
    assert "replicates had a zero denominator (n_claims) and were dropped" in x["warning"]


def test_resampled_counts_are_multinomial(monkeypatch):
    monkeypatch.setattr(bc, "_MAX_BLOCK", 64)  # force many blocks
    rng = np.random.default_rng(0)
    counts = bc._resample_sums(np.eye(9), 500, rng)
    assert counts.shape == (500, 9)
    assert (counts.sum(axis=1) == 9).all()
    assert counts.mean() == pytest.approx(1.0, abs=0.05)
    assert np.array_equal(counts, np.round(counts))


def naive_bootstrap(table, outlet, n_boot, seed):
    """Reference: one pandas resample per replicate (slow, obviously right)."""
    rng = np.random.default_rng(seed)
    part = table[table["outlet"] == outlet]
    values = []
    for _ in range(n_boot):
        sample = part.sample(n=len(part), replace=True, random_state=rng)
        values.append(sample["n_claims"].sum() / sample["n_sentences"].sum())
    return np.quantile(values, [0.025, 0.975])


def test_vectorised_bootstrap_agrees_with_naive_loop():
    rng = np.random.default_rng(3)
    table = sim_articles(rng, [0.3], [60])
    out = compare(table, metrics="claim_density", n_boot=4000)
    lo, hi = naive_bootstrap(table, "O0", 2000, 11)
    width = hi - lo
    assert out["ci_low"].iloc[0] == pytest.approx(lo, abs=0.1 * width)
    assert out["ci_high"].iloc[0] == pytest.approx(hi, abs=0.1 * width)


# --------------------------------------------------------------------------- p-values


def test_holm_known_values():
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm")
    assert holm([0.01, 0.02, 0.03, 0.04, 0.05]).tolist() == pytest.approx(
        [0.05, 0.08, 0.09, 0.09, 0.09])
    assert holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])


def test_benjamini_hochberg_known_values():
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx(
        [0.02, 0.04, 0.04, 0.02])
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH") is 0.05 everywhere
    assert benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]).tolist() == pytest.approx(
        [0.05] * 5)
    # R: p.adjust(c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205), "BH")
    assert benjamini_hochberg([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]
                              ).round(5).tolist() == pytest.approx(
        [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.08457, 0.205], abs=1e-5)


def test_adjustment_ignores_nan():
    out = holm([0.01, np.nan, 0.04])
    assert math.isnan(out[1])
    assert out[[0, 2]].tolist() == pytest.approx([0.02, 0.04])
    assert benjamini_hochberg([]).tolist() == []


# --------------------------------------------------------------------------- pairwise


def test_pairwise_table_structure_and_consistency():
    rng = np.random.default_rng(4)
    table = sim_articles(rng, [0.2, 0.3, 0.45], [40, 40, 40])
    mets = ["claim_density", Metric("per_article", "n_claims")]
    pairs = pairwise(table, metrics=mets, n_boot=300, n_perm=300)
    outlets = compare(table, metrics=mets, n_boot=300)
    assert list(pairs.columns) == list(PAIRWISE_COLUMNS)
    assert len(pairs) == 3 * 2
    assert list(zip(pairs["outlet_a"], pairs["outlet_b"], strict=True))[::2] == [
        ("O0", "O1"), ("O0", "O2"), ("O1", "O2")]
    est = outlets.set_index(["outlet", "metric"])["estimate"]
    for r in pairs.itertuples():
        assert r.estimate_a == pytest.approx(est[(r.outlet_a, r.metric)])
        assert r.diff == pytest.approx(r.estimate_a - r.estimate_b)
    cd = pairs[pairs["metric"] == "claim_density"]
    assert (cd["ci_low"] < cd["diff"]).all() and (cd["diff"] < cd["ci_high"]).all()
    assert (pairs["p_adjusted"] >= pairs["p_value"]).all()
    assert pairs["significant"].dtype == bool
    assert "Holm over 6 tests" in pairs["method"].iloc[0]


def test_pairwise_detects_a_real_difference_and_effect_sizes():
    rng = np.random.default_rng(5)
    table = sim_articles(rng, [0.2, 0.5], [60, 60])
    table["n_named_sources"] = rng.poisson(2, len(table))
    pairs = pairwise(table, metrics=["claim_density", "named_source_diversity"], n_boot=500,
                     n_perm=500)
    cd = pairs.iloc[0]
    assert cd["significant"] and cd["p_value"] < 1e-6  # beyond every permutation: normal tail
    pa, pb = cd["estimate_a"], cd["estimate_b"]
    assert cd["effect_size_kind"] == "cohens_h"
    assert cd["effect_size"] == pytest.approx(
        2 * math.asin(math.sqrt(pa)) - 2 * math.asin(math.sqrt(pb)))
    assert cd["ratio"] == pytest.approx(pa / pb)
    ns = pairs.iloc[1]
    a = table.loc[table["outlet"] == "O0", "n_named_sources"]
    b = table.loc[table["outlet"] == "O1", "n_named_sources"]
    pooled = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    assert ns["effect_size_kind"] == "cohens_d"
    assert ns["effect_size"] == pytest.approx((a.mean() - b.mean()) / pooled)


def test_bootstrap_test_and_bh_correction():
    rng = np.random.default_rng(6)
    table = sim_articles(rng, [0.2, 0.2, 0.5], [40, 40, 40])
    holm_t = pairwise(table, metrics="claim_density", n_boot=400, test="bootstrap")
    bh_t = pairwise(table, metrics="claim_density", n_boot=400, test="bootstrap",
                    correction="bh")
    assert holm_t["p_value"].tolist() == pytest.approx(bh_t["p_value"].tolist())
    assert (bh_t["p_adjusted"] <= holm_t["p_adjusted"] + 1e-12).all()
    assert holm_t["significant"].tolist() == [False, True, True]
    assert "bootstrap test" in holm_t["method"].iloc[0]
    assert "Benjamini-Hochberg" in bh_t["method"].iloc[0]


def test_permutation_p_values_have_no_floor_in_large_families():
    rng = np.random.default_rng(7)
    table = sim_articles(rng, [0.2, 0.6], [30, 30])
    table["n_noise"] = rng.binomial(table["n_sentences"], 0.3)
    mets = [Metric(f"m{i}", "n_claims", "n_sentences", proportion=True) for i in range(30)]
    mets.append(Metric("noise", "n_noise", "n_sentences", proportion=True))
    pairs = pairwise(table, metrics=mets, n_boot=50, n_perm=99)
    # 31 tests: a Monte Carlo floor of 1/100 would make Holm-adjusted p >= 0.31
    assert pairs["significant"].iloc[:30].all()
    assert pairs["p_adjusted"].iloc[:30].max() < 1e-6
    noise = pairs.iloc[30]
    assert noise["p_value"] >= 10 / 100  # moderate p-values stay Monte Carlo values
    assert round(noise["p_value"] * 100, 9) == int(round(noise["p_value"] * 100))
    assert "normal tail below 10 exceedances" in noise["method"]


def test_single_outlet_gives_empty_pairwise():
    pairs = pairwise(arts([("X", 10, 5), ("X", 10, 4)]), metrics="claim_density", n_boot=10)
    assert pairs.empty and list(pairs.columns) == list(PAIRWISE_COLUMNS)


# --------------------------------------------------------------------------- strata


def strat_table():
    return arts([
        ("A", 10, 5), ("A", 10, 3), ("A", 20, 2), ("A", 20, 2), ("A", 10, 9),
        ("B", 10, 2), ("B", 10, 2), ("B", 10, 1), ("B", 10, 1), ("B", 10, 0), ("B", 10, 0),
        ("B", 10, 9),
    ], topic=["t1", "t1", "t2", "t2", "t3", "t1", "t1", "t2", "t2", "t3", "t3", "t4"])


def test_standardized_estimate_hand_computed():
    out = compare(strat_table(), metrics="claim_density", strata="topic", n_boot=200,
                  min_articles=0)
    assert list(out.columns) == [*OUTLET_TABLE_COLUMNS, "stratum"]
    assert (out["stratum"] == STANDARDIZED).all()
    est = dict(zip(out["outlet"], out["estimate"], strict=True))
    # common strata: t1, t2 (t3 has one article of A, t4 none); pooled sentences
    # t1: 40, t2: 60 → weights 0.4, 0.6
    assert est["A"] == pytest.approx(0.4 * 8 / 20 + 0.6 * 4 / 40)
    assert est["B"] == pytest.approx(0.4 * 4 / 20 + 0.6 * 2 / 20)
    a = out[out["outlet"] == "A"].iloc[0]
    b = out[out["outlet"] == "B"].iloc[0]
    assert (a["n_articles"], a["n_sentences"]) == (4, 60)
    assert (b["n_articles"], b["n_sentences"]) == (4, 40)
    assert b["warning"] == ("only 4 of its articles have any positive (<10): interval unstable; "
                            "2 of 2 common strata have fewer than 5 of its articles: interval "
                            "may be too narrow; 3 article(s) outside the common strata excluded")
    assert "standardized over topic (2 common strata" in b["method"]


def test_per_stratum_rows():
    out = compare(strat_table(), metrics="claim_density", strata="topic", per_stratum=True,
                  n_boot=100, min_articles=0)
    rows = out[out["stratum"] != STANDARDIZED].set_index(["outlet", "stratum"])
    assert len(rows) == 7
    assert rows.loc[("A", "t1"), "estimate"] == pytest.approx(0.4)
    assert rows.loc[("B", "t4"), "estimate"] == pytest.approx(0.9)
    assert rows.loc[("B", "t4"), "warning"] == "only 1 article: no interval"
    assert math.isnan(rows.loc[("B", "t4"), "ci_low"])


def test_standardization_removes_story_mix_confounding():
    # same within-topic rates, very different topic mix → crude rates differ, standardized not
    rng = np.random.default_rng(8)
    mix = {0: ([0.8, 0.2], [0.5, 0.1]), 1: ([0.2, 0.8], [0.5, 0.1])}
    table = sim_articles(rng, [0, 0], [300, 300], strata=mix, kappa=200)
    crude = pairwise(table, metrics="claim_density", n_boot=300, n_perm=300)
    std = pairwise(table, metrics="claim_density", strata="topic", n_boot=300, n_perm=300)
    assert crude["significant"].iloc[0]
    assert not std["significant"].iloc[0]
    assert abs(std["diff"].iloc[0]) < 0.03 < abs(crude["diff"].iloc[0])
    assert "within strata" in std["method"].iloc[0]


def test_no_common_stratum_is_input_error():
    table = arts([("A", 10, 5), ("B", 10, 5)], topic=["t1", "t2"])
    with pytest.raises(InputError, match="no stratum is covered"):
        compare(table, metrics="claim_density", strata="topic")
    # one article per outlet in the shared stratum is not enough to resample
    table = arts([("A", 10, 5), ("B", 10, 5), ("B", 10, 4)], topic=["t1", "t1", "t1"])
    with pytest.raises(InputError, match="at least 2 articles"):
        compare(table, metrics="claim_density", strata="topic")


def test_undefined_stratum_rate_renormalises():
    table = arts([("A", 10, 5), ("A", 10, 5), ("A", 10, 0), ("A", 10, 0),
                  ("B", 10, 2), ("B", 10, 2), ("B", 10, 4), ("B", 10, 4)],
                 topic=["t1", "t1", "t2", "t2"] * 2)
    table["n_attributed_claims"] = [1, 0, 0, 0, 1, 1, 2, 2]
    out = compare(table, metrics="attributed_claim_share", strata="topic", n_boot=50,
                  min_articles=0)
    a = out[out["outlet"] == "A"].iloc[0]
    assert a["estimate"] == pytest.approx(0.1)  # only t1 defined for A
    assert "rate undefined in 1 of 2 common strata" in a["warning"]


# --------------------------------------------------------------------------- simulation


def _coverage(reps, ci, n_art, n_boot, true=0.3):
    rng = np.random.default_rng(100)
    hits = 0
    for r in range(reps):
        table = sim_articles(rng, [true], [n_art])
        out = compare(table, metrics="claim_density", n_boot=n_boot, ci=ci, random_state=r)
        hits += out["ci_low"].iloc[0] <= true <= out["ci_high"].iloc[0]
    return hits / reps


def _false_positive_rate(reps, test, n_art, strata=None):
    rng = np.random.default_rng(200)
    mix = ({0: ([0.7, 0.3], [0.4, 0.15]), 1: ([0.3, 0.7], [0.4, 0.15])}
           if strata else None)
    rejections = 0
    for r in range(reps):
        table = sim_articles(rng, [0.3, 0.3], [n_art, n_art + 10], strata=mix)
        out = pairwise(table, metrics="claim_density", n_boot=200, n_perm=200, test=test,
                       strata=strata, random_state=r, min_articles=0)
        rejections += out["p_value"].iloc[0] < 0.05
    return rejections / reps


def test_simulation_coverage_fast():
    assert 0.90 <= _coverage(200, "percentile", n_art=80, n_boot=400) <= 0.99


def test_simulation_false_positive_rate_fast():
    assert _false_positive_rate(200, "permutation", n_art=30) <= 0.08


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_simulation_coverage_full(ci):
    assert 0.92 <= _coverage(500, ci, n_art=100, n_boot=1000) <= 0.98


@pytest.mark.slow
@pytest.mark.parametrize("test, strata", [("permutation", None), ("bootstrap", None),
                                          ("permutation", "topic")])
def test_simulation_false_positive_rate_full(test, strata):
    assert _false_positive_rate(500, test, n_art=40, strata=strata) <= 0.08


# --------------------------------------------------------------------------- evidence


def evidence_table():
    return pd.DataFrame([
        sent("a", "X", 0, claim=True, attribution=True, att=["anonymous"],
             source="officials", stype="anonymous", cue="said", p_attribution=0.7,
             evidence=[{"tag": "attribution", "kind": "anonymous", "term": "officials said"},
                       {"tag": "claim", "kind": None, "term": "42"}]),
        sent("a", "X", 1, claim=True, attribution=True, att=["anonymous"], p_attribution=0.95,
             evidence=[{"tag": "attribution", "kind": "anonymous", "term": "sources"}]),
        sent("a", "X", 2, claim=True, attribution=True, att=["anonymous"], p_attribution=0.9),
        sent("a", "X", 3, attribution=True, att=["anonymous"], framing=True, fr=["promo"]),
        sent("b", "X", 0, attribution=True, att=np.array(["anonymous", "hedged"]),
             p_attribution=0.8),
        sent("c", "Y", 0, attribution=True, att=["anonymous"], p_attribution=0.99),
    ])


def test_evidence_returns_contributing_sentences():
    table = evidence_table()
    ex = evidence(table, "X", "anonymous_rate")
    assert list(ex.columns) == list(bc.EVIDENCE_COLUMNS)
    # most confident first, at most 2 per article, promo and other outlets excluded
    assert list(zip(ex["doc_id"], ex["sent_id"], strict=True)) == [("a", 1), ("a", 2), ("b", 0)]
    assert ex["terms"].iloc[0] == ["sources"]
    assert ex["probability"].tolist() == pytest.approx([0.95, 0.9, 0.8])
    assert ex["attribution_kind"].iloc[2] == ["anonymous", "hedged"]
    all_rows = evidence(table, "X", "anonymous_rate", max_per_article=None, n=10)
    assert len(all_rows) == 4
    assert all_rows.iloc[3]["source"] == "officials" and all_rows.iloc[3]["cue"] == "said"
    assert all_rows.iloc[3]["terms"] == ["officials said"]
    assert all_rows.iloc[3]["tags"] == ["claim", "attribution"]
    assert len(evidence(table, "X", "anonymous_rate", n=1)) == 1
    promo = evidence(table, "X", "promo_share")
    assert promo["sent_id"].tolist() == [3]


def test_evidence_errors():
    table = evidence_table()
    with pytest.raises(InputError, match="'Z' not found"):
        evidence(table, "Z", "anonymous_rate")
    with pytest.raises(InputError, match="no sentence selector"):
        evidence(table, "X", Metric("custom", "n_claims"))
    with pytest.raises(InputError, match="unknown metric"):
        evidence(table, "X", "nope")
    with pytest.raises(InputError, match="positive integer"):
        evidence(table, "X", "anonymous_rate", n=0)
    custom = Metric("custom", "n_claims", sentences=lambda s: s["claim"].to_numpy())
    assert len(evidence(table, "X", custom, max_per_article=None)) == 3


def test_public_api_is_lazy_exported():
    assert biaskit.compare is compare
    assert biaskit.evidence is evidence
    res = run_comparison(arts([("X", 10, 5), ("Y", 10, 1)]),
                         CompareOptions(metrics=["claim_density"], n_boot=10, n_perm=10))
    assert res.pairwise is not None and len(res.pairwise) == 1


def test_evidence_terms_skip_model_features_and_prefer_the_metric_kind():
    items = [
        {"tag": "attribution", "kind": "speech", "term": "told", "rule": "lexicon:reporting_verbs"},
        {"tag": "attribution", "kind": "reported_speech+direct_quote", "term": "said",
         "rule": "attribution:reported_speech"},
        {"tag": "attribution", "kind": None, "term": " h", "rule": "feature:char: h"},
        {"tag": "attribution", "kind": None, "term": "p=0.9", "rule": "probability"},
        {"tag": "claim", "kind": None, "term": "42", "rule": "lexicon:numbers"},
    ]
    table = pd.DataFrame([sent("a", "X", 0, attribution=True, evidence=items,
                               att=["reported_speech", "direct_quote"])])
    assert evidence(table, "X", "direct_quote_share")["terms"].iloc[0] == ["said"]
    assert evidence(table, "X", "attribution_rate")["terms"].iloc[0] == ["told", "said"]
    assert evidence(table, "X", "reported_speech_share")["terms"].iloc[0] == ["said"]
    # no item names the kind: fall back to every span of the tag
    hedged = pd.DataFrame([sent("b", "X", 0, attribution=True, att=["hedged"], evidence=[
        {"tag": "attribution", "kind": "distancing", "term": "reportedly",
         "rule": "lexicon:hedges"}])])
    assert evidence(hedged, "X", "hedge_rate")["terms"].iloc[0] == ["reportedly"]
