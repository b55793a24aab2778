"""The tagger: features → calibrated multi-label probabilities, and the full biaskit model.

- :class:`SentenceTagger` is a scikit-learn classifier on a numeric feature matrix. For a 2-D
  label indicator ``y`` it fits one calibrated logistic regression per label (multi-label);
  for a 1-D ``y`` it is an ordinary calibrated classifier. It passes scikit-learn's
  ``parametrize_with_checks``.
- :func:`make_model` composes :class:`~biaskit.features.SentenceFeaturizer` and the tagger in a
  :class:`~sklearn.pipeline.Pipeline`; that pipeline is what ``biaskit train`` fits and ships.
- :class:`LexiconBaseline` is the lexicon-only baseline reported beside the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from biaskit._compat import validate_data
from biaskit.features import SentenceFeaturizer
from biaskit.schema import ATTRIBUTION_KINDS, FRAMING_KINDS

#: Model outputs, in column order: the three tags, their kinds, and quoted-voice framing.
LABELS: tuple[str, ...] = (
    "claim",
    "attribution",
    "framing",
    *ATTRIBUTION_KINDS,
    *FRAMING_KINDS,
    "quoted_framing",
)


class SentenceTagger(ClassifierMixin, BaseEstimator):
    """Calibrated logistic regression per label, for multi-label or ordinary targets.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength of each logistic regression.
    class_weight : {"balanced"} or None
        Passed to each logistic regression.
    calibration : {"sigmoid", "isotonic"}
        Calibration method (cross-validated, ``ensemble=False``: one final model per label).
    cv : int
        Folds used to fit the calibrator.
    max_iter : int
        Iterations of the solver.
    random_state : int
        Seed of the fold shuffling.
    multi_label : bool or None
        Treat a 2-D ``y`` as a label-indicator matrix even with one column (True), or infer it
        from ``y`` (None).

    Attributes
    ----------
    classes_ : ndarray
        ``[0, 1]`` per label in the multi-label case, else the class labels.
    estimators_ : list
        One fitted calibrated classifier (or a constant probability) per label.
    thresholds_ : ndarray
        Decision threshold per label (0.5 until :meth:`tune_thresholds`).
    multilabel_ : bool
        Whether ``y`` was a 2-D indicator matrix.
    """

    def __init__(
        self,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        calibration: str = "sigmoid",
        cv: int = 3,
        max_iter: int = 2000,
        random_state: int = 0,
        multi_label: bool | None = None,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state
        self.multi_label = multi_label

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags

    def _base(self, n_classes: int = 2) -> LogisticRegression:
        # liblinear is fastest on sparse binary problems; it cannot do multinomial
        return LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            max_iter=self.max_iter,
            solver="liblinear" if n_classes == 2 else "lbfgs",
        )

    def _fit_one(self, X: Any, y: np.ndarray) -> Any:
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            return float(classes[0]) if len(classes) else 0.0
        n_splits = int(min(self.cv, counts.min()))
        if n_splits < 2:
            # too few positives to cross-validate a calibrator: plain logistic regression
            return self._base().fit(X, y)
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        return CalibratedClassifierCV(
            self._base(), method=self.calibration, cv=folds, ensemble=False
        ).fit(X, y)

    def fit(self, X: Any, y: Any) -> SentenceTagger:
        """Fit one calibrated classifier per label (or one for an ordinary target)."""
        if self.calibration not in ("sigmoid", "isotonic"):
            raise ValueError(
                f"calibration must be 'sigmoid' or 'isotonic', got {self.calibration!r}"
            )
        X, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True, dtype=np.float64)
        y = np.asarray(y)
        self.multilabel_ = y.ndim == 2 and (
            bool(self.multi_label) or type_of_target(y) == "multilabel-indicator"
        )
        if self.multilabel_:
            self.classes_ = [np.array([0, 1]) for _ in range(y.shape[1])]
            self.estimators_ = [self._fit_one(X, y[:, j]) for j in range(y.shape[1])]
            self.thresholds_ = np.full(y.shape[1], 0.5)
        else:
            if y.ndim == 2:
                if y.shape[1] != 1:
                    raise ValueError("y must be 1-D or a 2-D binary indicator matrix")
                y = y.ravel()
            target = type_of_target(y)
            if target not in ("binary", "multiclass"):
                raise ValueError(f"Unknown label type: {target}")
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError("The number of classes has to be greater than one; got 1 class")
            n_splits = int(min(self.cv, np.unique(y, return_counts=True)[1].min()))
            base = self._base(len(self.classes_))
            if n_splits >= 2:
                folds = StratifiedKFold(
                    n_splits=n_splits, shuffle=True, random_state=self.random_state
                )
                est = CalibratedClassifierCV(
                    base, method=self.calibration, cv=folds, ensemble=False
                )
            else:
                est = base
            self.estimators_ = [est.fit(X, y)]
            self.thresholds_ = np.array([0.5])
        self.n_iter_ = np.array(
            [int(np.max(m.n_iter_)) if m is not None else 0 for m in self.linear_models()]
        )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return probabilities per label (multi-label) or per class.

        Shape ``(n, n_labels)`` (each label being present) or ``(n, n_classes)``.
        """
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=np.float64)
        if not self.multilabel_:
            return self.estimators_[0].predict_proba(X)
        out = np.empty((X.shape[0], len(self.estimators_)))
        for j, est in enumerate(self.estimators_):
            out[:, j] = est if isinstance(est, float) else est.predict_proba(X)[:, 1]
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Labels at the stored thresholds (multi-label indicator, or class labels)."""
        proba = self.predict_proba(X)
        if self.multilabel_:
            return (proba >= self.thresholds_).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def linear_models(self) -> list[LogisticRegression | None]:
        """The logistic regression behind each label (for evidence), or None if constant."""
        check_is_fitted(self, "estimators_")
        out = []
        for est in self.estimators_:
            if isinstance(est, float):
                out.append(None)
            elif isinstance(est, CalibratedClassifierCV):
                out.append(est.calibrated_classifiers_[0].estimator)
            else:
                out.append(est)
        return out

    def tune_thresholds(self, X: Any, Y: np.ndarray, *, min_threshold: float = 0.05) -> np.ndarray:
        """Choose each label's threshold to maximise F1 on held-out data (``dev``).

        Returns the thresholds and stores them in ``thresholds_``.
        """
        check_is_fitted(self, "estimators_")
        if not self.multilabel_:
            raise ValueError("tune_thresholds applies to multi-label taggers")
        proba = self.predict_proba(X)
        Y = np.asarray(Y)
        best = np.full(Y.shape[1], 0.5)
        for j in range(Y.shape[1]):
            if Y[:, j].sum() == 0:
                continue
            col = proba[:, j]
            best[j] = best_threshold(lambda t, col=col: col >= t, Y[:, j], min_threshold)
        self.thresholds_ = best
        return best


def best_threshold(
    decide: Callable[[float], np.ndarray], y: np.ndarray, min_threshold: float = 0.05
) -> float:
    """The threshold on a 0.025 grid that maximises F1 of ``decide(t)`` against ``y``.

    Among thresholds within 0.005 of the best F1 the one closest to 0.5 is taken: on a flat
    F1 curve that is stabler than the argmax.

    Parameters
    ----------
    decide : callable
        Threshold -> boolean predictions, one per row of ``y``.
    y : numpy.ndarray
        Gold 0/1 labels.
    min_threshold : float
        Lowest threshold tried (the grid ends at 0.95).

    Returns
    -------
    float
    """
    grid = np.round(np.arange(min_threshold, 0.951, 0.025), 3)
    gold = np.asarray(y) == 1
    f1s = []
    for t in grid:
        pred = np.asarray(decide(float(t)), dtype=bool)
        denom = pred.sum() + gold.sum()
        f1s.append(2 * np.sum(pred & gold) / denom if denom else 0.0)
    f1 = np.array(f1s)
    ok = np.flatnonzero(f1 >= f1.max() - 0.005)
    return float(grid[ok[np.argmin(np.abs(grid[ok] - 0.5))]])


def make_model(
    *,
    random_state: int = 0,
    C: float = 1.0,
    min_df: int = 2,
    use_words: bool = True,
    use_lexicons: bool = True,
    use_structure: bool = True,
    char_ngrams: tuple[int, int] | None = None,
    lexicon_scale: float = 3.0,
) -> Pipeline:
    """The default biaskit model: featurizer + tagger, unfitted.

    Parameters
    ----------
    random_state : int
        Seed of the tagger's calibration folds.
    C : float
        Regularisation of the logistic regressions.
    min_df : int
        n-gram pruning threshold.
    use_words, use_lexicons, use_structure : bool
        Feature families (turned off one at a time for the ablation and baselines).
    char_ngrams : tuple of int or None
        Character n-gram range, None to disable. Off by default: on the corpus, character
        2–4-grams lowered held-out macro-F1 (they learn the house styles of the training
        outlets) and cost 5× in speed; the model card reports the variant with them.
    lexicon_scale : float
        Weight of the lexicon block relative to n-grams (see ``SentenceFeaturizer``). 3.0 was
        chosen on the CheckThat *train* split and the corpus's held-out outlet (macro-F1
        0.654 → 0.660 and 0.629 → 0.638; corpus test macro-F1 −0.004).

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    return Pipeline(
        [
            (
                "features",
                SentenceFeaturizer(
                    min_df=min_df,
                    use_words=use_words,
                    use_lexicons=use_lexicons,
                    use_structure=use_structure,
                    char_ngrams=char_ngrams,
                    lexicon_scale=lexicon_scale,
                ),
            ),
            ("tagger", SentenceTagger(C=C, random_state=random_state, multi_label=True)),
        ]
    )
