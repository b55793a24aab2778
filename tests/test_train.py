"""Training, evaluation, the shipped model's provenance, and its quality gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

import biaskit
from biaskit.corpus import corpus_hash
from biaskit.errors import InputError
from biaskit.train import expected_calibration_error, lexicon_hash, read_labelled, train_model

ROOT = Path(__file__).parent.parent
FLOORS = tomllib.loads((Path(__file__).parent / "quality_floors.toml").read_text("utf-8"))


def test_shipped_model_is_built_from_current_corpus_and_lexicons() -> None:
    card = biaskit.load_model().card
    assert card["training_data"]["sha256"] == corpus_hash(ROOT / "corpora"), (
        "the default model is stale: run `make model` after changing corpora/"
    )
    assert card["lexicons_sha256"] == lexicon_hash(), "lexicons changed: run `make model`"


def test_quality_gate() -> None:
    card = biaskit.load_model().card
    test = card["metrics"]["test"]
    for label, floor in FLOORS["test"].items():
        value = test["macro_f1"] if label == "macro_f1" else test["labels"][label]["f1"]
        assert value >= floor, f"{label}: F1 {value} below floor {floor}"
    # the model beats every baseline on macro-F1
    for name in ("majority", "lexicon_only", "ngrams_only"):
        assert test["macro_f1"] > card["baselines"][name]["test"]["macro_f1"], name


def test_attribution_span_gate() -> None:
    """Span scores of the shipped model on the corpus, recorded in its card at training time.

    Issue #6 targets on test: source >= 0.85, cue >= 0.90, kind >= 0.90 (met at 0.908 /
    0.913 / 0.904 when this gate was set); the floors leave room for a corpus edit or two.
    """
    spans = biaskit.load_model().card["attribution_spans"]
    assert set(spans) == {"dev", "test", "test_outlet"}
    test = spans["test"]
    assert test["source"]["overlap"]["f1"] >= 0.85
    assert test["cue"]["overlap"]["f1"] >= 0.88
    assert test["kind_accuracy"] >= 0.88
    assert test["n_aligned"] >= 0.95 * test["n_sentences"]


def test_card_has_provenance() -> None:
    card = biaskit.load_model().card
    for key in ("sha256", "thresholds", "metrics", "baselines", "versions", "params", "labels"):
        assert key in card
    assert set(card["metrics"]) == {"dev", "test", "test_outlet"}
    assert all(0.0 < t < 1.0 for t in card["thresholds"].values())


def test_ece() -> None:
    assert expected_calibration_error(np.array([1, 0, 1, 0]), np.array([0.75] * 4)) == 0.25


def _labelled(tmp_path: Path) -> Path:
    rows = []
    pos = ["This reckless plan is a disgrace.", "What a shameful, cowardly decision.",
           "Sadly, the council has failed us again.", "It is time to end this farce."]
    neg = ["The council met on Tuesday.", "Prices rose 3% in May.",
           "The bridge reopened after repairs.", "Police arrested two men on Friday."]
    for i in range(6):
        for t in pos:
            rows.append({"sentence": f"{t} ({i})", "label": "SUBJ", "split": "train" if i < 4 else "dev"})
        for t in neg:
            rows.append({"sentence": f"{t} ({i})", "label": "OBJ", "split": "train" if i < 4 else "dev"})
    path = tmp_path / "labelled.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    return path


def test_read_labelled_mapping(tmp_path: Path) -> None:
    table = read_labelled(_labelled(tmp_path), text_col="sentence", label_col="label",
                          positive="SUBJ", tag="framing")
    assert table["gold_framing"].sum() == 24 and len(table) == 48
    with pytest.raises(InputError, match="no text column 'text'"):
        read_labelled(_labelled(tmp_path))
    with pytest.raises(InputError, match="needs --positive"):
        read_labelled(_labelled(tmp_path), text_col="sentence", label_col="label")
    # a value that never occurs (a typo in case) would make every row negative: F1 0
    with pytest.raises(
        InputError, match=r"--positive 'subj' never occurs in column 'label' \(values: 'OBJ', 'SUBJ'\)"
    ):
        read_labelled(_labelled(tmp_path), text_col="sentence", label_col="label",
                      positive="subj", tag="framing")
    # an all-negative set (false positives on objective text) is read, every row negative
    objective = tmp_path / "objective.tsv"
    pd.DataFrame({"sentence": ["The council met.", "Rates rose 2%."], "label": ["OBJ", "OBJ"]}
                 ).to_csv(objective, sep="\t", index=False)
    table = read_labelled(objective, text_col="sentence", label_col="label", positive="SUBJ",
                          tag="framing")
    assert list(table["gold_framing"]) == [False, False]


def test_train_on_user_file_is_deterministic(tmp_path: Path) -> None:
    data = _labelled(tmp_path)
    kw = dict(data=data, text_col="sentence", label_col="label", positive="SUBJ", tag="framing",
              baselines=False)
    m1, c1 = train_model(None, out=tmp_path / "a.skops", **kw)
    m2, c2 = train_model(None, out=tmp_path / "b.skops", **kw)
    assert c1["labels"] == ["framing"]
    assert c1["metrics"] == c2["metrics"]
    # the model file holds no addresses or timestamps: the same data give the same bytes
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    assert c1["sha256"] == c2["sha256"]
    assert (tmp_path / "a.card.json").exists() and (tmp_path / "a.card.md").exists()
    loaded = biaskit.load_model(tmp_path / "a.skops")
    out = biaskit.analyze("What a shameful decision. The council met on Tuesday.", loaded)
    assert list(out["framing"]) == [True, False]


def test_cli_evaluate_on_user_file(tmp_path: Path) -> None:
    data = _labelled(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "biaskit.cli", "evaluate", "--data", str(data), "--text-col",
         "sentence", "--label-col", "label", "--positive", "SUBJ", "--tag", "framing", "--json"],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result["labels"]) == {"framing"} and result["n"] == 48


@pytest.mark.slow
def test_training_reproduces_shipped_model(tmp_path: Path) -> None:
    model, card = train_model(ROOT / "corpora", baselines=False)
    shipped = biaskit.load_model()
    assert card["thresholds"] == shipped.card["thresholds"]
    assert card["metrics"] == shipped.card["metrics"]


def test_main_thresholds_are_tuned_on_the_shipped_decision():
    # columns: framing, opinion. The third sentence is not framing, but its opinion
    # probability switches framing on whenever p_framing (0.3) reaches half the framing
    # threshold; its own probability alone would be happy with any threshold in (0.3, 0.7].
    from biaskit.train import tune_main_thresholds

    labels = ("framing", "opinion")
    proba = np.array([[0.9, 0.0], [0.7, 0.0], [0.3, 0.9], [0.1, 0.0]])
    Y = np.array([[1, 0], [1, 0], [0, 0], [0, 0]])
    start = np.array([0.5, 0.5])
    thr = tune_main_thresholds(proba, Y, start, labels)
    assert thr.tolist() == [0.625, 0.5]  # smallest grid value that gates the kind off
    assert start.tolist() == [0.5, 0.5]  # the input is not modified
    # a label set without main tags is left alone
    assert tune_main_thresholds(proba, Y, np.array([0.5, 0.5]), ("opinion", "promo")).tolist() \
        == [0.5, 0.5]


def test_cli_evaluate_one_label_reports_both_classes(tmp_path: Path) -> None:
    # one --tag: the line names that label's F1 and the macro over it and its complement (the
    # metric of binary tasks such as CheckThat's SUBJ/OBJ), computed from the same confusion
    data = _labelled(tmp_path)
    args = [sys.executable, "-m", "biaskit.cli", "evaluate", "--data", str(data), "--text-col",
            "sentence", "--label-col", "label", "--positive", "SUBJ", "--tag", "framing"]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    c = json.loads(
        subprocess.run([*args, "--json"], capture_output=True, text=True, check=True).stdout
    )["labels"]["framing"]["confusion"]
    pos = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"])
    neg = 2 * c["tn"] / (2 * c["tn"] + c["fp"] + c["fn"])
    assert (
        f"F1 {pos:.3f} (framing); macro-F1 over framing / not framing {(pos + neg) / 2:.3f} "
        f"(F1 of not framing: {neg:.3f})"
    ) in text
