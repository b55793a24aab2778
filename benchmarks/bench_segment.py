"""Benchmark biaskit's sentence segmenter against raw NLTK Punkt and pySBD.

What it measures
----------------
1. **Throughput** on one deterministic news-like corpus (``--mb`` MB, default 5; 1 MB is
   1,000,000 bytes of UTF-8), split into documents of about 3 KB:

   a. ``biaskit.segment.segment(doc)`` - Punkt plus biaskit's news passes (line structure,
      quotes, list markers) and the ``Sentence`` records (paragraph, headline, quote share);
   b. raw NLTK Punkt with the *same* parameters,
      ``PunktSentenceTokenizer(default_punkt_parameters()).span_tokenize(doc)`` (spans
      materialised into a list) - the decisions biaskit reproduces (its own Punkt path,
      ``biaskit.segment._NewsPunktTokenizer``, gives the same spans faster, so biaskit can
      outrun raw Punkt although it does more);
   c. pySBD (``pysbd.Segmenter(language="en", clean=False, char_span=False)``), which is far
      slower, so it is timed once on a deterministic subsample (the first documents, about
      ``--pysbd-kb`` KB, default 200) and its throughput is extrapolated per MB.

   (a) and (b) take the best of ``--repeats`` runs (``time.perf_counter``); every segmenter is
   warmed up first. Reported: sentences/s, MB/s, and the throughput ratios biaskit/raw-Punkt
   (target >= 0.8x) and biaskit/pySBD (target >= 50x). Ratios compare MB/s, because the three
   segmenters do not find the same number of sentences in the same text.

2. **Accuracy** of all three on the golden table ``CASES`` of ``tests/test_segment.py`` (loaded
   by path): the share of cases whose list of sentences (stripped, empty ones dropped) matches
   exactly, and the ids of the cases each one gets wrong.

Corpus source: if ``corpora/articles/`` holds article files (``corpora/FORMAT.md``), their
sentence text (the part of each body line before `` || ``) is rebuilt into articles and
repeated with seeded paragraph shuffles up to the target size; otherwise a seeded generator
built from the sentence templates below writes the text (headlines, bylines, datelines,
abbreviations, numbers, quotations, lists, hard-wrapped lines, blank-line paragraphs).
``--source synthetic`` forces the generator. The source used is printed.

How to run
----------
::

    python benchmarks/bench_segment.py                      # 5 MB, 3 repeats
    python benchmarks/bench_segment.py --mb 1 --repeats 1   # quick look
    python benchmarks/bench_segment.py --json bench-segment.json

The run ends with a compact Markdown table that can be pasted into the README.
"""

from __future__ import annotations

import argparse
import ast
import gc
import hashlib
import importlib.util
import json
import platform
import random
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import nltk
from nltk.tokenize.punkt import PunktSentenceTokenizer

import biaskit
from biaskit.segment import default_punkt_parameters, segment

ROOT = Path(__file__).resolve().parents[1]
ARTICLES_DIR = ROOT / "corpora" / "articles"
CASES_FILE = ROOT / "tests" / "test_segment.py"

MB = 1_000_000
DOC_BYTES = 3_000
SEED = 20240611
TARGET_VS_PUNKT = 0.8
TARGET_VS_PYSBD = 50.0

# --------------------------------------------------------------------------- synthetic corpus

