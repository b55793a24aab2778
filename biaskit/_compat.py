"""The one place where biaskit touches scikit-learn internals that moved between releases."""

from __future__ import annotations

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator, X="no_validation", y="no_validation", reset=True, **kw):  # type: ignore[no-redef]
        """Fallback to the pre-1.6 private method."""
        return estimator._validate_data(X, y, reset=reset, **kw)


__all__ = ["validate_data"]
