"""Train and evaluate biaskit models: one path from labelled sentences to a model and its card.

``train_model`` reads the gold corpus (or a user's labelled CSV/TSV/JSONL), fits the pipeline
of :func:`biaskit.model.make_model` on ``train`` with fixed seeds, tunes thresholds on ``dev``,
measures every label on ``dev``, ``test`` and ``test_outlet`` beside three baselines
(majority class, lexicon-only, n-grams-only), and writes the model with its card.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biaskit import __version__
from biaskit.errors import InputError
from biaskit.model import LABELS, best_threshold, make_model

logger = logging.getLogger(__name__)

_GOLD_LIST = {
    **{
        k: "gold_attribution_kind"
        for k in ("direct_quote", "reported_speech", "according_to", "hedged", "anonymous")
    },
    **{k: "gold_framing_kind" for k in ("loaded_language", "opinion", "speculation", "promo")},
}
FEATURE_COLUMNS = ("text", "in_quote", "is_headline", "sent_id", "paragraph")


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return list(value)


def gold_matrix(sentences: pd.DataFrame, labels: Sequence[str] = LABELS) -> np.ndarray:
    """The ``(n, len(labels))`` 0/1 gold matrix of a sentence table with ``gold_*`` columns.

    Labels whose gold column is absent are filled with -1 (unknown) so that evaluation can skip
    them (e.g. a user's file labelled for ``framing`` only).
    """
    cols = []
    for label in labels:
        if label in ("claim", "attribution", "framing"):
            col = f"gold_{label}"
            cols.append(sentences[col].astype(int).to_numpy() if col in sentences else None)
        elif label == "quoted_framing":
            col = "gold_quoted_framing_kind"
            cols.append(
                sentences[col].map(lambda v: int(len(_as_list(v)) > 0)).to_numpy()
                if col in sentences
                else None
            )
        else:
            col = _GOLD_LIST[label]
            cols.append(
                sentences[col].map(lambda v, k=label: int(k in _as_list(v))).to_numpy()
                if col in sentences
                else None
            )
    n = len(sentences)
    return np.column_stack([c if c is not None else np.full(n, -1) for c in cols]).astype(int)


# --------------------------------------------------------------------------- metrics


def label_metrics(y: np.ndarray, proba: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1, support, confusion counts and calibration error of one label."""
    keep = y >= 0
    y, proba, pred = y[keep], proba[keep], pred[keep]
    tp = int(np.sum((pred == 1) & (y == 1)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))
    tn = int(np.sum((pred == 0) & (y == 0)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "support": int(y.sum()),
        "n": int(len(y)),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "ece": round(expected_calibration_error(y, proba), 4),
    }


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins.

    Examples
    --------
    >>> expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0]))
    0.0
    """
    if len(y) == 0:
        return 0.0
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(proba[m].mean() - y[m].mean())
    return float(ece)


def reliability_table(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Per-bin mean predicted probability vs observed frequency (for reliability plots)."""
    keep = y >= 0
    y, proba = y[keep], proba[keep]
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = bins == b
        rows.append(
            {
                "bin": b,
                "lower": b / n_bins,
                "upper": (b + 1) / n_bins,
                "n": int(m.sum()),
                "mean_predicted": float(proba[m].mean()) if m.any() else np.nan,
                "observed": float(y[m].mean()) if m.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def evaluate_predictions(
    Y: np.ndarray, proba: np.ndarray, thresholds: np.ndarray, labels: Sequence[str] = LABELS
) -> dict[str, Any]:
    """Per-label metrics and macro-F1 over the labels that have gold and positives."""
    pred = main_tag_consistency(proba, np.asarray(thresholds), labels)
    per = {
        lab: label_metrics(Y[:, j], proba[:, j], pred[:, j])
        for j, lab in enumerate(labels)
        if (Y[:, j] >= 0).any()
    }
    scored = [m["f1"] for m in per.values() if m["support"] > 0]
    return {"labels": per, "macro_f1": round(float(np.mean(scored)), 4) if scored else 0.0}


def _predict(model: Any, sentences: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(sentences[list(FEATURE_COLUMNS)])


def main_tag_consistency(
    proba: np.ndarray, thresholds: np.ndarray, labels: Sequence[str]
) -> np.ndarray:
    """Decide tags as :func:`biaskit.analyze` does.

    A tag is on when its own probability or any of its kinds' passes the threshold.
    """
    pred = (proba >= thresholds).astype(int)
    idx = {lab: j for j, lab in enumerate(labels)}
    for tag, kinds in (
        ("attribution", ("direct_quote", "reported_speech", "according_to", "hedged", "anonymous")),
        ("framing", ("loaded_language", "opinion", "speculation", "promo")),
    ):
        if tag in idx:
            ks = [idx[k] for k in kinds if k in idx]
            if ks:
                any_kind = pred[:, ks].max(axis=1)
                if tag == "framing":
                    # as in analyze: kinds count only near the framing threshold, promo always
                    near = proba[:, idx[tag]] >= 0.5 * thresholds[idx[tag]]
                    promo = pred[:, idx["promo"]] if "promo" in idx else 0
                    any_kind = np.maximum(any_kind * near, promo)
                pred[:, idx[tag]] = np.maximum(pred[:, idx[tag]], any_kind)
    return pred


def tune_main_thresholds(
    proba: np.ndarray,
    Y: np.ndarray,
    thresholds: np.ndarray,
    labels: Sequence[str],
    *,
    min_threshold: float = 0.05,
) -> np.ndarray:
    """Re-tune the ``attribution`` and ``framing`` thresholds on the decision that ships.

    :meth:`SentenceTagger.tune_thresholds` picks each threshold from that label's own
    probability, but a main tag is also switched on by its kinds
    (:func:`main_tag_consistency`), and the framing threshold also gates its kinds. Tuning
    the main tags on that combined decision (kind thresholds fixed) keeps the threshold
    from drifting where the label's own F1 is flat. Same grid and tie rule as
    ``tune_thresholds`` (:func:`biaskit.model.best_threshold`).

    Parameters
    ----------
    proba : numpy.ndarray
        Predicted probabilities, one column per label, on the tuning data (``dev``).
    Y : numpy.ndarray
        Gold 0/1 labels, same shape.
    thresholds : numpy.ndarray
        Current thresholds per label (the kinds' stay fixed).
    labels : sequence of str
        Label name of each column.
    min_threshold : float
        Lowest threshold tried.

    Returns
    -------
    numpy.ndarray
        A copy of ``thresholds`` with the main tags' entries replaced.
    """
    thr = np.asarray(thresholds, dtype=float).copy()
    Y = np.asarray(Y)
    for tag in ("attribution", "framing"):
        if tag not in labels:
            continue
        j = list(labels).index(tag)
        if Y[:, j].sum() == 0:
            continue

        def decide(t: float, j: int = j) -> np.ndarray:
            trial = thr.copy()
            trial[j] = t
            return main_tag_consistency(proba, trial, labels)[:, j] == 1

        thr[j] = best_threshold(decide, Y[:, j], min_threshold)
    return thr


def evaluate_model(model: Any, table: pd.DataFrame) -> dict[str, Any]:
    """Evaluate a loaded model on a labelled sentence table.

    Per-label P/R/F1, confusion counts, ECE and macro-F1 on the corpus or a table from
    :func:`read_labelled`; labels without gold are skipped.

    Parameters
    ----------
    model : biaskit.persist.Model
    table : pandas.DataFrame
        Sentence table with ``gold_*`` columns.

    Returns
    -------
    dict
        ``{"labels": {label: metrics}, "macro_f1": float, "n": int}``.
    """
    labels = model.labels
    thr = np.array([model.card["thresholds"][lab] for lab in labels])
    proba = _predict(model.pipeline, table)
    Y = gold_matrix(table, labels)
    pred = main_tag_consistency(proba, thr, labels)
    per = {}
    for j, lab in enumerate(labels):
        if (Y[:, j] >= 0).any():
            per[lab] = label_metrics(Y[:, j], proba[:, j], pred[:, j])
    scored = [m["f1"] for m in per.values() if m["support"] > 0]
    return {
        "labels": per,
        "macro_f1": round(float(np.mean(scored)), 4) if scored else 0.0,
        "n": int(len(table)),
    }


# --------------------------------------------------------------------------- data


def read_labelled(
    path: str | Path,
    *,
    text_col: str = "text",
    label_col: str | None = None,
    positive: str | None = None,
    tag: str | None = None,
) -> pd.DataFrame:
    """Read a user's labelled CSV/TSV/JSONL into a sentence table with ``gold_*`` columns.

    Either the file has one 0/1 column per label named like :data:`~biaskit.model.LABELS`
    (``claim``, ``attribution``, ``framing``, ``direct_quote``…), or one ``label_col`` whose
    value ``positive`` marks ``tag`` as present (e.g. ``--label-col label --positive SUBJ
    --tag framing``).

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv`` or ``.jsonl`` file.
    text_col : str
        Column holding the sentence.
    label_col, positive, tag : str, optional
        Single-label mapping (all three together).

    Returns
    -------
    pandas.DataFrame
        ``text``, structural columns with neutral defaults, ``split`` (from a ``split``
        column if present, else ``test``) and the ``gold_*`` columns that the file defines.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("labelled file not found", path=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif suffix in (".csv", ".tsv"):
            frame = pd.read_csv(
                path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
            )
        else:
            raise InputError("expected a .csv, .tsv or .jsonl file", path=str(path))
    except (ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"cannot parse ({exc})", path=str(path)) from exc
    if text_col not in frame.columns:
        raise InputError(
            f"no text column {text_col!r} (columns: {', '.join(map(str, frame.columns))}); "
            "pass --text-col",
            path=str(path),
        )
    out = pd.DataFrame({"text": frame[text_col].astype(str)})
    empty = out.index[out["text"].str.strip() == ""]
    if len(empty):
        raise InputError(f"row {int(empty[0]) + 2}: empty text", path=str(path))
    from biaskit.quotes import quote_share

    out["in_quote"] = out["text"].map(quote_share)
    out["is_headline"] = False
    out["sent_id"] = 1
    out["paragraph"] = 1
    out["split"] = frame["split"].astype(str) if "split" in frame.columns else "test"
    out["doc_id"] = (
        frame["doc_id"].astype(str)
        if "doc_id" in frame.columns
        else [f"row-{i}" for i in range(len(frame))]
    )
    out["outlet"] = frame["outlet"].astype(str) if "outlet" in frame.columns else None
    if label_col is not None:
        if tag is None or positive is None:
            raise InputError("--label-col needs --positive VALUE and --tag TAG")
        if label_col not in frame.columns:
            raise InputError(f"no label column {label_col!r}", path=str(path))
        if tag not in LABELS:
            raise InputError(f"unknown tag {tag!r}; expected one of {', '.join(LABELS)}")
        values = frame[label_col].astype(str)
        hits = (values == str(positive)).to_numpy()
        if len(frame) and not hits.any():
            seen = ", ".join(repr(v) for v in sorted(values.unique())[:10])
            near = values.str.strip().str.casefold() == str(positive).strip().casefold()
            if near.any():
                # a typo ("subj" for "SUBJ") would score every row negative: F1 0
                raise InputError(
                    f"--positive {positive!r} never occurs in column {label_col!r} (values: "
                    f"{seen}); the value is matched exactly, case included",
                    path=str(path),
                )
            # an all-negative set is legitimate (false positives on objective text)
            logger.warning(
                "%s: --positive %r never occurs in column %r (values: %s): every row is "
                "negative for %s",
                path, positive, label_col, seen, tag,
            )
        _set_gold(out, tag, hits)
    else:
        found = [lab for lab in LABELS if lab in frame.columns]
        if not found:
            raise InputError(
                "no label columns: name columns after the labels "
                f"({', '.join(LABELS)}) or pass --label-col/--positive/--tag",
                path=str(path),
            )
        for lab in found:
            vals = frame[lab].astype(str).str.strip().str.lower()
            bad = ~vals.isin(["0", "1", "true", "false"])
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
                raise InputError(f"row {row}: column {lab!r} must be 0/1", path=str(path))
            _set_gold(out, lab, vals.isin(["1", "true"]).to_numpy())
    return out


def _set_gold(out: pd.DataFrame, label: str, positive: np.ndarray) -> None:
    if label in ("claim", "attribution", "framing"):
        out[f"gold_{label}"] = positive.astype(bool)
    elif label == "quoted_framing":
        out["gold_quoted_framing_kind"] = [["loaded_language"] if p else [] for p in positive]
    else:
        col = _GOLD_LIST[label]
        if col not in out:
            out[col] = [[] for _ in range(len(out))]
        out[col] = [lst + [label] if p else lst for lst, p in zip(out[col], positive, strict=True)]


def load_training_data(
    corpus: str | Path | None = "corpora", data: str | Path | None = None, **mapping: Any
) -> tuple[pd.DataFrame, str]:
    """Sentence table with gold columns and a data hash, from the corpus or a user file."""
    if data is not None:
        table = read_labelled(data, **mapping)
        digest = hashlib.sha256(Path(data).read_bytes()).hexdigest()
        return table, digest
    from biaskit.corpus import corpus_hash, load

    _, sents = load(corpus)
    return sents, corpus_hash(corpus)


# --------------------------------------------------------------------------- training


def lexicon_hash() -> str:
    """sha256 over the shipped lexicon files (recorded in the card)."""
    h = hashlib.sha256()
    root = resources.files("biaskit.data.lexicons")
    for name in sorted(p.name for p in root.iterdir() if p.name.endswith(".tsv")):
        h.update(name.encode())
        h.update(root.joinpath(name).read_bytes())
    return h.hexdigest()


BASELINES = {
    "lexicon_only": {"use_words": False, "use_structure": False},
    "ngrams_only": {"use_lexicons": False, "use_structure": False},
    # not a baseline but a variant: the default model plus character 2–4-grams
    "with_char_ngrams": {"char_ngrams": (2, 4)},
}


def train_model(
    corpus: str | Path | None = "corpora",
    *,
    data: str | Path | None = None,
    out: str | Path | None = None,
    random_state: int = 0,
    C: float = 0.5,
    baselines: bool = True,
    name: str = "biaskit-default",
    **mapping: Any,
) -> tuple[Any, dict[str, Any]]:
    """Train, tune thresholds on dev, evaluate, and optionally save a model.

    Parameters
    ----------
    corpus : str or Path
        The gold corpus folder (ignored when ``data`` is given).
    data : str or Path, optional
        A user's labelled CSV/TSV/JSONL (see :func:`read_labelled`); needs a ``split``
        column with ``train`` and ``dev`` rows.
    out : str or Path, optional
        Where to save the ``.skops`` model (its card goes beside it).
    random_state : int
        Seed for everything random in training.
    C : float
        Regularisation of the logistic regressions.
    baselines : bool
        Also fit and score the baselines (majority, lexicon-only, n-grams-only).
    name : str
        Model name recorded in the card.

    Returns
    -------
    (pipeline, card)
    """
    import sklearn

    table, digest = load_training_data(corpus, data, **mapping)
    splits = table["split"].value_counts().to_dict()
    train = table[table["split"] == "train"]
    dev = table[table["split"] == "dev"]
    if train.empty or dev.empty:
        raise InputError(
            f"training needs 'train' and 'dev' rows in the split column; found {splits}"
        )
    Y = gold_matrix(table)
    known = [j for j in range(len(LABELS)) if (Y[:, j] >= 0).all()]
    labels = [LABELS[j] for j in known]
    Y = Y[:, known]
    y_train, y_dev = Y[table["split"].to_numpy() == "train"], Y[table["split"].to_numpy() == "dev"]

    def fit(**params: Any) -> Any:
        model = make_model(random_state=random_state, C=C, **params)
        model.fit(train[list(FEATURE_COLUMNS)], y_train)
        tagger = model.named_steps["tagger"]
        X_dev = model.named_steps["features"].transform(dev[list(FEATURE_COLUMNS)])
        tagger.tune_thresholds(X_dev, y_dev)
        tagger.thresholds_ = tune_main_thresholds(
            tagger.predict_proba(X_dev), y_dev, tagger.thresholds_, labels
        )
        return model

    logger.info("training on %d sentences (%d dev)", len(train), len(dev))
    model = fit()
    thresholds = model.named_steps["tagger"].thresholds_
    metrics: dict[str, Any] = {}
    base_metrics: dict[str, dict[str, Any]] = {"majority": {}}
    base_models = {k: fit(**v) for k, v in BASELINES.items()} if baselines else {}
    for k in base_models:
        base_metrics[k] = {}
    for split in ("dev", "test", "test_outlet"):
        part = table[table["split"] == split]
        if part.empty:
            continue
        Ys = Y[table["split"].to_numpy() == split]
        metrics[split] = evaluate_predictions(Ys, _predict(model, part), thresholds, labels)
        # majority class: predict each label's training majority for every sentence
        maj = (y_train.mean(axis=0) >= 0.5).astype(float)
        base_metrics["majority"][split] = evaluate_predictions(
            Ys, np.tile(maj, (len(part), 1)), np.full(len(labels), 0.5), labels
        )
        for k, bm in base_models.items():
            base_metrics[k][split] = evaluate_predictions(
                Ys, _predict(bm, part), bm.named_steps["tagger"].thresholds_, labels
            )
    features = model.named_steps["features"]
    spans: dict[str, Any] = {}
    if data is None and corpus is not None:
        # span-level attribution scores need whole documents (analyze), so corpus data only
        from biaskit.corpus import load
        from biaskit.evaluation import corpus_attribution_report
        from biaskit.persist import Model

        documents, sentences = load(corpus)
        scored = Model(
            model,
            {
                "name": name,
                "labels": labels,
                "thresholds": dict(zip(labels, thresholds.tolist(), strict=True)),
            },
            Path(out) if out is not None else Path(f"{name}.skops"),
        )
        spans = corpus_attribution_report(scored, documents, sentences)
    card = {
        "name": name,
        "labels": labels,
        "thresholds": {lab: float(t) for lab, t in zip(labels, thresholds, strict=True)},
        "training_data": {
            "source": str(data) if data is not None else str(corpus),
            "sha256": digest,
            "sentences_per_split": {str(k): int(v) for k, v in splits.items()},
            "articles_per_split": table.groupby("split")["doc_id"].nunique().astype(int).to_dict()
            if "doc_id" in table
            else {},
        },
        "lexicons_sha256": lexicon_hash(),
        "metrics": metrics,
        "baselines": base_metrics,
        "attribution_spans": spans,
        "params": {"random_state": random_state, "C": C, **features.get_params()},
        "n_features": int(features.n_features_out_),
        "versions": {
            "biaskit": __version__,
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }
    if out is not None:
        from biaskit.persist import save_model

        save_model(model, out, card)
        card = json.loads(Path(out).with_name(Path(out).stem + ".card.json").read_text())
    return model, card


def card_markdown(card: dict[str, Any]) -> str:
    """Human-readable model card (Markdown) from the card dict."""
    lines = [
        f"# Model card: {card.get('name', 'biaskit model')}",
        "",
        f"- biaskit {card.get('biaskit_version', '?')}, model format {card.get('model_format')}",
        f"- file sha256: `{card.get('sha256', '?')}`",
        f"- training data: `{card['training_data']['source']}` "
        f"(sha256 `{card['training_data']['sha256'][:16]}…`), sentences per split: "
        + ", ".join(
            f"{k} {v}" for k, v in sorted(card["training_data"]["sentences_per_split"].items())
        ),
        f"- features: {card.get('n_features')}; params: `{json.dumps(card.get('params', {}))}`",
        "",
        "## Per-label metrics (thresholds tuned on dev)",
        "",
    ]
    splits = [s for s in ("dev", "test", "test_outlet") if s in card["metrics"]]
    header = (
        "| label | threshold | "
        + " | ".join(f"{s} P / R / F1 (n+)" for s in splits)
        + " | test ECE |"
    )
    lines += [header, "|---|---:|" + "---:|" * len(splits) + "---:|"]
    for lab in card["labels"]:
        cells = []
        for s in splits:
            m = card["metrics"][s]["labels"].get(lab)
            cells.append(
                f"{m['precision']:.2f} / {m['recall']:.2f} / **{m['f1']:.2f}** ({m['support']})"
                if m
                else "–"
            )
        ece = (
            card["metrics"].get("test", {}).get("labels", {}).get(lab, {}).get("ece", float("nan"))
        )
        lines.append(
            f"| {lab} | {card['thresholds'][lab]:.3f} | " + " | ".join(cells) + f" | {ece:.3f} |"
        )
    lines += ["", "## Baselines (F1 per label on test / test_outlet)", ""]
    names = ["model", *card.get("baselines", {})]
    lines += ["| label | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for lab in card["labels"]:
        cells = []
        for nm in names:
            src = card["metrics"] if nm == "model" else card["baselines"][nm]
            vals = [
                src.get(s, {}).get("labels", {}).get(lab, {}).get("f1")
                for s in ("test", "test_outlet")
            ]
            cells.append(" / ".join("–" if v is None else f"{v:.2f}" for v in vals))
        lines.append(f"| {lab} | " + " | ".join(cells) + " |")
    macro = []
    for nm in names:
        src = card["metrics"] if nm == "model" else card["baselines"][nm]
        vals = [src.get(s, {}).get("macro_f1") for s in ("test", "test_outlet")]
        macro.append(" / ".join("–" if v is None else f"{v:.2f}" for v in vals))
    lines.append("| **macro-F1** | " + " | ".join(macro) + " |")
    if card.get("attribution_spans"):
        lines += [
            "",
            "## Attribution spans (token-overlap F1; kind and source-type accuracy)",
            "",
            "| split | aligned sentences (gold-attributed) | source | cue | content | kind | "
            "source type | sentence F1 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for split, r in card["attribution_spans"].items():
            lines.append(
                f"| {split} | {r['n_aligned']} of {r['n_sentences']} ({r['n_gold_attributed']}) | "
                + " | ".join(f"{r[k]['overlap']['f1']:.3f}" for k in ("source", "cue", "content"))
                + f" | {r['kind_accuracy']:.3f} | {r['source_type_accuracy']:.3f} | "
                f"{r['sentence']['f1']:.3f} |"
            )
    if card.get("external_evaluation"):
        lines += ["", "## External evaluation (zero-shot, never trained on these sets)", ""]
        for row in card["external_evaluation"]:
            lines.append(f"- {row}")
    lines.append("")
    return "\n".join(lines)
