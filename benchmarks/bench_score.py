"""Benchmark batch scoring (``biaskit.score``) against the bare analysis it wraps.

What it measures
----------------
On one corpus (``--n`` articles, default 20,000, generated with a fixed seed; or ``--input``
files), in the same run:

- ``bare``  — ``biaskit.analysis.analyze(docs, model)`` called on consecutive slices of
  ``--chunk-size`` documents already in memory, in one process with BLAS/OpenMP limited to
  one thread: the single-core ceiling. The model is loaded before the clock starts.
- ``jobs1`` — ``biaskit.score(..., jobs=1)``: reading, chunking, duplicate checks, scoring,
  atomic parts, final assembly, run.json.
- ``jobs2`` — ``biaskit.score(..., jobs=2)`` (two worker processes; forked on Linux).
- ``jobs2-spawn`` — the same with the workers spawned (the start method of macOS and Windows,
  and of callers that run threads); not run by default: ``--configs bare,jobs2,jobs2-spawn``.
- ``dask``  — ``biaskit.score(..., engine="dask", jobs=2)`` on a fresh ``LocalCluster``.

Every configuration runs in its own fresh Python process, so each pays its own imports, model
loading and worker start-up (batch times are the wall time of the whole ``score()`` call), and
its peak memory is its own: the highest sum of RSS over the process and all its children
(worker processes, dask nannies), sampled every 0.1 s with psutil from the benchmark's own
process (PSS and the list of processes every 0.5 s: reading them costs more); without psutil,
the maximum of ``resource.getrusage`` for the process and for its (largest) child. The
sampler runs outside the measured process: a thread there would cost it CPU time and make
``biaskit.score`` spawn its workers instead of forking them.

Reported per configuration: articles/s, sentences/s, peak RSS, and the ratio to ``bare``, with
the targets beside them: jobs1 >= 0.70 x bare, jobs2 >= 1.7 x bare, peak RSS < 1 GB. Beside
the wall-clock figures, CPU accounting: CPU-seconds of the process and of its workers, and
the *CPU bound*: cores x (CPU-seconds of bare's analyze loop / CPU-seconds of the whole run),
the ratio the run would reach if its cores never waited. On a machine shared with other jobs
the wall-clock ratios drop with the load; the CPU figures much less (contention still adds
some CPU time).

Corpus: sentences are the text before `` || `` of the body lines of ``corpora/articles/*/*.txt``
(a built-in list if the corpus is not there); each synthetic article has a headline, then 2–6
paragraphs of 1–4 sentences, an outlet, a title and a date, drawn with ``random.Random(seed)``.

How to run
----------
::

    python benchmarks/bench_score.py                         # 20,000 articles, all configs
    python benchmarks/bench_score.py --n 2000 --configs bare,jobs1   # quick look
    python benchmarks/bench_score.py --input news.jsonl --json bench-score.json
    python benchmarks/bench_score.py --repeats 2    # best of two rounds (shared machines)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONFIGS = ("bare", "jobs1", "jobs2", "jobs2-spawn", "dask")
DEFAULT_CONFIGS = ("bare", "jobs1", "jobs2", "dask")
TARGETS = {"jobs1": 0.70, "jobs2": 1.7, "jobs2-spawn": 1.7}
RSS_LIMIT = 1 << 30

FALLBACK_SENTENCES = [
    "The council approved the budget on Tuesday after a three-hour debate.",
    "Prices rose 3.5% in May, the statistics office said.",
    "Officials who asked not to be named said talks had stalled.",
    "The company reportedly plans to cut 1,200 jobs by the end of the year.",
    "“We will not back down,” the union leader told reporters.",
    "Shares fell 4% in early trading in New York.",
    "According to the health ministry, 14 people were taken to hospital.",
    "The storm is expected to weaken by Thursday, forecasters said.",
    "Critics called the plan a reckless gamble with public money.",
    "The museum reopened after a two-year renovation.",
]


# --------------------------------------------------------------------------- corpus


def corpus_sentences() -> tuple[list[str], list[str]]:
    """Sentences and outlets from the annotated corpus, or the built-in list."""
    sentences: list[str] = []
    outlets: set[str] = set()
    for path in sorted((REPO / "corpora" / "articles").glob("*/*.txt")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        outlets.add(path.parent.name)
        for line in body.splitlines():
            text = line.split(" || ", 1)[0].strip()
            if text and " || " in line:
                sentences.append(text)
    if len(sentences) < 50:
        return FALLBACK_SENTENCES, ["outlet-a", "outlet-b", "outlet-c"]
    return sentences, sorted(outlets)


def generate(path: Path, n: int, seed: int) -> dict[str, Any]:
    """Write ``n`` seeded synthetic articles as JSONL; return a description of the corpus."""
    sentences, outlets = corpus_sentences()
    rng = random.Random(seed)
    n_sent = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            headline = rng.choice(sentences).rstrip(".")
            paras = []
            for _ in range(rng.randint(2, 6)):
                k = rng.randint(1, 4)
                paras.append(" ".join(rng.choice(sentences) for _ in range(k)))
                n_sent += k
            doc = {
                "doc_id": f"bench-{i:06d}",
                "outlet": rng.choice(outlets),
                "title": headline,
                "text": headline + "\n\n" + "\n\n".join(paras),
                "published": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return {
        "articles": n,
        "seed": seed,
        "sentence_pool": len(sentences),
        "approx_sentences": n_sent + n,
        "bytes": path.stat().st_size,
    }


# --------------------------------------------------------------------------- memory


class PeakRSS:
    """Highest total memory of process ``pid`` plus all its descendants, sampled in a thread.

    ``peak`` sums RSS (shared library pages count once per process, so it overstates a
    multi-process run); ``peak_pss`` sums PSS (shared pages split between the processes that
    map them: the memory the run really takes), when the platform reports it.
    """

    def __init__(self, pid: int, interval: float = 0.1, pss_every: int = 5) -> None:
        self.interval = interval
        # PSS (smaps_rollup, ~1.5 ms a process) and the process tree (a scan of /proc) cost
        # far more than RSS (statm): sampled every ``pss_every`` ticks
        self.pss_every = pss_every
        self._tick = 0
        self._procs: list[Any] = []
        self.peak = 0
        self.peak_pss: int | None = None
        self.method = "psutil"
        self._stop = threading.Event()
        try:
            import psutil

            self._proc = psutil.Process(pid)
        except ImportError:
            self._proc = None
            self.method = "getrusage"
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, full: bool = False) -> None:
        import psutil

        full = full or self._tick % self.pss_every == 0
        self._tick += 1
        if full or not self._procs:
            self._procs = [self._proc, *self._proc.children(recursive=True)]
        rss = 0
        pss: int | None = 0 if full else None
        for p in self._procs:
            try:
                if pss is not None:
                    info = p.memory_full_info()
                    pss += getattr(info, "pss", 0)
                    rss += info.rss
                    if not hasattr(info, "pss"):
                        pss = None
                else:
                    rss += p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        self.peak = max(self.peak, rss)
        if pss is not None:
            self.peak_pss = max(self.peak_pss or 0, pss)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRSS:
        if self._proc is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._stop.set()
            self._thread.join()


def getrusage_peak() -> int:
    """Without psutil: the larger of this process's and its largest child's peak RSS."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return max(own, child)


