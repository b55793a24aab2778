"""biaskit: claims, attributions and framing in news, sentence by sentence.

The public API is small and pandas-first::

    >>> import biaskit
    >>> [s.text for s in biaskit.segment("Prices rose 3.5% in May. Analysts said so.")]
    ['Prices rose 3.5% in May.', 'Analysts said so.']

Heavy pieces (the model, scikit-learn) are imported lazily, on first use.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# name -> module that defines it; resolved on first attribute access (PEP 562)
_LAZY = {
    "segment": "biaskit.segment",
    "segment_frame": "biaskit.segment",
    "Sentence": "biaskit.segment",
    "analyze": "biaskit.analysis",
    "load_model": "biaskit.persist",
    "compare": "biaskit.comparison",
    "evidence": "biaskit.comparison",
    "pairwise": "biaskit.comparison",
    "score": "biaskit.batch",
    "BiaskitError": "biaskit.errors",
    "show": "biaskit.view",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'biaskit' has no attribute {name!r}")
    mod = import_module(module)
    # ``biaskit.segment`` is a callable module: both ``biaskit.segment(text)`` and
    # ``biaskit.segment.train_punkt`` work, so the name resolves to the module itself
    value = mod if module == f"biaskit.{name}" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
