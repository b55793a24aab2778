"""Inputs and expected output of ``extract_article`` for ``test_attribution_equivalence.py``.

The attribution rules were sped up (issue #5) on the promise that their output did not change
in any field. This module builds a fixed set of inputs and writes what the rules return for
them to ``tests/data/attribution_expected.json``; the test runs the current rules on the same
inputs and compares. Inputs:

- every corpus article, with its gold sentence offsets (not the segmenter's, so a change in
  the segmenter does not show up here) and the shipped lexicon matches, as ``analyze`` calls
  the rules — stored as a hash of the input and of the output per article, plus the whole
  output of a few articles so that a failure can be read;
- awkward texts: runs of dashes, commas and quotation marks, unicode quotes, very long and
  empty sentences, and one example of each rule — stored whole (text, spans, output), and
  hashed when the rules compute the lexicon matches themselves; all of them as one article
  (hashed);
- seeded random texts built from a fixed vocabulary of cue words, names and punctuation —
  output hashes only (the texts are rebuilt from the seed).

Regenerate (only when a change of output is intended, and say so in the commit)::

    python tests/attribution_fixture.py
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from biaskit.attribution import extract_article
from biaskit.corpus import load
from biaskit.lexicons import default_matcher

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "attribution_expected.json"
#: Attribution fields compared, in this order
FIELDS = (
    "kind", "rule", "cue", "source", "content", "source_type", "entity", "texts", "cue_weight",
    "frame",
)
#: corpus articles whose whole output is stored (every n-th article by id)
FULL_EVERY = 40
RANDOM_SEED = 5
RANDOM_COUNT = 400

AWKWARD = [
    "", " ", "\n\n", ",", "—", "“", "”", '"', "''", "“”", "said", "Said.", "said,",
    "- - - - - - - - said", "— — — — — — — — — — said the man", ", , , , , , , , , said",
    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,, he said", "—" * 300 + " said", "," * 500 + " said",
    "“" * 50 + "said" + "”" * 50, "“Hello,” ” said “ he.", "‘Yes,’ ‘no,’ said ‘X’.",
    "“We will win,” Gen. Lee said.", "«Nous gagnerons», a dit le général.",
    "„Wir gewinnen“, sagte er.", "He said: “", "He said: “It’s over.”", ": said:",
    "Minister: prices will fall", "TRUMP: We are going to win.", "READ MORE: said the man",
    "According to", "according to,", "according to need", "citing", "data show",
    "Police put the crowd at 18,000.", "in what critics call a power grab",
    "As the judge put it, the law is dead.", "Rep. Gaither put it plainly: the cuts hurt.",
    "“…” ― Donald Trump", "“Great.” — Jane Doe, June 1", "— Jane", "―",
    "The plan was criticised by the union.", "He declined to say.", "She said nothing.",
    "Soldiers said to have been taken to hospital.", "A plant accused of hiring minors.",
    "Sen. Jane Roe (D-Ohio) said the bill would pass.", "((((((((( said", ") said",
    "( ) said", "Viktor Halden — the former minister — insists it is fine.",
    "Ana Ruiz, 45, a teacher, said the school closed.",
    "Scientists who checked 1,100 reefs found that most were dying.",
    "studies in the United States, Europe and Asia show that it works.",
    "A senior official who asked not to be named because of the sensitivity said it was done.",
    "It said there was no indication.", "It found that prices rose.",
    "people familiar with the matter said", "sources said", "reportedly", "allegedly he said",
    "is said to be", "Dale Prewitt said the administration expects growth.",
    "Valdoria describes the deal as proof of goodwill, while Aalto has called it a first step.",
    "told Northwire on Monday that the port was closed", "He told reporters: “We’re done.”",
    "An armed group called the “Maren Brigades” said it attacked.",
    "X called the plan “a disgrace”, according to Y.",
    "The study, published in 2002, analysed 168 hospitals. It found that deaths fell.",
    "One engineer, who asked not to be named, said it broke. “It was bad,” he added.",
    "“The money is real,” said Ana Ruiz. “What the market prices is the cost.”",
    "“First sentence. Second sentence. Third,” she said.",
    "Prices rose, the ministry said.", "…, the authors report.",
    "Observers note that the river rose.", "said said said said said said said said",
    "a " * 400 + "called the “X”", "what " * 100 + "call it", "put it " * 100,
    " at " * 200 + "put the crowd at 5", "who " * 200 + "said", "by " * 200,
    "He said " * 300, "“" + "It is fine, he said. " * 100 + "”",
    "\u00a0said\u00a0he", "ＳＡＩＤ", "İstanbul said", "ß said", "ǅ said", "ﬁ said that",
    "He saiḍ", "Les said: “", "She—said—that—it—was", "She–said–", "He said—",
    "I said it. We believe it.", "You can call it a win.", "Nobody disputes that.",
    "Markets seemed to agree that rates will fall.", "the State Department said",
    "Amina Said arrived.", "a travel warning was issued", "after warning that it would",
    "The agreement, announced Sunday, raises prices.", "announced a $150m plan",
    "announced that it would close", "Later studies have reported similar associations.",
    "hopes to name a successor", "He said he expects a hearing.",
    "Hundreds marched behind Dana Okoro, who says a pepper ball hit her.",
    "according to the ministry, which said it was fine",
    "according to two people familiar with the matter who were not authorized to discuss it",
    "Iglesias said the pre-order data showed strong demand.",
    "on May 5 said", "Six in 10 say they agree.", "47 percent said yes.",
    "U.S.-said officials", "1,100,said the 2,000", "Dr.said", "the co-said",
]

_VOCAB = [
    "said", "says", "told", "according to", "citing", "reportedly", "allegedly", "who", "what",
    "call", "called", "put it", "at", "by", "that", "found", "show", "showed", "estimated",
    "announced", "sources", "officials", "He", "She", "It", "They", "was", "were", "and",
    "saying", "familiar with", "anonymity", "the", "a", "As", "Mr.", "Dr.", "Gen.", "Ana",
    "Ruiz", "Ministry", "report", "study", "data", "police", "on", "Monday", "not", "never",
    "declined to", "warned", "insisted", "denied", "claimed", "believes", "the union", "of",
    "Haftar", "Halden", "1,100", "45", "May", "5", "percent", "crowd", "prices", "will", "fall",
    "spokeswoman", "added", "noted", "in", "plan", "“a disgrace”", "described", "as",
]
_PUNCT = [",", ".", ";", ":", "—", "–", "-", "“", "”", '"', "‘", "’", "'", "(", ")", "?", "!",
          "…", "«", "»", "\n", " ", "―", "$", "%"]


def canonical(out: list[list[Any]]) -> list[list[list[Any]]]:
    """The compared fields of every attribution, JSON-ready (tuples as lists)."""
    return json.loads(
        json.dumps([[[getattr(a, f) for f in FIELDS] for a in atts] for atts in out])
    )


def digest(value: Any) -> str:
    """A short, stable hash of a JSON-ready value."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def run(doc: str, spans: list[tuple[int, int]], with_matches: bool = True) -> list[Any]:
    """``extract_article`` as ``analyze`` calls it (lexicon matches per sentence), canonical."""
    matches = None
    if with_matches:
        matcher = default_matcher()
        matches = [matcher.matches(doc[s:e], offset=s) for s, e in spans]
    return canonical(extract_article(doc, list(spans), matches))


