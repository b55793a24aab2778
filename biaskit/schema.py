"""Column contracts of every table biaskit produces or reads.

Each table's columns are defined once here and checked at module boundaries
with :func:`check_columns`. The docs (README, DESIGN) describe the same lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import pandas as pd

from biaskit.errors import SchemaError

TAGS: tuple[str, ...] = ("claim", "attribution", "framing")
ATTRIBUTION_KINDS: tuple[str, ...] = (
    "direct_quote",
    "reported_speech",
    "according_to",
    "hedged",
    "anonymous",
)
FRAMING_KINDS: tuple[str, ...] = ("loaded_language", "opinion", "speculation", "promo")
SOURCE_TYPES: tuple[str, ...] = (
    "person",
    "organisation",
    "role",
    "anonymous",
    "document",
    "none",
)
Voice = Literal["writer", "quoted"]
VOICES: tuple[str, ...] = ("writer", "quoted")

#: Document table: one row per article (``io`` readers produce it).
DOCUMENT_COLUMNS: tuple[str, ...] = ("doc_id", "outlet", "title", "text", "published", "url")

#: Sentence table from segmentation alone.
SEGMENT_COLUMNS: tuple[str, ...] = (
    "doc_id",
    "outlet",
    "sent_id",
    "start",
    "end",
    "text",
    "paragraph",
    "is_headline",
    "in_quote",
)

#: Tagged sentence table (``biaskit.analyze``): segmentation columns, then tags.
SENTENCE_COLUMNS: tuple[str, ...] = (
    *SEGMENT_COLUMNS,
    "p_claim",
    "p_attribution",
    "p_framing",
    "claim",
    "attribution",
    "framing",
    "attribution_kind",
    "framing_kind",
    "quoted_framing",
    "quoted_framing_kind",
    "framing_voice",
    "source",
    "source_type",
    "source_start",
    "source_end",
    "source_entity",
    "cue",
    "cue_start",
    "cue_end",
    "content_start",
    "content_end",
    "evidence",
    "model_version",
)

#: Gold columns added by ``biaskit.corpus`` to the segmentation columns.
GOLD_COLUMNS: tuple[str, ...] = (
    "split",
    "topic",
    "event",
    "gold_claim",
    "gold_attribution",
    "gold_framing",
    "gold_attribution_kind",
    "gold_framing_kind",
    "gold_quoted_framing_kind",
    "gold_attributions",
    "gold_framing_terms",
)

#: Outlet table (``biaskit.compare``).
OUTLET_COLUMNS: tuple[str, ...] = (
    "outlet",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_sentences",
)


def check_columns(
    frame: pd.DataFrame, required: Sequence[str] | Iterable[str], *, table: str
) -> None:
    """Raise :class:`SchemaError` naming the missing columns of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to check.
    required : sequence of str
        Columns that must be present.
    table : str
        Human name of the table, used in the message.

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"a": [1]}), ["a"], table="demo")
    """
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{table}: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, frame.columns)) or 'none'}"
        )
