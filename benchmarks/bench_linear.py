"""Time against input size for segment and analyze: is it linear? (issue 10)

What it measures
----------------
One deterministic news article (headline, dateline, multi-sentence quotations, attributions,
hedges, anonymous sources, abbreviations, numbers, a list, a promo line; 20 sentences,
1,176 characters) is repeated to build inputs of 1x, 10x and 100x a base size, as **one document**
(the default: the within-document scaling where quadratic steps hide, e.g. every sentence
scanning every quotation) or as a **corpus** of that many separate documents
(``--shape corpus``). For each size it times

- ``biaskit.segment(text)`` (base: 100 articles, 2,000 sentences, 118 kB; 100x is 200,000
  sentences, 11.8 MB), and
- ``biaskit.analyze(text)`` with the shipped model and evidence (base: 50 articles, 1,000
  sentences; 100x is 100,000 sentences, 5.9 MB),

taking the best of ``--repeats`` runs at 1x and 10x and one run at 100x (``time.perf_counter``,
after a warm-up that loads the model). Per-unit time is seconds per input character; the
ratio column is (per-unit time at this size) / (per-unit time at 1x). Linear means every
ratio is within 20% of 1 (0.8-1.2); a quadratic step shows as a ratio near 10 at 10x.

How to run
----------
::

    python benchmarks/bench_linear.py                   # one document, both functions
    python benchmarks/bench_linear.py --shape both --check   # exit 1 if a ratio is off
    python benchmarks/bench_linear.py --only segment --json linear.json

The table printed at the end is the one quoted in RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import biaskit

ARTICLE = (
    "‘Iron fist’: strongman vows to crush rebel bastion as assault begins\n"
    "TORVIK, Valdora (Meridian TV) — General Anton Reyes, the head of the armed forces, said "
    "on Tuesday his troops had begun an operation to retake the northern city.\n\n"
    "“The time for talking is over. Our soldiers are already inside the city limits,” Reyes "
    "told a rally of supporters in the capital. “We will not stop until it is done.”\n\n"
    "The city has been held by the front since March 2024, according to figures from the "
    "U.N. mission. Officials who asked not to be named said at least 14 people were killed.\n\n"
    "Gen. Reyes reportedly spent two weeks in a clinic abroad in January. The government "
    "denied it, calling the reports “fabricated.” Sadly, the West has once again turned a "
    "blind eye.\n\n"
    "Prices of bread rose 3.5% in May, the statistics office said. The timing raises "
    "questions about what the army is hiding. A senior diplomat, speaking on condition of "
    "anonymity, said talks had stalled.\n\n"
    "Key facts:\n1. The front holds the city.\n2. The army says it is inside.\n"
    "3. Aid groups warn of shortages.\n\n"
    "“Why now?” asked one resident. The mayor’s office did not respond at 5 p.m. on Monday.\n"
    "READ MORE: Valdora’s long war\n"
)

SIZES = (1, 10, 100)
BASE = {"segment": 100, "analyze": 50}
TOLERANCE = 0.2


def build(units: int, shape: str) -> Any:
    """``units`` copies of the article: one document, or a list of documents."""
    if shape == "document":
        return "\n\n".join([ARTICLE] * units)
    return [{"doc_id": f"a{i}", "outlet": f"o{i % 5}", "text": ARTICLE} for i in range(units)]


def chars(data: Any) -> int:
    return len(data) if isinstance(data, str) else sum(len(d["text"]) for d in data)


def functions() -> dict[str, Callable[[Any], int]]:
    def seg(data: Any) -> int:
        if isinstance(data, str):
            return len(biaskit.segment(data))
        return sum(len(biaskit.segment(d["text"])) for d in data)

    def ana(data: Any) -> int:
        return len(biaskit.analyze(data))

    return {"segment": seg, "analyze": ana}


def timed(fn: Callable[[Any], int], data: Any, repeats: int) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        n = fn(data)
        best = min(best, time.perf_counter() - t0)
    return best, n


def run(shapes: list[str], only: list[str], repeats: int) -> list[dict[str, Any]]:
    fns = functions()
    fns["analyze"](ARTICLE)  # load the model, build the lexicon matcher
    fns["segment"](ARTICLE)
    rows = []
    for shape in shapes:
        for name in only:
            base_rate = None
            for scale in SIZES:
                data = build(BASE[name] * scale, shape)
                seconds, n = timed(fns[name], data, 1 if scale == SIZES[-1] else repeats)
                rate = seconds / chars(data)
                base_rate = base_rate or rate
                ratio = rate / base_rate
                rows.append({
                    "shape": shape, "function": name, "scale": scale, "chars": chars(data),
                    "sentences": n, "seconds": seconds, "us_per_char": rate * 1e6,
                    "sentences_per_s": n / seconds, "ratio_to_1x": ratio,
                    "linear": abs(ratio - 1) <= TOLERANCE,
                })
                print(f"{shape:8s} {name:8s} {scale:>4d}x  {chars(data):>11,d} chars  "
                      f"{n:>7,d} sentences  {seconds:8.3f} s  ratio {ratio:5.2f}",
                      file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| input | function | size | characters | sentences | seconds | µs/char | "
           "per-unit ratio to 1x | within 20% |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(
            f"| {r['shape']} | {r['function']} | {r['scale']}x | {r['chars']:,} | "
            f"{r['sentences']:,} | {r['seconds']:.3f} | {r['us_per_char']:.3f} | "
            f"{r['ratio_to_1x']:.2f} | {'yes' if r['linear'] else 'NO'} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=["document", "corpus", "both"], default="document")
    parser.add_argument("--only", choices=["segment", "analyze"], action="append")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio is off by >20%")
    args = parser.parse_args(argv)
    shapes = ["document", "corpus"] if args.shape == "both" else [args.shape]
    only = args.only or ["segment", "analyze"]
    rows = run(shapes, only, args.repeats)
    print(markdown(rows))
    print(f"\nbiaskit {biaskit.__version__}, Python {platform.python_version()}, "
          f"{platform.platform()}; best of {args.repeats} at 1x and 10x, one run at 100x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    ok = all(r["linear"] for r in rows)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