# fmt: off
FIRST = [
    "Dana", "Amara", "Martin", "Lena", "Tomas", "Grace", "Omar", "Priya", "Kwame", "Elena",
    "Hiro", "Sofia", "Jamal", "Ingrid", "Rafael", "Mei", "Aidan", "Fatima", "Viktor", "Nadia",
]
LAST = [
    "Whitfield", "Osei", "Cole", "Reyes", "Patel", "Lin", "Ortiz", "Hall", "Grant", "Adu",
    "Novak", "Haddad", "Kimura", "Byrne", "Mensah", "Larsen", "Castillo", "Okafor", "Weiss",
]
TITLES = [
    "Mr.", "Mrs.", "Ms.", "Dr.", "Gen.", "Sen.", "Rep.", "Gov.", "Prof.", "Lt. Col.", "Capt.",
    "Sgt.", "Rev.", "Supt.",
]
ROLES = [
    "the mayor", "a senior official", "the finance minister", "a police spokesperson",
    "the union leader", "an aid worker", "the company's chief executive", "a local resident",
    "the health commissioner", "a diplomat who asked not to be named",
]
ORGS = [
    "Acme Corp.", "Bolt Inc.", "Vale Ltd.", "the U.N.", "the E.U.", "the U.S. Senate",
    "the Federal Reserve", "the World Health Organization", "Northwind Co.", "Harbor Bros.",
    "the city council", "the Ministry of Defence", "Meridian Holdings Plc", "the I.M.F.",
]
PLACES = [
    "Washington, D.C.", "Austin, Tex.", "the U.K.", "St. Louis", "the U.S.", "Geneva",
    "Portland, Ore.", "Lagos", "Mt. Vernon", "Ft. Worth", "Derna", "the port city of Marsabay",
    "Springfield, Ill.", "Brussels",
]
DATELINES = [
    "BEIRUT (Reuters) -", "WASHINGTON (AP) —", "GENEVA —", "LAGOS, Nigeria (Northwire) —",
    "TORVIK, Valdora (Meridian TV) —", "BRUSSELS, May 3 —", "NEW YORK —", "KYIV, Ukraine —",
]
MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
          "Nov.", "Dec."]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
VERBS_SAID = ["said", "told reporters", "said in a statement", "told a news conference",
              "wrote on social media", "said on Tuesday", "added", "warned"]
SUBJECTS = [
    "the vote", "the deal", "the strike", "the ceasefire", "the budget", "the inquiry",
    "the outbreak", "the merger", "the trial", "the blockade", "the rescue effort",
    "inflation", "unemployment", "the flood defences", "the new tariff",
]
OUTCOMES = [
    "collapsed", "passed by a narrow margin", "was delayed again", "drew sharp criticism",
    "exceeded expectations", "stalled in committee", "was quietly shelved", "went ahead",
    "was challenged in court", "won broad support",
]
CLAUSES = [
    "we will not back down", "the numbers speak for themselves", "this is only the beginning",
    "nobody saw this coming", "the families deserve answers", "we did everything we could",
    "the plan failed", "we need more time", "the law is clear", "it is far from over",
]
HEAD_WORDS = [
    "Storm", "Talks", "Strike", "Shares", "Senate", "Court", "Council", "Police", "Rebels",
    "Markets", "Workers", "Officials", "Voters", "Doctors", "Farmers",
]
HEAD_VERBS = ["slam", "back", "reject", "kill", "hit", "halt", "win", "lose", "probe", "fear"]
# fmt: on