# --------------------------------------------------------------------------- one configuration


def run_bare(inputs: list[str], chunk_size: int) -> dict[str, Any]:
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from biaskit.analysis import analyze
    from biaskit.io import is_error, read_documents
    from biaskit.persist import load_model
    from biaskit.schema import DOCUMENT_COLUMNS

    model = load_model()
    docs = [r for r in read_documents(inputs) if not is_error(r)]
    frame = pd.DataFrame.from_records(
        [{c: d[c] for c in DOCUMENT_COLUMNS} for d in docs], columns=list(DOCUMENT_COLUMNS)
    )
    analyze(frame.iloc[:5], model)  # warm-up
    n_sent = 0
    # single-core: OpenBLAS/OpenMP would otherwise use a second core for part of the work
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        cpu_start = time.process_time()
        for i in range(0, len(frame), chunk_size):
            n_sent += len(analyze(frame.iloc[i : i + chunk_size], model))
        seconds = time.perf_counter() - start
        analyze_cpu = time.process_time() - cpu_start
    return {
        "articles": len(frame),
        "sentences": n_sent,
        "seconds": seconds,
        "analyze_cpu_seconds": analyze_cpu,
    }


def run_batch(config: str, inputs: list[str], chunk_size: int, out: Path) -> dict[str, Any]:
    import biaskit

    kw: dict[str, Any] = {"chunk_size": chunk_size, "quiet": True, "overwrite": True}
    if config == "jobs1":
        kw["jobs"] = 1
    elif config in ("jobs2", "jobs2-spawn"):
        kw["jobs"] = 2
        if config == "jobs2-spawn":
            from biaskit.batch import engines

            engines._start_method = lambda: "spawn"
    else:
        kw.update(engine="dask", jobs=2)
    start = time.perf_counter()
    result = biaskit.score(inputs, out, **kw)
    seconds = time.perf_counter() - start
    run = json.loads((out / "run.json").read_text())
    return {
        "articles": result.articles_scored,
        "sentences": result.sentences,
        "errors": result.errors,
        "rows_read": result.rows_read,
        "seconds": seconds,
        "scoring_seconds": run["timings"]["scoring_seconds"],
        "closes": result.closes,
    }


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU time of this process, and of its children that have been waited for
    (worker processes; dask's nannies and workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def child(config: str, inputs: list[str], chunk_size: int, out: Path) -> None:
    load_before = load_average()
    if config == "bare":
        res = run_bare(inputs, chunk_size)
    else:
        res = run_batch(config, inputs, chunk_size, out)
    parent_cpu, workers_cpu = cpu_seconds()
    res.update(
        config=config,
        getrusage_peak=getrusage_peak(),
        cpu_seconds=parent_cpu + workers_cpu,  # whole process tree, start-up included
        parent_cpu_seconds=parent_cpu,
        workers_cpu_seconds=workers_cpu,
        load_before=load_before,
        load_after=load_average(),
    )
    sys.stdout.write("BENCH " + json.dumps(res) + "\n")


def run_child(config: str, inputs: list[str], chunk_size: int, out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        config,
        "--chunk-size",
        str(chunk_size),
        "--out",
        str(out),
        "--input",
        *inputs,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRSS(proc.pid) as mem:
        stdout, stderr = proc.communicate()
    for line in stdout.splitlines():
        if line.startswith("BENCH "):
            res = json.loads(line[6:])
            if mem.method == "psutil":
                res.update(peak_rss=mem.peak, peak_pss=mem.peak_pss, rss_method="psutil")
            else:
                res.update(peak_rss=res["getrusage_peak"], peak_pss=None, rss_method="getrusage")
            return res
    raise RuntimeError(f"{config} failed (exit {proc.returncode}):\n{stderr[-3000:]}")


# --------------------------------------------------------------------------- report


def report(results: dict[str, dict[str, Any]]) -> list[str]:
    bare = results.get("bare")
    lines = [
        "| config | articles | sentences | seconds | articles/s | sentences/s | "
        "x bare | target | peak RSS (sum) | peak PSS (sum) | CPU s | CPU s parent + workers "
        "| CPU bound x bare | load 1-min |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    bare_cpu = bare.get("analyze_cpu_seconds") if bare else None
    for name in CONFIGS:
        r = results.get(name)
        if r is None:
            continue
        aps = r["articles"] / r["seconds"]
        sps = r["sentences"] / r["seconds"]
        ratio = aps / (bare["articles"] / bare["seconds"]) if bare else float("nan")
        target = TARGETS.get(name)
        verdict = ""
        if target is not None and bare:
            verdict = f">= {target:.2f}x {'OK' if ratio >= target else 'MISSED'}"
        rss = r["peak_rss"] / 2**20
        rss_note = "OK" if r["peak_rss"] < RSS_LIMIT else "over 1 GB"
        pss = f"{r['peak_pss'] / 2**20:.0f} MB" if r.get("peak_pss") else "n/a"
        split = bound = ""
        if name != "bare" and "parent_cpu_seconds" in r:
            split = f"{r['parent_cpu_seconds']:.1f} + {r['workers_cpu_seconds']:.1f}"
            if bare_cpu:
                # every core busy all the time: cores x (bare analyze CPU-s / CPU-s of the run)
                cores = 1 if name == "jobs1" else 2
                bound = f"{cores * bare_cpu / r['cpu_seconds']:.2f}"
        elif name == "bare" and bare_cpu:
            split = f"analyze {bare_cpu:.1f}"
        lines.append(
            f"| {name} | {r['articles']:,} | {r['sentences']:,} | {r['seconds']:.1f} | "
            f"{aps:.1f} | {sps:.0f} | {ratio:.2f} | {verdict} | {rss:.0f} MB ({rss_note}) "
            f"| {pss} | {r.get('cpu_seconds', float('nan')):.0f} | {split} | {bound} "
            f"| {r.get('load_before')} → {r.get('load_after')} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="synthetic articles (default 20000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--input", nargs="+", help="score these inputs instead of a synthetic corpus")
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument(
        "--configs",
        default=",".join(DEFAULT_CONFIGS),
        help=f"comma-separated, from {', '.join(CONFIGS)} (default: {','.join(DEFAULT_CONFIGS)})",
    )
    ap.add_argument("--workdir", help="where the corpus and outputs go (default: a temp dir)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="rounds over the configs (odd rounds in reverse order); the fastest run of each "
        "config is reported, which damps the noise of other processes on a shared machine",
    )
    ap.add_argument("--child", choices=CONFIGS, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        child(args.child, args.input, args.chunk_size, Path(args.out))
        return 0

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        ap.error(f"unknown config(s) {', '.join(sorted(unknown))}; choose from {CONFIGS}")
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-score-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.input:
        inputs = args.input
        corpus = {"inputs": inputs}
    else:
        path = work / "corpus.jsonl"
        print(f"generating {args.n:,} articles (seed {args.seed}) -> {path}", flush=True)
        corpus = generate(path, args.n, args.seed)
        inputs = [str(path)]
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"corpus: {json.dumps(corpus)}; chunk_size {args.chunk_size}", flush=True)

    results: dict[str, dict[str, Any]] = {}
    runs: list[dict[str, Any]] = []
    for round_ in range(args.repeats):
        for name in configs if round_ % 2 == 0 else configs[::-1]:
            print(f"running {name} (round {round_ + 1}) ...", flush=True)
            res = run_child(name, inputs, args.chunk_size, work / f"out-{name}")
            runs.append(res)
            best = results.get(name)
            if best is None or res["seconds"] < best["seconds"]:
                results[name] = res
            print(
                f"  {name}: {res['articles']:,} articles in {res['seconds']:.1f} s "
                f"({res['articles'] / res['seconds']:.1f}/s), peak RSS "
                f"{res['peak_rss'] / 2**20:.0f} MB, load {res['load_before']}",
                flush=True,
            )
    counts = {(r["articles"], r["sentences"]) for r in results.values()}
    if len(counts) > 1:
        print(f"WARNING: configurations disagree on articles/sentences: {sorted(counts)}")
    print()
    print("\n".join(report(results)))
    print(
        "\ntargets: jobs1 >= 0.70 x bare single-core throughput; jobs2 >= 1.7 x bare; "
        "peak RSS < 1 GB (RSS summed over the process and its workers; PSS counts shared "
        "pages once). CPU s: user+system time of the whole process tree (model loading in "
        "every worker included), split into this process and its workers; CPU bound x bare: "
        "the ratio the run would reach if its 1 or 2 cores were busy all the time (cores x "
        "bare analyze CPU-s / CPU-s of the run; a ceiling for the wall-clock ratio, less "
        "sensitive to other processes). A 1-minute load above "
        f"{os.cpu_count()} means other processes competed for the CPUs and the wall-clock "
        "ratios understate the speed-up."
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"corpus": corpus, "results": results, "runs": runs}, indent=2)
        )
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
