"""Throughput of segment + tag on one core, against the bare vectoriser + classifier.

Builds documents from the sentence lines of ``corpora/articles`` (repeated to the requested
size, seeded), then times, in the same run and on the same documents:

- ``analyze(evidence=True)``: the full path users call (segment, features, tagger, attribution
  rules, evidence);
- ``analyze(evidence=False)``: the fastest batch setting;
- ``bare``: the fitted featurizer + tagger on the already segmented sentence table
  (``predict_proba`` only) — the floor set by scikit-learn itself;
- ``segment``: the segmenter alone.

Run: ``python benchmarks/bench_tagger.py [--sentences 20000] [--repeats 3]``. Threads are pinned to
one so the numbers are per core.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

import biaskit  # noqa: E402
from biaskit.segment import segment_frame  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def corpus_documents(n_sentences: int, seed: int = 0) -> pd.DataFrame:
    lines = []
    for path in sorted((ROOT / "corpora" / "articles").glob("*/*.txt")):
        body = path.read_text("utf-8").split("\n---\n", 1)[-1]
        paras = [p for p in body.split("\n\n") if p.strip()]
        lines.append(["\n".join(ln.rsplit(" || ", 1)[0] for ln in p.splitlines()) for p in paras])
    rng = random.Random(seed)
    docs, count = [], 0
    while count < n_sentences:
        art = rng.choice(lines)
        docs.append("\n\n".join(p.replace("\n", " ") for p in art))
        count += sum(p.count("\n") + 1 for p in art)
    return pd.DataFrame(
        {"doc_id": [f"d{i}" for i in range(len(docs))], "outlet": "x", "text": docs}
    )


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    docs = corpus_documents(args.sentences)
    model = biaskit.load_model()
    table = segment_frame(docs)
    n = len(table)
    feats, tagger = model.pipeline.named_steps["features"], model.pipeline.named_steps["tagger"]
    cols = ["text", "in_quote", "is_headline", "sent_id", "paragraph"]
    biaskit.analyze(docs.head(5), model)  # warm caches (lexicons, regexes)
    timings = {
        "segment": best(lambda: segment_frame(docs), args.repeats),
        "bare features+tagger": best(
            lambda: tagger.predict_proba(feats.transform(table[cols])), args.repeats
        ),
        "analyze (evidence=False)": best(
            lambda: biaskit.analyze(docs, model, evidence=False), args.repeats
        ),
        "analyze (evidence=True)": best(lambda: biaskit.analyze(docs, model), args.repeats),
    }
    bare = n / timings["bare features+tagger"]
    print(f"{len(docs)} documents, {n} sentences; best of {args.repeats}; one thread\n")
    print("| path | sentences/s | vs bare |")
    print("|---|---:|---:|")
    for name, t in timings.items():
        print(f"| {name} | {n / t:,.0f} | {n / t / bare:.2f}× |")
    print("\ntarget: ≥ 20,000 sentences/s/core end to end")


if __name__ == "__main__":
    main()
