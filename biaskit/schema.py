"""Column contracts of every table biaskit produces or reads.

Each table's columns are defined once here and checked at module boundaries
with :func:`check_columns`. The docs (README, DESIGN) describe the same lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:  # pyarrow is imported when a table is written, not with biaskit
    import pyarrow as pa

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


#: Article table (``biaskit.aggregate.articles``): one row per ``doc_id``.
#: Promo sentences (``"promo"`` in ``framing_kind``) are left out of every
#: count except ``n_promo``, so no rate has boilerplate in its denominator.
#: Per-document columns of the sentence table that are not listed here
#: (``topic``, ``published``, a strata column, ...) are passed through after
#: these columns, with the value of the document's first sentence.
ARTICLE_COLUMNS: tuple[str, ...] = (
    "doc_id",  # document id (str)
    "outlet",  # outlet of the document (str)
    "n_sentences",  # sentences that are not promo: the denominator of per-sentence rates
    "n_promo",  # promo sentences ("READ MORE:", "Share this story"), excluded elsewhere
    "n_claims",  # sentences tagged ``claim``
    "n_attributed_claims",  # sentences tagged both ``claim`` and ``attribution``
    "n_attributed",  # sentences tagged ``attribution``
    "n_direct_quote",  # sentences whose attribution_kind lists direct_quote
    "n_reported_speech",  # ... lists reported_speech
    "n_according_to",  # ... lists according_to
    "n_hedged",  # ... lists hedged (source-less distancing: "reportedly", "allegedly")
    "n_anonymous",  # ... lists anonymous ("sources said", "officials who asked not to be named")
    "n_writer_framing",  # sentences tagged ``framing`` (framing in the writer's own voice)
    "n_loaded_language",  # sentences whose framing_kind lists loaded_language (writer voice)
    "n_opinion",  # ... lists opinion (writer voice)
    "n_speculation",  # ... lists speculation (writer voice)
    "n_quoted_framing",  # sentences with framing words inside a quotation (the source's voice)
    "n_sources",  # distinct sources: source_entity, else the source span (trimmed, casefolded)
    "n_named_sources",  # distinct sources whose source_type is person or organisation
    "n_anonymous_sources",  # distinct sources whose source_type is anonymous
)

#: Pairwise table (``biaskit.comparison.pairwise``): one row per pair of
#: outlets and metric; ``diff = estimate_a - estimate_b``. A ``stratum``
#: column follows when the comparison is stratified.
PAIRWISE_COLUMNS: tuple[str, ...] = (
    "outlet_a",  # first outlet of the pair (outlets in sorted order, a < b)
    "outlet_b",  # second outlet of the pair
    "metric",  # metric name
    "estimate_a",  # outlet a's estimate (as in the outlet table)
    "estimate_b",  # outlet b's estimate
    "diff",  # estimate_a - estimate_b, in the metric's units
    "ci_low",  # lower end of the bootstrap interval of diff
    "ci_high",  # upper end of the bootstrap interval of diff
    "ratio",  # estimate_a / estimate_b (NaN when estimate_b is 0)
    "effect_size",  # standardized effect: Cohen's h, Cohen's d or log ratio (see effect_size_kind)
    "effect_size_kind",  # "cohens_h" (proportions), "cohens_d" (per-article means), "log_ratio"
    "p_value",  # two-sided p-value of "no difference" (permutation or bootstrap test)
    "p_adjusted",  # p_value adjusted over every test in the table (Holm or Benjamini-Hochberg)
    "significant",  # p_adjusted < alpha
    "n_articles_a",  # articles of outlet a used
    "n_articles_b",  # articles of outlet b used
    "method",  # how the row was computed (estimator, interval, test, correction, seed)
    "warning",  # why to distrust the row (few articles, undefined rates), or None
)


#: Fields of one item of the sentence table's ``evidence`` column (a list per sentence),
#: in the order ``biaskit.analysis`` writes them: what fired for which tag, where, how much.
EVIDENCE_FIELDS: tuple[str, ...] = ("tag", "kind", "term", "start", "end", "weight", "rule")
#: Fields of one item of the ``attributions`` column (every attribution of the sentence;
#: the ``source*``/``cue*``/``content*`` columns hold its first one).
ATTRIBUTION_FIELDS: tuple[str, ...] = (
    "kind",
    "rule",
    "frame",
    "source_type",
    "entity",
    "source",
    "cue",
    "content",
)
#: Fields of a span (``source``, ``cue``, ``content`` of an attribution; or None).
SPAN_FIELDS: tuple[str, ...] = ("start", "end", "text")


@lru_cache(maxsize=1)
def sentence_arrow_types() -> dict[str, pa.DataType]:
    """Arrow types of the nested columns of the tagged sentence table.

    Writers convert these columns with a known type instead of inferring it value by value
    (which costs more than the conversion itself), and every part of a batch run gets the
    same type even when its lists are all empty (inference would say ``list<null>``).
    ``kind_proba`` is not listed: its fields are the labels of the model that scored.

    Returns
    -------
    dict
        Column name → ``pyarrow.DataType``.

    Examples
    --------
    >>> str(sentence_arrow_types()["framing_kind"])
    'list<item: string>'

    """
    import pyarrow as pa

    kinds = pa.list_(pa.string())
    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])
    types = {"tag": pa.string(), "kind": pa.string(), "term": pa.string(), "rule": pa.string()}
    types.update(start=pa.int64(), end=pa.int64(), weight=pa.float64())
    evidence = pa.struct([(name, types[name]) for name in EVIDENCE_FIELDS])
    attribution = pa.struct(
        [("kind", kinds), *((name, pa.string()) for name in ATTRIBUTION_FIELDS[1:5])]
        + [(name, span) for name in ATTRIBUTION_FIELDS[5:]]
    )
    return {
        "attribution_kind": kinds,
        "framing_kind": kinds,
        "quoted_framing_kind": kinds,
        "evidence": pa.list_(evidence),
        "attributions": pa.list_(attribution),
    }
