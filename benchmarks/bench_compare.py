"""Benchmark the vectorised outlet comparison against a naive resampling loop.

The vectorised engine (biaskit.comparison) draws one count matrix per outlet
and gets every metric of every bootstrap replicate from one matrix product.
The naive reference resamples a pandas frame once per replicate and outlet,
as one would write it by hand. The naive loop is run on a smaller size and
compared with the engine on that same size (the ratio), then extrapolated.

Usage::

    python benchmarks/bench_compare.py            # 20 outlets × 100,000 articles × 1000 boots
    python benchmarks/bench_compare.py --quick    # smaller, for CI smoke runs
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from biaskit.aggregate import articles as aggregate_articles
from biaskit.comparison import CompareOptions, compare, resolve_metrics, run_comparison
from biaskit.schema import ARTICLE_COLUMNS, ATTRIBUTION_KINDS

METRICS = [
    "claim_density", "attributed_claim_share", "direct_quote_share", "hedge_rate",
    "anonymous_rate", "named_source_diversity", "writer_framing_rate",
    "loaded_language_rate", "quoted_framing_rate", "promo_share",
]


def synthetic_articles(n_outlets: int, n_articles: int, seed: int = 0) -> pd.DataFrame:
    """Article table with plausible counts (outlet-specific rates, article-level noise)."""
    rng = np.random.default_rng(seed)
    outlet = rng.integers(0, n_outlets, n_articles)
    n_sent = rng.poisson(20, n_articles) + 1
    data: dict[str, object] = {
        "doc_id": [f"d{i}" for i in range(n_articles)],
        "outlet": [f"outlet{o:02d}" for o in outlet],
        "n_sentences": n_sent,
        "n_promo": rng.binomial(3, 0.2, n_articles),
    }
    base = rng.uniform(0.05, 0.5, (len(ARTICLE_COLUMNS), n_outlets))
    for j, col in enumerate(ARTICLE_COLUMNS[4:], start=4):
        p = np.clip(base[j, outlet] * rng.beta(4, 4, n_articles) * 2, 0, 1)
        data[col] = rng.binomial(n_sent, p)
    data["n_attributed_claims"] = np.minimum(data["n_attributed_claims"], data["n_claims"])
    return pd.DataFrame(data)


def synthetic_sentences(n_articles: int, n_outlets: int = 5, seed: int = 0) -> pd.DataFrame:
    """Tagged sentence table (~20 sentences per article) for timing the aggregation."""
    rng = np.random.default_rng(seed)
    n_sent = rng.poisson(20, n_articles) + 1
    doc = np.repeat(np.arange(n_articles), n_sent)
    n = len(doc)
    kinds = np.array(ATTRIBUTION_KINDS, dtype=object)
    attributed = rng.random(n) < 0.35
    att_kind = [[kinds[k]] if a else [] for a, k in
                zip(attributed, rng.integers(0, len(kinds), n), strict=True)]
    framing = rng.random(n) < 0.1
    promo = rng.random(n) < 0.03
    fr_kind = [["promo"] if p else (["loaded_language"] if f else [])
               for f, p in zip(framing, promo, strict=True)]
    source = np.where(attributed, [f"src{k}" for k in rng.integers(0, 30, n)], None)
    return pd.DataFrame({
        "doc_id": [f"d{i}" for i in doc],
        "outlet": [f"outlet{i % n_outlets}" for i in doc],
        "sent_id": np.concatenate([np.arange(k) for k in n_sent]),
        "claim": rng.random(n) < 0.4, "attribution": attributed, "framing": framing,
        "attribution_kind": att_kind, "framing_kind": fr_kind,
        "quoted_framing": rng.random(n) < 0.05,
        "source": source, "source_type": np.where(attributed, "person", None),
        "source_entity": source,
    })


def naive_compare(table: pd.DataFrame, n_boot: int, seed: int = 0) -> pd.DataFrame:
    """Per-replicate pandas resampling, one outlet and replicate at a time."""
    metrics = resolve_metrics(METRICS)
    rng = np.random.default_rng(seed)
    rows = []
    for outlet, part in table.groupby("outlet"):
        reps = {m.name: [] for m in metrics}
        for _ in range(n_boot):
            sample = part.sample(n=len(part), replace=True, random_state=rng)
            for m in metrics:
                num, den = m.article_values(sample)
                reps[m.name].append(num.sum() / den.sum() if den.sum() > 0 else np.nan)
        for m in metrics:
            num, den = m.article_values(part)
            lo, hi = np.nanquantile(reps[m.name], [0.025, 0.975])
            rows.append((outlet, m.name, num.sum() / den.sum() * m.scale, lo * m.scale,
                         hi * m.scale))
    return pd.DataFrame(rows, columns=["outlet", "metric", "estimate", "ci_low", "ci_high"])


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<58s} {seconds:9.3f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=20)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--naive-articles", type=int, default=5_000)
    parser.add_argument("--naive-boot", type=int, default=50)
    parser.add_argument("--n-perm", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.naive_articles, args.naive_boot = 20_000, 1_000, 10
        args.n_boot, args.n_perm = 500, 200

    print(f"outlets={args.outlets} articles={args.articles} metrics={len(METRICS)} "
          f"n_boot={args.n_boot}")
    big = synthetic_articles(args.outlets, args.articles)
    _, t_pct = timed("compare, percentile (vectorised)", compare, big, metrics=METRICS,
                     n_boot=args.n_boot)
    timed("compare, BCa (vectorised)", compare, big, metrics=METRICS, n_boot=args.n_boot,
          ci="bca")
    timed(f"compare + pairwise, bootstrap test ({args.outlets * (args.outlets - 1) // 2} pairs)",
          run_comparison, big, CompareOptions(metrics=METRICS, n_boot=args.n_boot,
                                              test="bootstrap"))
    timed(f"compare + pairwise, permutation test (n_perm={args.n_perm})",
          run_comparison, big, CompareOptions(metrics=METRICS, n_boot=args.n_boot,
                                              n_perm=args.n_perm))

    small = synthetic_articles(args.outlets, args.naive_articles, seed=1)
    print(f"\nsame size for both: articles={args.naive_articles}")
    _, t_vec_small = timed(f"compare, percentile (vectorised, n_boot={args.n_boot})",
                           compare, small, metrics=METRICS, n_boot=args.n_boot)
    _, t_naive = timed(f"naive pandas loop (n_boot={args.naive_boot})", naive_compare, small,
                       args.naive_boot)
    per_boot = t_naive / args.naive_boot
    naive_same = per_boot * args.n_boot
    # naive cost per replicate grows linearly with articles
    naive_big = naive_same * args.articles / args.naive_articles
    print(f"naive, extrapolated to n_boot={args.n_boot} at {args.naive_articles} articles: "
          f"{naive_same:9.1f} s  → vectorised is {naive_same / t_vec_small:,.0f}× faster")
    print(f"naive, extrapolated to {args.articles} articles: {naive_big:9.1f} s  "
          f"→ vectorised is {naive_big / t_pct:,.0f}× faster")

    n_sent_articles = min(args.articles, 20_000)
    sentences = synthetic_sentences(n_sent_articles)
    timed(f"aggregate {len(sentences):,} sentences → {n_sent_articles:,} articles",
          aggregate_articles, sentences)


if __name__ == "__main__":
    main()
