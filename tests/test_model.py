"""The tagger estimator: scikit-learn conventions, multi-label behaviour, thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from biaskit.model import SentenceTagger

EXPECTED_FAILED = {
    "check_class_weight_classifiers": (
        "probability calibration re-fits the class balance, so an extreme class_weight "
        "does not move the calibrated predictions as the check expects"
    ),
}


@parametrize_with_checks([SentenceTagger()], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_compatible(estimator, check) -> None:
    check(estimator)


def _toy(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 0] > 0.5, np.zeros(n)]).astype(int)
    return X, Y


def test_multilabel_probabilities_and_constant_label() -> None:
    X, Y = _toy()
    tagger = SentenceTagger().fit(X, Y)
    proba = tagger.predict_proba(X)
    assert proba.shape == (300, 3)
    assert np.all((proba >= 0) & (proba <= 1))
    assert np.all(proba[:, 2] == 0.0)  # label never seen positive → constant 0
    assert (tagger.predict(X)[:, 0] == Y[:, 0]).mean() > 0.9


def test_tune_thresholds_in_grid_and_deterministic() -> None:
    X, Y = _toy()
    a = SentenceTagger(random_state=3).fit(X, Y)
    b = SentenceTagger(random_state=3).fit(X, Y)
    ta, tb = a.tune_thresholds(X, Y), b.tune_thresholds(X, Y)
    assert np.array_equal(ta, tb)
    assert np.all((ta >= 0.05) & (ta <= 0.95))
    assert ta[2] == 0.5  # no positives: left at the default
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_rejects_bad_calibration() -> None:
    X, Y = _toy()
    with pytest.raises(ValueError, match="calibration"):
        SentenceTagger(calibration="magic").fit(X, Y)
