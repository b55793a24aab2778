"""The highlighted article view (biaskit.view) as a browser renders it: headless Chromium.

The sample article is analysed, written as a standalone HTML file and opened in the Debian
``chromium`` package driven by Playwright (never ``playwright install``: no downloads). The
tests read the live DOM — tag classes, evidence marks, tooltips — check that hostile article
text stays text, and save a screenshot under ``tests/output/browser/`` (a CI artefact).

Chromium missing is a failure, not a skip: CI installs it (see ``.ci/run``). On a machine
without it, set ``BIASKIT_NO_BROWSER=1`` to skip these tests deliberately.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import biaskit
from biaskit.view import write_html

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

OUTPUT = Path(__file__).resolve().parent / "output" / "browser"
SAMPLE = resources.files("biaskit.data.samples").joinpath("sample-article.txt").read_text("utf-8")
CHROMIUM = os.environ.get("BIASKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_FIX = (
    "install it (Debian: apt-get install -y chromium chromium-driver), point "
    "BIASKIT_CHROMIUM at a Chromium binary, or set BIASKIT_NO_BROWSER=1 to skip the "
    "browser tests on purpose"
)

# every class below must be on at least one *sentence* of the sample article (the legend
# shows all classes too, so DOM queries are scoped to `.bk-article`)
EXPECTED_SENTENCE_CLASSES = [
    "bk-headline",
    "bk-claim",
    "bk-att-direct_quote",
    "bk-att-reported_speech",
    "bk-att-according_to",
    "bk-att-hedged",
    "bk-att-anonymous",
    "bk-frame-loaded_language",
    "bk-frame-opinion",
    "bk-frame-speculation",
    "bk-frame-promo",
]
# (a piece of a sentence, the class that sentence must carry): the team's reading of its sample
SENTENCE_TAGS = [
    ("Valdoran strongman vows", "bk-frame-loaded_language"),
    ("The time for talking is over", "bk-att-direct_quote"),
    ("reportedly spent two weeks", "bk-att-hedged"),
    ("According to the UN refugee agency", "bk-att-according_to"),
    ("speaking on condition of anonymity", "bk-att-anonymous"),
    ("is said to have around 3,000 fighters", "bk-att-hedged"),
    ("Sadly, the West", "bk-frame-opinion"),
    ("raises questions about", "bk-frame-speculation"),
    ("READ MORE:", "bk-frame-promo"),
    ("share it with a friend", "bk-frame-promo"),
]
# (mark class, text that must appear in one of those marks)
EXPECTED_MARKS = [
    ("bk-ev", "bastion"),
    ("bk-src", "Valdoran strongman"),
    ("bk-src", "Reyes"),
    ("bk-src", "A senior Western diplomat"),
    ("bk-cue", "vows"),
    ("bk-cue", "reportedly"),
    ("bk-cue", "is said to"),
]
# background tints of the stylesheet (biaskit.view._CSS) that a highlighted page must show
TINTS = {
    "reported speech / quote": (0xE6, 0xF1, 0xFA),
    "hedged": (0xFF, 0xF4, 0xD6),
    "loaded language": (0xFD, 0xE3, 0xD6),
    "promo": (0xEC, 0xEC, 0xEC),
}
PROBS = re.compile(r"^claim (\d\.\d\d) · attribution (\d\.\d\d) · framing (\d\.\d\d)$")

# article text trying every way out of the text node and the title attribute; each payload
# sets a different window flag, so a failure names the hole
HOSTILE = (
    "Regime thugs <script>window.__bkPwned = 'script';</script> slammed the protest.\n\n"
    "“We will never give up,” said <img src=x onerror=\"window.__bkPwned='img'\">Ana Ruiz, "
    'the "><svg onload="window.__bkPwned=\'svg\'"> leader.\n\n'
    "The </span></p><iframe srcdoc=\"<script>parent.__bkPwned='iframe'</script>\"></iframe> "
    "minister reportedly resigned after <a href=\"javascript:window.__bkPwned='href'\">this</a>."
)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("BIASKIT_NO_BROWSER") == "1":
        pytest.skip("BIASKIT_NO_BROWSER=1: browser tests skipped on request")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"headless Chromium not found at {CHROMIUM}: {HOW_TO_FIX}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # any launch failure means the same thing: no browser
            pytest.fail(f"cannot start Chromium at {CHROMIUM} ({exc}): {HOW_TO_FIX}", pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def sample_table() -> pd.DataFrame:
    return biaskit.analyze([{"doc_id": "sample", "outlet": "meridian-tv", "text": SAMPLE}])


@pytest.fixture(scope="module")
def sample_file(sample_table: pd.DataFrame) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return write_html(
        sample_table, SAMPLE, OUTPUT / "sample-article.html", title="biaskit: sample article"
    )


def _open(browser: Any, path: Path) -> tuple[Any, Any, list[str]]:
    """A fresh page (no JavaScript state shared between tests) with the file loaded."""
    context = browser.new_context(viewport={"width": 1000, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return context, page, errors


@pytest.fixture()
def sample_page(browser: Any, sample_file: Path) -> Iterator[tuple[Any, list[str]]]:
    context, page, errors = _open(browser, sample_file)
    yield page, errors
    context.close()


def _sentences(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        ".bk-article .bk-s",
        "els => els.map(e => ({sent: Number(e.dataset.sent), cls: [...e.classList],"
        " text: e.textContent, title: e.getAttribute('title')}))",
    )


# --------------------------------------------------------------------------- the sample article


def test_page_loads_cleanly(sample_page: tuple[Any, list[str]]) -> None:
    page, errors = sample_page
    assert page.title() == "biaskit: sample article"
    assert page.locator(".bk-legend span").count() >= 10
    assert page.eval_on_selector_all("script", "els => els.length") == 0
    assert errors == []


def test_every_sentence_is_a_span_with_its_text(
    sample_page: tuple[Any, list[str]], sample_table: pd.DataFrame
) -> None:
    page, _ = sample_page
    dom = _sentences(page)
    assert [d["sent"] for d in dom] == sample_table["sent_id"].tolist()
    # the DOM text of each sentence is exactly the table's text: marks and escaping lose nothing
    assert [d["text"] for d in dom] == sample_table["text"].tolist()


@pytest.mark.parametrize("cls", EXPECTED_SENTENCE_CLASSES)
def test_expected_tag_classes_in_dom(sample_page: tuple[Any, list[str]], cls: str) -> None:
    page, _ = sample_page
    assert page.locator(f".bk-article .bk-s.{cls}").count() >= 1, f"no sentence has {cls}"


@pytest.mark.parametrize(("piece", "cls"), SENTENCE_TAGS)
def test_sentence_carries_tag(sample_page: tuple[Any, list[str]], piece: str, cls: str) -> None:
    page, _ = sample_page
    sentence = page.locator(".bk-article .bk-s", has_text=piece)
    assert sentence.count() == 1, f"expected one sentence containing {piece!r}"
    assert cls in (sentence.get_attribute("class") or "").split()


def test_dom_classes_match_the_table(
    sample_page: tuple[Any, list[str]], sample_table: pd.DataFrame
) -> None:
    page, _ = sample_page
    for d, (_, row) in zip(_sentences(page), sample_table.iterrows(), strict=True):
        cls = set(d["cls"])
        assert ("bk-claim" in cls) == bool(row["claim"]), d["text"]
        att = {c.removeprefix("bk-att-") for c in cls if c.startswith("bk-att-")}
        assert att == (set(row["attribution_kind"]) if row["attribution"] else set()), d["text"]
        frame = {c.removeprefix("bk-frame-") for c in cls if c.startswith("bk-frame-")}
        assert frame == (set(row["framing_kind"]) if row["framing"] else set()), d["text"]


def _marked_text(page: Any) -> list[dict[str, str]]:
    """Per sentence, the text under each mark class (pieces joined: a mark may be split)."""
    return page.eval_on_selector_all(
        ".bk-article .bk-s",
        "els => els.map(e => Object.fromEntries(['bk-src', 'bk-cue', 'bk-ev'].map(c =>"
        " [c, [...e.querySelectorAll('.' + c)].map(m => m.textContent).join('')])))",
    )


@pytest.mark.parametrize(("cls", "text"), EXPECTED_MARKS)
def test_evidence_marks(sample_page: tuple[Any, list[str]], cls: str, text: str) -> None:
    page, _ = sample_page
    marked = [m[cls] for m in _marked_text(page)]
    assert any(text in m for m in marked), f"{text!r} not marked .{cls}; marked: {marked}"


def test_evidence_marks_are_visible(sample_page: tuple[Any, list[str]]) -> None:
    page, _ = sample_page
    styles = page.evaluate(
        "() => ['bk-ev', 'bk-src', 'bk-cue'].map(c => {"
        "  const e = document.querySelector('.bk-article .' + c); const s = getComputedStyle(e);"
        "  return [c, s.textDecorationLine, s.fontWeight, s.fontStyle]; })",
    )
    got = {c: (deco, weight, style) for c, deco, weight, style in styles}
    assert "underline" in got["bk-ev"][0]
    assert int(got["bk-src"][1]) >= 600
    assert got["bk-cue"][2] == "italic"


def test_tooltips_carry_probabilities(
    sample_page: tuple[Any, list[str]], sample_table: pd.DataFrame
) -> None:
    page, _ = sample_page
    for d, (_, row) in zip(_sentences(page), sample_table.iterrows(), strict=True):
        first = d["title"].split("\n")[0]
        m = PROBS.match(first)
        assert m, f"tooltip without probabilities: {first!r}"
        shown = [float(x) for x in m.groups()]
        want = [row["p_claim"], row["p_attribution"], row["p_framing"]]
        assert shown == pytest.approx(want, abs=0.006)
    quote = page.locator(".bk-article .bk-s", has_text="The time for talking is over")
    title = quote.get_attribute("title") or ""
    assert "attribution: direct_quote" in title and "source: Reyes" in title
    assert "cue: told" in title


def test_tooltips_have_no_missing_value_placeholders(
    sample_page: tuple[Any, list[str]],
) -> None:
    page, _ = sample_page
    titles = [d["title"] for d in _sentences(page)]
    bad = [t for t in titles if re.search(r"\b(nan|None)\b", t)]
    assert bad == []


def test_overlapping_marks_are_all_shown(
    sample_page: tuple[Any, list[str]], sample_table: pd.DataFrame
) -> None:
    page, _ = sample_page
    missing = []
    for marks, (_, row) in zip(_marked_text(page), sample_table.iterrows(), strict=True):
        for key, cls in (("source", "bk-src"), ("cue", "bk-cue")):
            start = row[f"{key}_start"]
            # a followed quotation's speaker is in another sentence: nothing to mark here
            inside = not pd.isna(start) and row["start"] <= start < row["end"]
            if inside and row[key] not in marks[cls]:
                missing.append((cls, row[key]))
        for ev in row["evidence"]:
            # the words behind framing (lexicon evidence) are underlined; model-feature
            # evidence is listed in the tooltip only
            if (ev["tag"] == "framing" and ev.get("start") is not None
                    and ev["rule"].startswith("lexicon")):
                if ev["term"] not in marks["bk-ev"]:
                    missing.append(("bk-ev", ev["term"]))
    assert missing == []


def test_screenshot_is_not_blank(sample_page: tuple[Any, list[str]]) -> None:
    from PIL import Image

    page, _ = sample_page
    path = OUTPUT / "sample-article.png"
    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    width, height = rgb.size
    assert width >= 800 and height >= 800, rgb.size
    colours = rgb.getcolors(maxcolors=width * height)
    assert colours is not None
    assert len(colours) > 50, f"only {len(colours)} distinct colours: blank page?"
    white = sum(n for n, c in colours if min(c) >= 250)
    assert 1 - white / (width * height) > 0.05, "almost everything is white"
    present = {c for _, c in colours}
    missing = [
        name
        for name, tint in TINTS.items()
        if not any(all(abs(a - b) <= 2 for a, b in zip(c, tint, strict=True)) for c in present)
    ]
    assert missing == [], f"highlight colours not on screen: {missing}"


# --------------------------------------------------------------------------- hostile text


def test_article_markup_is_escaped_and_never_runs(browser: Any) -> None:
    table = biaskit.analyze([{"doc_id": "hostile", "outlet": "x", "text": HOSTILE}])
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = write_html(table, HOSTILE, OUTPUT / "hostile.html", title="<script>t</script>")
    context, page, errors = _open(browser, path)
    try:
        page.wait_for_timeout(300)  # give an onerror/onload handler time to fire
        assert page.evaluate("typeof window.__bkPwned") == "undefined", page.evaluate(
            "String(window.__bkPwned)"
        )
        counts = page.evaluate(
            "['script', 'img', 'svg', 'iframe', 'a'].map(t => document.getElementsByTagName(t)"
            ".length)"
        )
        assert counts == [0, 0, 0, 0, 0]
        handlers = page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".map(a => a.name)).filter(n => n.startsWith('on'))"
        )
        assert handlers == []
        text = page.inner_text(".bk-article")
        assert "<script>window.__bkPwned = 'script';</script>" in text
        assert "<img src=x onerror=" in text
        assert "</span></p><iframe" in text
        assert page.title() == "<script>t</script>"
        # sentences and tooltips survived intact
        dom = _sentences(page)
        assert [d["text"] for d in dom] == table["text"].tolist()
        assert all(PROBS.match(d["title"].split("\n")[0]) for d in dom)
        assert errors == []
    finally:
        context.close()
