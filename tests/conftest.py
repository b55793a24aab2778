"""Shared test setup: make the batch test helpers importable.

With ``--import-mode=importlib`` test modules are not importable by name and their directory
is not on ``sys.path``. The batch tests share subprocess helpers (``tests/_helpers.py``) and
fake scorers (``tests/fixtures/batch/fakescorer.py``, which spawned worker processes must
import too, so it has to be on ``sys.path`` before workers start).
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).parent
for _path in (_TESTS, _TESTS / "fixtures" / "batch"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