def _person(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return f"{rng.choice(TITLES)} {rng.choice(LAST)}"
    if r < 0.75:
        suffix = rng.choice(["", "", "", " Jr.", " Sr."])
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}{suffix}"
    return rng.choice(ROLES)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _number(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.25:
        return f"{rng.randint(1, 12)}.{rng.randint(0, 9)}%"
    if r < 0.5:
        return f"${rng.randint(1, 99)}.{rng.randint(1, 9)}bn"
    if r < 0.7:
        return f"{rng.randint(2, 9_999):,}"
    if r < 0.85:
        return f"£{rng.randint(10, 900)}m"
    return f"{rng.randint(1, 40)} per cent"


def _when(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return f"on {rng.choice(MONTHS)} {rng.randint(1, 28)}"
    if r < 0.55:
        return f"at {rng.randint(1, 11)} {rng.choice(['a.m.', 'p.m.'])} {rng.choice(['local time', 'on ' + rng.choice(DAYS)])}"  # noqa: E501
    if r < 0.7:
        return f"at {rng.randint(1, 12)}.{rng.randint(10, 59)} on {rng.choice(DAYS)}"
    return f"on {rng.choice(DAYS)}"


def _sentence(rng: random.Random) -> str:
    """One body sentence from a weighted set of news templates."""
    p, q = _person(rng), _person(rng)
    k = rng.randrange(22)
    if k == 0:
        return f"{_cap(p)} said {rng.choice(SUBJECTS)} {rng.choice(OUTCOMES)} {_when(rng)}."
    if k == 1:
        return f"“{_cap(rng.choice(CLAUSES))},” {p} {rng.choice(VERBS_SAID)}."
    if k == 2:
        return f"“{_cap(rng.choice(CLAUSES))}. {_cap(rng.choice(CLAUSES))},” {p} said."
    if k == 3:
        return f"“Why now?” {rng.choice(['she', 'he'])} asked."
    if k == 4:
        return f"{_cap(rng.choice(ORGS))} reported a loss of {_number(rng)} {_when(rng)}."
    if k == 5:
        return f"Prices in {rng.choice(PLACES)} rose {_number(rng)} in {rng.choice(MONTHS)}."
    if k == 6:
        return f"Troops returned to {rng.choice(['the U.S.', 'the U.K.', 'Washington, D.C.'])}"
    if k == 7:
        return (
            f"{_cap(p)} and {q} met in {rng.choice(PLACES)} {_when(rng)} to discuss "
            f"{rng.choice(SUBJECTS)}, e.g. the costs and the timetable."
        )
    if k == 8:
        return f"The case, {rng.choice(LAST)} vs. {rng.choice(LAST)}, {rng.choice(OUTCOMES)}."
    if k == 9:
        return f"He paused... then said {rng.choice(SUBJECTS)} {rng.choice(OUTCOMES)}."
    if k == 10:
        return f"Details are at www.{rng.choice(LAST).lower()}.example.org/report."
    if k == 11:
        return f"Write to tips@{rng.choice(LAST).lower()}.example.com with information."
    if k == 12:
        return f"{_cap(rng.choice(SUBJECTS))} — worth {_number(rng)} — {rng.choice(OUTCOMES)}."
    if k == 13:
        return f"(The figure was {_number(rng)}, up from {_number(rng)}.)"
    if k == 14:
        return f"Is {rng.choice(SUBJECTS)} over? {_cap(p)} would not say."
    if k == 15:
        return f"It worked! {_cap(rng.choice(SUBJECTS))} {rng.choice(OUTCOMES)}."
    if k == 16:
        return (
            f"According to {rng.choice(ORGS)}, {rng.choice(SUBJECTS)} {rng.choice(OUTCOMES)} "
            f"after {rng.randint(2, 40)} days, with losses of {_number(rng)}."
        )
    if k == 17:
        return f"They gathered at St. {rng.choice(LAST)}'s church at No. {rng.randint(1, 99)}."
    if k == 18:
        return f"{_cap(p)} told the group’s “{rng.choice(['bastions', 'allies', 'donors'])}.”"
    if k == 19:
        return f"He said: “{_cap(rng.choice(CLAUSES))}. {_cap(rng.choice(CLAUSES))}.”"
    if k == 20:
        return f"Version {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)} fixed it."
    return (
        f"{_cap(rng.choice(SUBJECTS))} {rng.choice(OUTCOMES)}, {p} {rng.choice(VERBS_SAID)}, "
        f"though {q} disputed the figure of {_number(rng)}."
    )


def _headline(rng: random.Random) -> str:
    h = (
        f"{rng.choice(HEAD_WORDS)} {rng.choice(HEAD_VERBS)} {rng.choice(SUBJECTS)} "
        f"in {rng.choice(PLACES)}"
    )
    if rng.random() < 0.2:
        h = f"‘{_cap(rng.choice(CLAUSES))}’: {h}"
    return h


def _synthetic_paragraph(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.06:
        items = [f"{_cap(rng.choice(SUBJECTS))} {rng.choice(OUTCOMES)}" for _ in range(3)]
        if rng.random() < 0.5:
            body = "\n".join(f"• {it}" for it in items)
        else:
            body = "\n".join(f"{i}. {it}" for i, it in enumerate(items, 1))
        return f"Key points:\n{body}"
    if r < 0.1:
        return f"READ MORE: {_headline(rng)}"
    text = " ".join(_sentence(rng) for _ in range(rng.randint(1, 5)))
    if r < 0.18:
        return "\n".join(textwrap.wrap(text, width=72))  # hard-wrapped prose
    return text


def _synthetic_docs(rng: random.Random) -> Iterator[str]:
    while True:
        parts = [_headline(rng)]
        if rng.random() < 0.5:
            parts.append(f"By {rng.choice(FIRST)} {rng.choice(LAST)}")
        parts.append(f"{rng.choice(DATELINES)} {_sentence(rng)}")
        size = sum(len(x) + 2 for x in parts)
        while size < DOC_BYTES:
            para = _synthetic_paragraph(rng)
            parts.append(para)
            size += len(para.encode("utf-8")) + 2
        newline = "\r\n" if rng.random() < 0.05 else "\n"
        yield (newline * 2).join(parts)


# --------------------------------------------------------------------------- article corpus


def _article_files() -> list[Path]:
    if not ARTICLES_DIR.is_dir():
        return []
    return sorted(p for p in ARTICLES_DIR.rglob("*.txt") if p.is_file())


def _read_article(path: Path) -> list[str]:
    """Paragraphs (sentences joined with one space) of one article file; [] if malformed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        body = lines[lines.index("---") + 1 :]
    except ValueError:
        return []
    paragraphs: list[list[str]] = [[]]
    for line in body:
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        sentence = line.split(" || ", 1)[0].strip()
        if sentence:
            paragraphs[-1].append(sentence)
    return [" ".join(p) for p in paragraphs if p]


def _article_docs(articles: Sequence[list[str]], rng: random.Random) -> Iterator[str]:
    """Endless ~3 KB documents: articles in seeded order, body paragraphs reshuffled per pass.

    Each pass shuffles the article order and the body paragraphs of each article (the headline
    and the first body paragraph - byline or dateline - stay first), then cuts the article at
    paragraph boundaries into documents of about ``DOC_BYTES``.
    """
    while True:
        order = list(range(len(articles)))
        rng.shuffle(order)
        for i in order:
            paras = list(articles[i])
            head, rest = paras[:2], paras[2:]
            rng.shuffle(rest)
            chunk: list[str] = []
            size = 0
            for para in head + rest:
                chunk.append(para)
                size += len(para.encode("utf-8")) + 2
                if size >= DOC_BYTES:
                    yield "\n\n".join(chunk)
                    chunk, size = [], 0
            if chunk:
                yield "\n\n".join(chunk)


def build_corpus(mb: float, source: str, seed: int) -> tuple[list[str], dict[str, Any]]:
    """Documents totalling at least ``mb`` MB, and a description of where they came from."""
    rng = random.Random(seed)
    files = _article_files() if source in ("auto", "articles") else []
    articles = [a for a in (_read_article(p) for p in files) if a]
    if source == "articles" and not articles:
        sys.exit(f"--source articles: no article files under {ARTICLES_DIR}")
    info: dict[str, Any]
    if articles:
        raw = "\n\n\n".join("\n\n".join(a) for a in articles)
        info = {
            "source": "articles",
            "description": f"{len(articles)} article files under corpora/articles "
            f"({len(raw.encode('utf-8')):,} bytes of sentence text), repeated and shuffled",
            "raw_sha256": hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16],
        }
        stream = _article_docs(articles, rng)
    else:
        info = {
            "source": "synthetic",
            "description": "seeded synthetic news (templates in bench_segment.py)",
        }
        stream = _synthetic_docs(rng)
    docs: list[str] = []
    total = 0
    limit = mb * MB
    for doc in stream:
        docs.append(doc)
        total += len(doc.encode("utf-8"))
        if total >= limit:
            break
    digest = hashlib.sha256("\x00".join(docs).encode("utf-8")).hexdigest()[:16]
    info.update(seed=seed, documents=len(docs), bytes=total, corpus_sha256=digest)
    return docs, info


# --------------------------------------------------------------------------- segmenters


def _punkt_tokenizer() -> PunktSentenceTokenizer:
    return PunktSentenceTokenizer(default_punkt_parameters())


def _make_pysbd() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def run_biaskit(docs: Sequence[str]) -> int:
    n = 0
    for doc in docs:
        n += len(segment(doc))
    return n


def make_run_punkt() -> Callable[[Sequence[str]], int]:
    tok = _punkt_tokenizer()

    def run(docs: Sequence[str]) -> int:
        n = 0
        for doc in docs:
            n += len(list(tok.span_tokenize(doc)))
        return n

    return run


def make_run_pysbd() -> Callable[[Sequence[str]], int]:
    seg = _make_pysbd()

    def run(docs: Sequence[str]) -> int:
        n = 0
        for doc in docs:
            n += len(seg.segment(doc))
        return n

    return run


def time_best(
    fn: Callable[[Sequence[str]], int], docs: Sequence[str], repeats: int
) -> tuple[float, int, list[float]]:
    """Best wall time over ``repeats`` runs, the sentence count, and all times."""
    fn(docs[:5])  # warm-up: build tokenizers, compile regexes, fill caches
    times: list[float] = []
    count = 0
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        count = fn(docs)
        times.append(time.perf_counter() - t0)
    return min(times), count, times


def subsample(docs: Sequence[str], kb: float) -> list[str]:
    """The first documents whose total size reaches ``kb`` KB (at least one)."""
    out: list[str] = []
    total = 0
    for doc in docs:
        out.append(doc)
        total += len(doc.encode("utf-8"))
        if total >= kb * 1000:
            break
    return out


# --------------------------------------------------------------------------- accuracy


def load_cases() -> list[tuple[str, str, list[str]]]:
    """``CASES`` from tests/test_segment.py, imported by path (tests is not a package)."""
    spec = importlib.util.spec_from_file_location("_bench_test_segment", CASES_FILE)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load {CASES_FILE}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return list(module.CASES)
    except ImportError as exc:  # test-only deps (pytest, hypothesis) missing: read the literal
        print(f"note: importing {CASES_FILE.name} failed ({exc}); reading CASES literally")
        tree = ast.parse(CASES_FILE.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "CASES" for t in node.targets
            ):
                return list(ast.literal_eval(node.value))
        sys.exit(f"no CASES table in {CASES_FILE}")


def _clean(sentences: Sequence[str]) -> list[str]:
    return [s.strip() for s in sentences if s.strip()]


def accuracy(
    split: Callable[[str], list[str]], cases: Sequence[tuple[str, str, list[str]]]
) -> dict[str, Any]:
    failed = []
    for case_id, text, expected in cases:
        try:
            got = _clean(split(text))
        except Exception:  # noqa: BLE001 - a crash is a failed case
            got = None
        if got != _clean(expected):
            failed.append(case_id)
    n = len(cases)
    return {"cases": n, "passed": n - len(failed), "share": (n - len(failed)) / n, "failed": failed}


# --------------------------------------------------------------------------- report


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.2f}"


def markdown_table(results: dict[str, Any]) -> str:
    rows = [
        "| Segmenter | MB/s | sentences/s | biaskit speed ÷ this | golden cases exact |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results["segmenters"]:
        acc = r["accuracy"]
        ratio = r.get("biaskit_ratio")
        ratio_s = "—" if ratio is None else f"{ratio:.2f}×"
        rows.append(
            f"| {r['label']} | {r['mb_per_s']:.3f} | {_fmt_rate(r['sentences_per_s'])} | "
            f"{ratio_s} | {acc['passed']}/{acc['cases']} ({acc['share']:.0%}) |"
        )
    c = results["corpus"]
    kind = "article-derived" if c["source"] == "articles" else "synthetic"
    repeats = results["config"]["repeats"]
    rows.append("")
    rows.append(
        f"{c['bytes'] / MB:.1f} MB of {kind} news text in {c['documents']:,} documents "
        f"of ~3 KB; best of {repeats} run{'s' if repeats > 1 else ''}; pySBD timed on the first "
        f"{results['pysbd_sample_bytes'] / 1000:.0f} KB and extrapolated; "
        f"Python {results['env']['python']}, NLTK {results['env']['nltk']}, "
        f"pySBD {results['env']['pysbd']}."
    )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--mb", type=float, default=5.0, help="corpus size in MB (default 5)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs, best kept (default 3)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument(
        "--pysbd-kb", type=float, default=200.0, help="pySBD subsample size in KB (default 200)"
    )
    ap.add_argument(
        "--source",
        choices=("auto", "articles", "synthetic"),
        default="auto",
        help="corpus raw material: corpora/articles if present (auto), or force one",
    )
    ap.add_argument("--seed", type=int, default=SEED, help=f"corpus seed (default {SEED})")
    args = ap.parse_args(argv)
    if args.mb <= 0 or args.repeats < 1 or args.pysbd_kb <= 0:
        ap.error("--mb, --repeats and --pysbd-kb must be positive")

    try:
        import pysbd
    except ImportError:
        sys.exit("pySBD is not installed: pip install 'pysbd>=0.3.4' (or biaskit[test])")
    env = {
        "python": platform.python_version(),
        "nltk": nltk.__version__,
        "pysbd": getattr(pysbd, "__version__", "?"),
        "biaskit": biaskit.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }

    t0 = time.perf_counter()
    docs, corpus = build_corpus(args.mb, args.source, args.seed)
    raw_hash = f", raw sha256 {corpus['raw_sha256']}" if "raw_sha256" in corpus else ""
    print(f"corpus source: {corpus['source']} — {corpus['description']}{raw_hash}")
    print(
        f"corpus: {corpus['bytes']:,} bytes ({corpus['bytes'] / MB:.2f} MB) in "
        f"{corpus['documents']:,} documents, seed {corpus['seed']}, "
        f"sha256 {corpus['corpus_sha256']} (built in {time.perf_counter() - t0:.1f}s)"
    )
    mb_total = corpus["bytes"] / MB

    print(f"timing biaskit.segment.segment (best of {args.repeats}) ...", flush=True)
    b_time, b_sents, b_all = time_best(run_biaskit, docs, args.repeats)
    print(f"timing raw NLTK Punkt span_tokenize (best of {args.repeats}) ...", flush=True)
    p_time, p_sents, p_all = time_best(make_run_punkt(), docs, args.repeats)
    sample = subsample(docs, args.pysbd_kb)
    s_bytes = sum(len(d.encode("utf-8")) for d in sample)
    print(
        f"timing pySBD once on the first {len(sample)} documents ({s_bytes:,} bytes) ...",
        flush=True,
    )
    s_time, s_sents, s_all = time_best(make_run_pysbd(), sample, 1)

    b_rate, p_rate, s_rate = mb_total / b_time, mb_total / p_time, (s_bytes / MB) / s_time
    tok = _punkt_tokenizer()
    pysbd_seg = _make_pysbd()
    cases = load_cases()
    segmenters = [
        {
            "name": "biaskit",
            "label": "biaskit `segment()`",
            "seconds": b_time,
            "all_seconds": b_all,
            "bytes": corpus["bytes"],
            "sentences": b_sents,
            "mb_per_s": b_rate,
            "sentences_per_s": b_sents / b_time,
            "biaskit_ratio": None,
            "accuracy": accuracy(lambda t: [s.text for s in segment(t)], cases),
        },
        {
            "name": "punkt",
            "label": "NLTK Punkt, same parameters",
            "seconds": p_time,
            "all_seconds": p_all,
            "bytes": corpus["bytes"],
            "sentences": p_sents,
            "mb_per_s": p_rate,
            "sentences_per_s": p_sents / p_time,
            "biaskit_ratio": b_rate / p_rate,
            "accuracy": accuracy(lambda t: [t[s:e] for s, e in tok.span_tokenize(t)], cases),
        },
        {
            "name": "pysbd",
            "label": f"pySBD {env['pysbd']} (extrapolated)",
            "seconds": s_time,
            "all_seconds": s_all,
            "bytes": s_bytes,
            "sentences": s_sents,
            "mb_per_s": s_rate,
            "sentences_per_s": s_sents / s_time,
            "biaskit_ratio": b_rate / s_rate,
            "extrapolated_seconds_full_corpus": mb_total / s_rate,
            "accuracy": accuracy(lambda t: list(pysbd_seg.segment(t)), cases),
        },
    ]
    vs_punkt, vs_pysbd = b_rate / p_rate, b_rate / s_rate
    results = {
        "config": {
            "mb": args.mb,
            "repeats": args.repeats,
            "pysbd_kb": args.pysbd_kb,
            "doc_bytes": DOC_BYTES,
            "mb_unit_bytes": MB,
        },
        "corpus": corpus,
        "env": env,
        "pysbd_sample_bytes": s_bytes,
        "segmenters": segmenters,
        "ratios": {
            "biaskit_vs_punkt": vs_punkt,
            "biaskit_vs_punkt_target": TARGET_VS_PUNKT,
            "biaskit_vs_punkt_ok": vs_punkt >= TARGET_VS_PUNKT,
            "biaskit_vs_pysbd": vs_pysbd,
            "biaskit_vs_pysbd_target": TARGET_VS_PYSBD,
            "biaskit_vs_pysbd_ok": vs_pysbd >= TARGET_VS_PYSBD,
        },
    }

    print()
    print("throughput (MB = 10^6 bytes of UTF-8)")
    for r in segmenters:
        extra = ""
        if r["name"] == "pysbd":
            extra = (
                f"  [measured on {r['bytes'] / 1000:.0f} KB, extrapolated: "
                f"~{r['extrapolated_seconds_full_corpus']:.0f}s for the full corpus]"
            )
        else:
            runs = ", ".join(f"{t:.2f}" for t in r["all_seconds"])
            extra = f"  [runs: {runs} s]"
        print(
            f"  {r['name']:<8} {r['seconds']:8.2f}s  {r['sentences']:>9,} sentences  "
            f"{_fmt_rate(r['sentences_per_s']):>9} sent/s  {r['mb_per_s']:7.3f} MB/s{extra}"
        )
    ok = {True: "OK", False: "MISSED"}
    print(
        f"  biaskit / raw Punkt: {vs_punkt:.3f}×  (target ≥ {TARGET_VS_PUNKT}×: "
        f"{ok[vs_punkt >= TARGET_VS_PUNKT]})"
    )
    print(
        f"  biaskit / pySBD:     {vs_pysbd:.1f}×  (target ≥ {TARGET_VS_PYSBD:.0f}×: "
        f"{ok[vs_pysbd >= TARGET_VS_PYSBD]})"
    )
    print()
    print(f"accuracy on the golden CASES table ({len(cases)} cases, exact sentence lists)")
    for r in segmenters:
        acc = r["accuracy"]
        print(f"  {r['name']:<8} {acc['passed']:>3}/{acc['cases']} ({acc['share']:.1%})")
        if acc["failed"]:
            print(
                textwrap.indent(textwrap.fill("fails: " + ", ".join(acc["failed"]), 92), " " * 11)
            )
    print()
    print(markdown_table(results))

    if args.json:
        path = Path(args.json)
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
