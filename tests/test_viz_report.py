"""Tests of biaskit.viz (plots) and biaskit.report (HTML report, table export)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from biaskit.comparison import CompareOptions, compare
from biaskit.errors import InputError, OutputError
from biaskit.report import render_report, write_report, write_tables
from biaskit.schema import ATTRIBUTION_KINDS
from biaskit.viz import attribution_bars, forest_plot, heatmap, plot_top_terms, top_terms

HOSTILE = '<script>alert("x")</script>'
LOADED = ["regime", "strongman", "slammed", "hotbed", "thugs"]


def sent(doc, outlet, sid, **kw):
    row = {
        "doc_id": doc, "outlet": outlet, "sent_id": sid, "text": f"Sentence {sid} of {doc}.",
        "in_quote": 0.0, "p_claim": 0.5, "p_attribution": 0.5, "p_framing": 0.5,
        "claim": False, "attribution": False, "framing": False, "attribution_kind": [],
        "framing_kind": [], "quoted_framing": False, "quoted_framing_kind": [],
        "framing_voice": None, "source": None, "source_type": None, "source_entity": None,
        "cue": None, "evidence": [], "model_version": "test-0",
    }
    row.update(kw)
    return row


def synthetic_sentences(seed=0, outlets=("Alpha", "Beta", "Gamma"), n_docs=12, n_sent=8):
    """A random but plausible tagged sentence table (no model involved)."""
    rng = np.random.default_rng(seed)
    rows = []
    for o, outlet in enumerate(outlets):
        for d in range(n_docs):
            doc = f"{outlet[:2]}{d}"
            for s in range(n_sent):
                kw = {"claim": bool(rng.random() < 0.3 + 0.15 * o)}
                if rng.random() < 0.4:
                    kind = ATTRIBUTION_KINDS[rng.integers(len(ATTRIBUTION_KINDS))]
                    kw.update(attribution=True, attribution_kind=[kind], cue="said",
                              source="officials" if kind == "anonymous" else f"Person {s}",
                              source_type="anonymous" if kind == "anonymous" else "person",
                              evidence=[{"tag": "attribution", "kind": kind, "term": "said"}])
                if rng.random() < 0.1 + 0.1 * o:
                    term = LOADED[rng.integers(len(LOADED))]
                    kw.update(framing=True, framing_kind=["loaded_language"],
                              framing_voice="writer", p_framing=0.9,
                              text=f"The {term} acted in {doc}.",
                              evidence=[{"tag": "framing", "kind": "loaded_language",
                                         "term": term}])
                elif rng.random() < 0.1:
                    kw.update(quoted_framing=True, quoted_framing_kind=["loaded_language"],
                              framing_voice="quoted", in_quote=1.0,
                              evidence=[{"tag": "framing", "kind": "loaded_language",
                                         "term": "quotedword"}])
                if s == n_sent - 1:
                    kw = {"framing": True, "framing_kind": ["promo"], "text": "READ MORE: x"}
                rows.append(sent(doc, outlet, s, **kw))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sentences():
    return synthetic_sentences()


@pytest.fixture(scope="module")
def outlet_table(sentences):
    return compare(sentences, n_boot=100, min_articles=20)


# --------------------------------------------------------------------------- viz


def test_forest_plot_sorted_with_warning_markers(outlet_table):
    fig = forest_plot(outlet_table, "claim_density")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    rows = outlet_table[outlet_table["metric"] == "claim_density"].sort_values("estimate")
    assert labels == [f"{o} (n=12) †" for o in rows["outlet"]]  # 12 < 20 articles: warned
    assert "claims per sentence" in ax.get_title(loc="left")
    with pytest.raises(InputError, match="no rows for metric 'nope'"):
        forest_plot(outlet_table, "nope")


def test_forest_plot_title_wraps_instead_of_running_off_the_figure(outlet_table):
    title = forest_plot(outlet_table, "quoted_framing_rate").axes[0].get_title(loc="left")
    assert title.replace("\n", " ") == (
        "quoted_framing_rate: sentences with framing inside quotations (sources' voice) per "
        "100 sentences"
    )
    assert max(len(line) for line in title.split("\n")) <= 60


def test_heatmap_shape_and_annotations(outlet_table):
    fig = heatmap(outlet_table, ["claim_density", "hedge_rate"])
    ax = fig.axes[0]
    assert ax.images[0].get_array().shape == (3, 2)
    assert len(ax.texts) == 6
    z = ax.images[0].get_array()
    assert np.allclose(np.asarray(z).mean(axis=0), 0.0)
    raw = heatmap(outlet_table, standardize=False)
    assert raw.axes[0].images[0].get_array().shape == (3, outlet_table["metric"].nunique())
    with pytest.raises(InputError, match="nope"):
        heatmap(outlet_table, ["nope"])


def test_attribution_bars_sum_to_one(sentences):
    fig = attribution_bars(sentences)
    ax = fig.axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(len(ATTRIBUTION_KINDS), 3)
    assert widths.sum(axis=0) == pytest.approx([1.0, 1.0, 1.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha", "Beta", "Gamma"]


def test_top_terms_counts_writer_voice_only():
    rows = [
        sent("a", "X", 0, framing=True, framing_voice="writer", evidence=[
            {"tag": "framing", "kind": "loaded_language", "term": "Regime"},
            {"tag": "framing", "kind": "opinion", "term": "reckless"},
            {"tag": "attribution", "kind": "anonymous", "term": "sources"}]),
        sent("a", "X", 1, framing=True, framing_voice="writer", evidence=np.array([
            {"tag": "framing", "kind": "loaded_language", "term": "regime "},
            {"tag": "framing", "kind": "speculation", "term": "could spell"}])),
        sent("a", "X", 2, quoted_framing=True, framing_voice="quoted", evidence=[
            {"tag": "framing", "kind": "loaded_language", "term": "thugs"}]),
        sent("a", "X", 3, framing_voice="both", evidence=[
            {"tag": "framing", "kind": "loaded_language", "term": "bastion", "voice": "writer"},
            {"tag": "framing", "kind": "loaded_language", "term": "traitors", "voice": "quoted"},
            {"tag": "quoted_framing", "kind": "loaded_language", "term": "crooks"},
            {"tag": "framing", "kind": None, "term": "e. ", "rule": "feature:char:e. "}]),
        sent("a", "X", 4, framing_voice="quoted", evidence=[
            {"tag": "framing", "kind": "loaded_language", "term": "butchers"}]),
        sent("b", "Y", 0, framing=True, framing_voice="writer", evidence=[
            {"tag": "framing", "kind": "loaded_language", "term": "hotbed"}]),
    ]
    out = top_terms(pd.DataFrame(rows))
    assert out.values.tolist() == [
        ["X", "regime", 2, 1], ["X", "bastion", 1, 2], ["X", "reckless", 1, 3],
        ["Y", "hotbed", 1, 1]]
    assert top_terms(pd.DataFrame(rows), 1)["term"].tolist() == ["regime", "hotbed"]
    # without framing_voice, in_quote decides
    no_voice = pd.DataFrame(rows).drop(columns=["framing_voice"])
    no_voice["in_quote"] = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    assert "thugs" not in top_terms(no_voice)["term"].tolist()


def test_plot_top_terms(sentences):
    fig = plot_top_terms(sentences, n=3)
    assert len(fig.axes) == 3
    bars = sum(len(ax.patches) for ax in fig.axes)
    assert 0 < bars <= 9
    labels = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert "quotedword" not in labels
    empty = plot_top_terms(sentences.assign(evidence=[[]] * len(sentences)))
    assert "no loaded" in empty.axes[0].texts[0].get_text()


def test_plots_leave_global_backend_and_pyplot_alone():
    code = (
        "import sys, matplotlib; raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend'); "
        "before = raw(); "
        "import pandas as pd; import biaskit.viz as v, biaskit.report; "
        "assert 'matplotlib.pyplot' not in sys.modules; "
        "t = pd.DataFrame({'outlet': ['A'], 'metric': ['m'], 'estimate': [1.0], "
        "'ci_low': [0.5], 'ci_high': [1.5], 'n_articles': [3], 'n_sentences': [9]}); "
        "fig = v.forest_plot(t, 'm'); fig.savefig(__import__('io').BytesIO(), format='png'); "
        "assert 'matplotlib.pyplot' not in sys.modules; "
        "assert raw() == before; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_importing_biaskit_does_not_import_matplotlib():
    code = ("import sys, biaskit, biaskit.viz, biaskit.report, biaskit.comparison; "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# --------------------------------------------------------------------------- report


OPTIONS = CompareOptions(n_boot=100, n_perm=100, min_articles=5)


def hostile_sentences():
    table = synthetic_sentences(seed=1, outlets=("Alpha", HOSTILE), n_docs=8)
    term = [next((e["term"] for e in ev if e["tag"] == "framing"), None)
            for ev in table["evidence"]]
    table["text"] = [f"The <b>{t}</b> & co. {HOSTILE}" if t else text
                     for t, text in zip(term, table["text"], strict=True)]
    return table


def test_report_is_self_contained_and_escaped(tmp_path):
    run_info = {"command": "biaskit report scores/ -o r.html", "inputs": ["scores/"],
                "note": HOSTILE}
    card = {"model_version": "test-0", "training_data_sha256": "abc123",
            "metrics": {"claim": {"f1": 0.8}}}
    path = write_report(hostile_sentences(), tmp_path / "sub" / "report.html",
                        run_info=run_info, model_card=card, options=OPTIONS)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # self-contained: no scripts, stylesheets, or external URLs
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "<b>" not in text
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 4
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    for needed in ("Outlets", "Significant differences", "Warnings", "Example sentences",
                   "Provenance", "training_data_sha256", "abc123", "test-0",
                   "biaskit report scores/ -o r.html", "claim_density", "<mark>"):
        assert needed in text, needed


def test_report_examples_highlight_and_escape():
    table = hostile_sentences()
    text = render_report(table, options=OPTIONS, examples=2)
    examples = text.split("<h2>Example sentences</h2>")[1].split("<h2>Provenance</h2>")[0]
    pattern = "&lt;b&gt;<mark>({})</mark>&lt;/b&gt;".format("|".join(LOADED))
    assert re.search(pattern, examples)
    assert "&lt;b&gt;" in examples and HOSTILE not in examples and "<b>" not in examples


def test_report_options_and_result_reuse(sentences):
    text = render_report(sentences, options=CompareOptions(
        metrics=["claim_density", "writer_framing_rate"], n_boot=50, n_perm=50,
        test="bootstrap", correction="bh"), title="My & report")
    assert "<title>My &amp; report</title>" in text
    assert "test=bootstrap" in text and "correction=bh" in text
    assert "hedge_rate" not in text


def test_report_to_directory_is_output_error(tmp_path, sentences):
    with pytest.raises(OutputError, match="is a directory"):
        write_report(sentences, tmp_path, options=OPTIONS)


def test_write_tables(tmp_path, sentences):
    written = write_tables(sentences, tmp_path / "out", options=OPTIONS)
    for name in ("outlets.csv", "outlets.parquet", "pairwise.csv", "pairwise.parquet",
                 "articles.parquet", "figures/heatmap.png", "figures/attribution_kinds.png",
                 "figures/top_terms.png", "figures/forest_claim_density.png"):
        assert written[name].is_file(), name
    outlets = pd.read_parquet(written["outlets.parquet"])
    csv = pd.read_csv(written["outlets.csv"])
    assert len(outlets) == len(csv) == 3 * outlets["metric"].nunique()
    assert csv["estimate"].to_numpy() == pytest.approx(outlets["estimate"].to_numpy(),
                                                       nan_ok=True)
    pairs = pd.read_parquet(written["pairwise.parquet"])
    assert len(pairs) == 3 * outlets["metric"].nunique()
    assert written["figures/heatmap.png"].read_bytes()[:4] == b"\x89PNG"
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        write_tables(sentences, tmp_path / "file", options=OPTIONS)


def test_write_tables_refuses_a_score_output_directory(tmp_path, sentences):
    # its articles.parquet (title, url, source per article) would be replaced
    run = tmp_path / "scored"
    run.mkdir()
    (run / "run.json").write_text("{}")
    (run / "articles.parquet").write_bytes(b"the score run's own table")
    with pytest.raises(OutputError, match=r"output of `biaskit score`.*scored/compare"):
        write_tables(sentences, run, options=OPTIONS, figures=False)
    assert (run / "articles.parquet").read_bytes() == b"the score run's own table"
    assert sorted(p.name for p in run.iterdir()) == ["articles.parquet", "run.json"]


def test_write_tables_warns_when_one_outlet_leaves_nothing_to_compare(tmp_path, sentences, caplog):
    one = sentences[sentences["outlet"] == sentences["outlet"].iloc[0]]
    with caplog.at_level("WARNING", logger="biaskit.report"):
        written = write_tables(one, tmp_path, options=OPTIONS, figures=False)
    assert "1 outlet(s) in the table: pairwise.csv has no comparisons" in caplog.text
    assert pd.read_csv(written["pairwise.csv"]).empty


def test_write_tables_stratified_parquet(tmp_path, sentences):
    table = sentences.assign(week=sentences["doc_id"].str[-1].astype(int) % 2)
    options = CompareOptions(metrics=["claim_density"], strata="week", per_stratum=True,
                             n_boot=50, n_perm=50, min_articles=2)
    written = write_tables(table, tmp_path, options=options, figures=False)
    back = pd.read_parquet(written["outlets.parquet"])
    assert set(back["stratum"]) == {"(standardized)", "0", "1"}
    assert not any(k.startswith("figures/") for k in written)