def simple_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans without the segmenter: cut after ". " (and the whole text as one)."""
    cuts = [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == ". "]
    bounds = [0, *cuts, len(text)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a] or [(0, len(text))]


def awkward_inputs() -> list[tuple[str, list[tuple[int, int]]]]:
    """Each awkward text as one sentence, and cut at ". " when that makes several."""
    out = []
    for text in AWKWARD:
        out.append((text, [(0, len(text))]))
        spans = simple_spans(text)
        if len(spans) > 1:
            out.append((text, spans))
    return out


def joined_input() -> tuple[str, list[tuple[int, int]]]:
    """All awkward texts as one article (quotations and coreference across them)."""
    joined = " ".join(AWKWARD)
    return joined, simple_spans(joined)


def random_inputs() -> list[tuple[str, list[tuple[int, int]]]]:
    """Seeded random texts from ``_VOCAB`` and ``_PUNCT``, with seeded random sentence cuts."""
    rng = random.Random(RANDOM_SEED)
    out = []
    for _ in range(RANDOM_COUNT):
        n = rng.choice([3, 8, 15, 30, 60, 150])
        parts = [
            rng.choice(_VOCAB) if rng.random() < 0.75 else rng.choice(_PUNCT) for _ in range(n)
        ]
        text = rng.choice([" ", " ", ""]).join(parts)
        k = min(max(len(text) - 1, 0), rng.randint(0, 5))
        cuts = sorted(rng.sample(range(1, len(text)), k)) if k else []
        bounds = [0, *cuts, len(text)]
        out.append((text, list(zip(bounds[:-1], bounds[1:], strict=True))))
    return out


def corpus_inputs() -> dict[str, tuple[str, list[tuple[int, int]]]]:
    """Every corpus article with its gold sentence offsets, by doc_id."""
    docs, sents = load(ROOT / "corpora")
    spans = {
        d: list(zip(g["start"].tolist(), g["end"].tolist(), strict=True))
        for d, g in sents.groupby("doc_id", sort=False)
    }
    return {d: (t, spans.get(d, [])) for d, t in zip(docs["doc_id"], docs["text"], strict=True)}


def build() -> dict[str, Any]:
    """The fixture: expected output of the current rules on every input."""
    corpus = {}
    full = {}
    for i, (doc_id, (doc, spans)) in enumerate(sorted(corpus_inputs().items())):
        out = run(doc, spans)
        corpus[doc_id] = {"input": digest([doc, spans]), "output": digest(out)}
        if i % FULL_EVERY == 0:
            full[doc_id] = out
    # the rules computing the lexicon matches themselves give the same output (hashed)
    texts = [
        {"text": t, "spans": sp, "expected": run(t, sp), "no_matches": digest(run(t, sp, False))}
        for t, sp in awkward_inputs()
    ]
    joined = [digest(run(*joined_input(), wm)) for wm in (True, False)]
    rand = [digest(run(t, sp)) for t, sp in random_inputs()]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "about": "expected extract_article output; regenerate: python tests/attribution_fixture.py",
        "generated_at_commit": commit,
        "fields": list(FIELDS),
        "corpus": corpus,
        "corpus_full": full,
        "texts": texts,
        "joined": joined,
        "random": {"seed": RANDOM_SEED, "count": RANDOM_COUNT, "outputs": rand},
    }


def write_fixture(path: Path, data: dict[str, Any]) -> int:
    """Write ``data`` as compact JSON to ``path`` (a fixture of the equivalence tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {path} ({path.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


def main() -> int:
    """Write the fixture."""
    return write_fixture(FIXTURE, build())


if __name__ == "__main__":
    raise SystemExit(main())
