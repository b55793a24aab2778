"""Compare outlets on article-level metrics, with honest uncertainty.

How an estimate is made
-----------------------
Every metric is a **ratio estimator**: an outlet's value is the sum of a
numerator over its articles divided by the sum of a denominator over the same
articles (claims / sentences, attributed claims / claims, ...), times a scale
(100 for "per 100 sentences"). A metric without a denominator is the **mean of
an article-level value** (distinct named sources per article). The counts come
from :func:`biaskit.aggregate.articles`; promo sentences are in no
denominator except that of ``promo_share``.

How sure we are
---------------
Sentences of one article are correlated, so intervals come from an
**article-clustered bootstrap**: articles (not sentences) are resampled with
replacement within each outlet, ``n_boot`` times, and the metric is recomputed
from the resampled sums. One resample is a vector of article counts, so the
sums of all metrics for all replicates are one matrix product
(``counts @ article_sums``) — fast enough for 100,000 articles. Intervals are
percentile or BCa (bias-corrected and accelerated; the acceleration comes from
a jackknife over articles). Each outlet's resamples are seeded from
``random_state`` and the outlet's name, so adding a metric or an outlet does
not change the other results, and :func:`compare` and :func:`pairwise` agree.
Articles are resampled (and permuted) in ``doc_id`` order, so the same data in
any row order give identical results; a ``doc_id`` listed twice in an article
table (or a ``(doc_id, sent_id)`` twice in a sentence table) is an error, since
it would be counted twice and narrow the intervals.

The bootstrap variance of a sum of ``n`` articles is ``(n - 1) / n`` of the
unbiased one, which at 20 articles left 95% intervals covering 85-91%; every
outlet's (or outlet × stratum's) replicates are therefore spread by
``sqrt(n / (n - 1))`` around its estimate before intervals, differences and
bootstrap tests are taken from them. Intervals of small outlets still cover
less than nominally: rows of outlets with fewer than ``min_articles`` (30)
articles, or fewer than 10 articles with any positive (for proportions, any
negative), carry a warning.

When an estimate is at its boundary — no positive in any article, or (for
proportion metrics) every unit positive — every resample repeats it and the
bootstrap interval has zero width. For proportion metrics the interval is
then the one-sided binomial bound for no events in ``n`` independent
articles, ``[0, 1 - (alpha/2)^(1/n)]`` times the metric's scale
(``[(alpha/2)^(1/n), 1]`` for all positive): it treats the article, not the
sentence, as the unit, and is approximate because the pooled share weighs
long articles more. A metric that is not a proportion (a count per unit, such
as sources per article) has no such bound: its interval is ``[0, NaN]``. The
row's warning says which. Bootstrap replicates are kept inside the metric's
range (no negative rate, no share above 1) after the small-sample widening.

Stratified pairwise tests with small cells of short articles are still
somewhat liberal (about 0.09 at the 5% level for 25 short articles against 200
long ones in a simulation); read them with the cell-size warnings.

Differences between outlets
---------------------------
For every pair of outlets and every metric, :func:`pairwise` reports the
difference, a bootstrap interval of the difference (from the two outlets'
independent resamples), a two-sided p-value, adjusted across all tests of the
table by Holm (default) or Benjamini–Hochberg, and an effect size (Cohen's h
for proportions, Cohen's d for per-article means, else the log ratio).

The p-value comes by default from a **permutation test** of article labels:
the two outlets' articles are pooled and relabelled at random ``n_perm``
times (one 0/1 label matrix, so again one matrix product). The statistic is
**studentized**: the difference over its standard error, each outlet's rate
variance from the delta method, ``n/(n-1) · Σ(num_i - r·den_i)² / (Σden_i)²``
(from per-group sums of num, den, num², num·den and den², so still one
product). Permuting the raw difference assumed exchangeable articles, and
when outlets differ in article length and number it rejected equal rates in
up to 28% of tests at 5%. When both outlets have zero spread (every article
at its outlet's rate) the statistic is infinite and the Monte Carlo p-value
is kept. A Monte Carlo
p-value cannot go below ``1/(n_perm + 1)``, which after a correction over
hundreds of tests would hide every difference; so when fewer than 10
permutations are as extreme as the observed difference, the p-value is taken
from a normal distribution with the permutation distribution's mean and SD
(at ``alpha = 0.05`` the Monte Carlo value still decides), but never below the
smallest p-value the exact permutation test can give (one over the number of
relabellings, twice that for equal group sizes). ``test="bootstrap"``
instead divides the difference by its bootstrap standard error (normal
reference) — no extra cost, for very large corpora. When that standard error
is zero and the difference is not, the p-value is NaN (not 0) and the row
says so.

Stratified comparison
---------------------
Outlets cover different stories, and rates differ by story. With
``strata="topic"`` (any per-article column: topic, ISO week, ...) the
comparison is **directly standardized**: each outlet's rate is computed per
stratum, and the stratum rates are averaged with **common weights** — the
pooled share of (non-promo) sentences of each stratum, over the strata that
*every* compared outlet covers with at least :data:`MIN_STRATUM_ARTICLES` (2)
articles (with a single article, resampling within the stratum would show no
variance). So outlets are compared like for like, on the same story mix.
Articles in other strata are left out, and the row's ``warning`` says how many.
Resampling and permutation happen within outlet × stratum. When an outlet has
fewer than 5 articles in a common stratum its interval is optimistic, and when
its rate is undefined in a stratum (no claims, say) its weights are
renormalised over the remaining strata; the row says both. With
``per_stratum=True`` the table also holds each outlet × stratum rate.

Adding a metric
---------------
A metric is a small :class:`Metric` over the article table:

>>> import biaskit.comparison as bc
>>> quotes_per_article = bc.Metric(
...     "quotes_per_article", numerator="n_direct_quote",
...     description="direct quotes per article (mean)")
>>> framing_share = bc.Metric(
...     "framing_in_claims", numerator="n_writer_framing", denominator="n_claims",
...     scale=100, description="writer framing per 100 claims")
>>> all_framing = bc.Metric(
...     "any_framing_rate", numerator=("n_writer_framing", "n_quoted_framing"),
...     denominator="n_sentences", scale=100, proportion=False,
...     description="writer or quoted framing per 100 sentences")
>>> long_share = bc.Metric(
...     "long_article_share", numerator=lambda a: a["n_sentences"] > 30,
...     description="share of articles with more than 30 sentences", proportion=True)

and is passed with the built-in names: ``compare(table, metrics=["claim_density",
quotes_per_article])``. Give it ``sentences=`` (a function of the sentence
table returning a boolean mask) to let :func:`evidence` quote its sentences.

Cost
----
:func:`compare` for 20 outlets × 100,000 articles × 10 metrics × 1,000
replicates takes about a second. The permutation test costs
``pairs × n_perm × articles per pair`` (tens of seconds for 190 pairs of
10,000 articles at ``n_perm=1000``); ``test="bootstrap"`` is free.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from biaskit.aggregate import articles as _articles
from biaskit.aggregate import kind_mask
from biaskit.errors import InputError, SchemaError
from biaskit.schema import (
    ATTRIBUTION_KINDS,
    FRAMING_KINDS,
    OUTLET_COLUMNS,
    PAIRWISE_COLUMNS,
    check_columns,
)

logger = logging.getLogger(__name__)

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_METRICS",
    "EVIDENCE_COLUMNS",
    "MIN_STRATUM_ARTICLES",
    "OUTLET_TABLE_COLUMNS",
    "STANDARDIZED",
    "CompareOptions",
    "ComparisonResult",
    "Metric",
    "adjust_pvalues",
    "benjamini_hochberg",
    "compare",
    "evidence",
    "holm",
    "pairwise",
    "resolve_metrics",
    "run_comparison",
]

CiMethod = Literal["percentile", "bca"]
Correction = Literal["holm", "bh"]
TestMethod = Literal["permutation", "bootstrap"]
ColumnSpec = str | Sequence[str] | Callable[[pd.DataFrame], Any]
SentenceSelector = Callable[[pd.DataFrame], Any]

#: ``stratum`` label of the standardized rows of a stratified comparison.
STANDARDIZED = "(standardized)"

#: Columns of the outlet table: the schema's columns, then provenance.
#: A ``stratum`` column follows when the comparison is stratified.
OUTLET_TABLE_COLUMNS: tuple[str, ...] = (*OUTLET_COLUMNS, "description", "method", "warning")

# Largest count matrix (replicates × articles) built at once. Small blocks keep
# the bincount scatter in cache (measured fastest at ~2**16) and bound memory
# whatever the outlet size.
_MAX_BLOCK = 1 << 16
# Largest permutation label matrix (permutations × articles) built at once.
_PERM_BLOCK = 1 << 21
# A stratum is "covered" by a group with at least this many articles: with one
# article, resampling within the stratum has no variance to show.
MIN_STRATUM_ARTICLES = 2
# Groups with fewer articles than this in a common stratum get a warning: even
# with the sqrt(n / (n - 1)) small-sample factor, a within-stratum bootstrap of
# so few articles gives intervals that cover less than nominally.
_SMALL_STRATUM = 5
# Outlets with fewer articles that contain any positive for a metric get a
# warning: the interval rests on those few articles (coverage measured at
# 0.85-0.91 for 20 articles with rare events).
_MIN_POSITIVE_ARTICLES = 10
# Permutation p-values resting on fewer exceedances than this are refined with
# a normal approximation of the permutation distribution (see _perm_test).
_TAIL_EXCEEDANCES = 10


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metric:
    """A metric over the article table: ``scale * sum(numerator) / sum(denominator)``.

    Parameters
    ----------
    name : str
        Unique name, used in tables and plots.
    numerator : str, sequence of str or callable
        Article-level numerator: a column of the article table, several
        columns (summed), or ``f(articles) -> array`` (booleans count as 0/1).
    denominator : str, sequence of str, callable or None
        Article-level denominator, as ``numerator``. ``None`` makes the metric
        the mean of the numerator per article.
    scale : float
        Multiplier of the ratio (100 for "per 100 sentences").
    description : str
        One line for tables and reports, including the unit.
    proportion : bool
        True when the numerator counts a subset of the denominator's units
        (so ``ratio / scale`` is a proportion); enables Cohen's h.
    tag : str, optional
        Tag whose probability (``p_<tag>``) orders :func:`evidence` examples
        and whose evidence terms are listed.
    kind : str, optional
        Attribution or framing kind whose evidence terms :func:`evidence` lists.
    sentences : callable, optional
        ``f(sentence_table) -> bool array`` selecting the sentences that make
        up the numerator, used by :func:`evidence`. It receives every
        sentence, promo included.

    Examples
    --------
    >>> m = Metric("framing_per_claim", "n_writer_framing", "n_claims", scale=100,
    ...            description="writer framing per 100 claims")
    >>> m.kind_of_estimate
    'ratio'

    """

    name: str
    numerator: ColumnSpec
    denominator: ColumnSpec | None = None
    scale: float = 1.0
    description: str = ""
    proportion: bool = False
    tag: str | None = None
    kind: str | None = None
    sentences: SentenceSelector | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"metric name must be a non-empty string, got {self.name!r}")
        if not (isinstance(self.scale, (int, float)) and math.isfinite(self.scale)
                and self.scale > 0):
            raise InputError(f"metric {self.name!r}: scale must be a positive number, "
                             f"got {self.scale!r}")

    @property
    def kind_of_estimate(self) -> Literal["ratio", "mean"]:
        """``"ratio"`` for a ratio estimator, ``"mean"`` for a per-article mean."""
        return "mean" if self.denominator is None else "ratio"

    def article_values(self, articles: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Numerator and denominator of every article.

        Parameters
        ----------
        articles : pandas.DataFrame
            Article table.

        Returns
        -------
        tuple of numpy.ndarray
            ``(numerator, denominator)`` as float arrays; the denominator is
            all ones for a per-article mean.

        Raises
        ------
        SchemaError
            If a referenced column is missing.
        InputError
            If values are not finite numbers or a denominator is negative.

        """
        num = self._values(self.numerator, articles, "numerator")
        if self.denominator is None:
            den = np.ones(len(articles))
        else:
            den = self._values(self.denominator, articles, "denominator")
            if (den < 0).any():
                raise InputError(f"metric {self.name!r}: denominator is negative for "
                                 f"{int((den < 0).sum())} article(s)")
        return num, den

    def _values(self, spec: ColumnSpec, articles: pd.DataFrame, role: str) -> np.ndarray:
        cols = None
        if callable(spec):
            raw = spec(articles)
        else:
            cols = [spec] if isinstance(spec, str) else list(spec)
            check_columns(articles, cols, table=f"article table (metric {self.name!r} {role})")
        # reliability fix (issue 10): the sum runs inside the try (a column mixing str and int
        # raised a bare TypeError, a huge int OverflowError) and with skipna=False, so that a
        # missing count is reported below instead of being summed as 0
        try:
            if cols is not None:
                raw = articles[cols].sum(axis=1, skipna=False)
            values = np.asarray(raw, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"metric {self.name!r}: {role} is not numeric") from exc
        if len(values) != len(articles):
            raise InputError(f"metric {self.name!r}: {role} gave {len(values)} values for "
                             f"{len(articles)} articles")
        if not np.isfinite(values).all():
            raise InputError(f"metric {self.name!r}: {role} has "
                             f"{int((~np.isfinite(values)).sum())} missing or infinite value(s)")
        return values

    def _denominator_label(self) -> str:
        if self.denominator is None:
            return "articles"
        if callable(self.denominator):
            return "denominator"
        if isinstance(self.denominator, str):
            return self.denominator
        return " + ".join(self.denominator)


# Sentence selectors for evidence(); module-level functions (picklable via partial).


def _not_promo(sentences: pd.DataFrame) -> np.ndarray:
    mask = kind_mask(sentences["framing_kind"], FRAMING_KINDS, column="framing_kind")
    return (mask & (1 << FRAMING_KINDS.index("promo"))) == 0


def _flag(sentences: pd.DataFrame, column: str) -> np.ndarray:
    return sentences[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _select_flags(sentences: pd.DataFrame, *, columns: tuple[str, ...]) -> np.ndarray:
    out = _not_promo(sentences)
    for column in columns:
        out = out & _flag(sentences, column)
    return out


def _select_kind(
    sentences: pd.DataFrame, *, column: str, kinds: tuple[str, ...], kind: str
) -> np.ndarray:
    mask = kind_mask(sentences[column], kinds, column=column)
    has = (mask & (1 << kinds.index(kind))) != 0
    return has if kind == "promo" else has & _not_promo(sentences)


def _select_named_source(sentences: pd.DataFrame) -> np.ndarray:
    named = sentences["source_type"].astype(object).isin(["person", "organisation"]).to_numpy()
    return named & _not_promo(sentences)


def _flags(*columns: str) -> SentenceSelector:
    return functools.partial(_select_flags, columns=columns)


def _att_kind(kind: str) -> SentenceSelector:
    return functools.partial(_select_kind, column="attribution_kind",
                             kinds=ATTRIBUTION_KINDS, kind=kind)


def _fr_kind(kind: str) -> SentenceSelector:
    return functools.partial(_select_kind, column="framing_kind", kinds=FRAMING_KINDS, kind=kind)


def _builtin_metrics() -> dict[str, Metric]:
    metrics = [
        Metric("claim_density", "n_claims", "n_sentences", 1.0,
               "claims per sentence", True, "claim", None, _flags("claim")),
        Metric("attributed_claim_share", "n_attributed_claims", "n_claims", 1.0,
               "share of claims that are attributed", True, "attribution", None,
               _flags("claim", "attribution")),
        Metric("attribution_rate", "n_attributed", "n_sentences", 100.0,
               "attributed sentences per 100 sentences", True, "attribution", None,
               _flags("attribution")),
    ]
    metrics += [
        Metric(f"{kind}_share", f"n_{kind}", "n_attributed", 1.0,
               f"share of attributed sentences that are {kind.replace('_', ' ')}",
               True, "attribution", kind, _att_kind(kind))
        for kind in ATTRIBUTION_KINDS
    ]
    metrics += [
        Metric("hedge_rate", "n_hedged", "n_sentences", 100.0,
               "hedged (source-less, distancing) sentences per 100 sentences",
               True, "attribution", "hedged", _att_kind("hedged")),
        Metric("anonymous_rate", "n_anonymous", "n_sentences", 100.0,
               "sentences citing anonymous sources per 100 sentences",
               True, "attribution", "anonymous", _att_kind("anonymous")),
        Metric("named_source_diversity", "n_named_sources", None, 1.0,
               "distinct named sources (people, organisations) per article (mean)",
               False, "attribution", None, _select_named_source),
        Metric("writer_framing_rate", "n_writer_framing", "n_sentences", 100.0,
               "sentences with framing in the writer's voice per 100 sentences",
               True, "framing", None, _flags("framing")),
    ]
    metrics += [
        Metric(f"{kind}_rate", f"n_{kind}", "n_sentences", 100.0,
               f"sentences with {kind.replace('_', ' ')} (writer's voice) per 100 sentences",
               True, "framing", kind, _fr_kind(kind))
        for kind in ("loaded_language", "opinion", "speculation")
    ]
    metrics += [
        Metric("quoted_framing_rate", "n_quoted_framing", "n_sentences", 100.0,
               "sentences with framing inside quotations (sources' voice) per 100 sentences",
               True, "quoted_framing", None, _flags("quoted_framing")),
        Metric("promo_share", "n_promo", ("n_sentences", "n_promo"), 1.0,
               "promo/boilerplate sentences as a share of all sentences",
               True, "framing", "promo", _fr_kind("promo")),
    ]
    return {m.name: m for m in metrics}


#: Built-in metrics by name (read-only).
BUILTIN_METRICS: Mapping[str, Metric] = MappingProxyType(_builtin_metrics())

#: Metrics compared when ``metrics=None``: all built-ins.
DEFAULT_METRICS: tuple[str, ...] = tuple(BUILTIN_METRICS)


def resolve_metrics(metrics: str | Metric | Iterable[str | Metric] | None) -> list[Metric]:
    """Turn names and :class:`Metric` objects into a list of metrics.

    Parameters
    ----------
    metrics : str, Metric, iterable of those, or None
        Built-in names (see :data:`BUILTIN_METRICS`) and/or custom metrics;
        ``None`` means all built-ins.

    Returns
    -------
    list of Metric

    Raises
    ------
    InputError
        For an unknown name, a duplicate name, or an empty list.

    Examples
    --------
    >>> [m.name for m in resolve_metrics(["hedge_rate", "claim_density"])]
    ['hedge_rate', 'claim_density']

    """
    if metrics is None:
        items: list[str | Metric] = list(DEFAULT_METRICS)
    elif isinstance(metrics, (str, Metric)):
        items = [metrics]
    else:
        items = list(metrics)
    if not items:
        raise InputError("metrics: expected at least one metric, got an empty list")
    out: list[Metric] = []
    for item in items:
        if isinstance(item, Metric):
            out.append(item)
        elif isinstance(item, str) and item in BUILTIN_METRICS:
            out.append(BUILTIN_METRICS[item])
        else:
            raise InputError(f"unknown metric {item!r}; built-in metrics are "
                             f"{', '.join(BUILTIN_METRICS)} (or pass a Metric)")
    names = [m.name for m in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"metrics: duplicate metric name(s) {', '.join(dupes)}")
    return out


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class CompareOptions:
    """All settings of a comparison, shared by the Python API, reports and CLI.

    Parameters
    ----------
    by : str
        Article column that defines the groups compared (default ``"outlet"``).
    metrics : sequence of str or Metric, optional
        Metrics to compute (default: all built-ins).
    strata : str, optional
        Article column to standardize over (topic, ISO week, ...).
    per_stratum : bool
        With ``strata``, also report each outlet × stratum rate.
    n_boot : int
        Bootstrap replicates.
    n_perm : int
        Permutations of the pairwise permutation test.
    test : {"permutation", "bootstrap"}
        Pairwise test: permutation of article labels, or the bootstrap
        distribution of the difference (much cheaper for huge corpora).
    ci : {"percentile", "bca"}
        Interval method.
    alpha : float
        Interval level is ``1 - alpha``; tests are significant when the
        adjusted p-value is below ``alpha``.
    correction : {"holm", "bh"}
        Multiple-testing correction across all tests of the pairwise table.
    random_state : int, numpy.random.Generator or None
        Seed. The same int gives the same numbers.
    min_articles : int
        Groups with fewer articles get a warning (default 30; 0 turns it off).

    """

    by: str = "outlet"
    metrics: Sequence[str | Metric] | None = None
    strata: str | None = None
    per_stratum: bool = False
    n_boot: int = 2000
    n_perm: int = 2000
    test: TestMethod = "permutation"
    ci: CiMethod = "percentile"
    alpha: float = 0.05
    correction: Correction = "holm"
    random_state: int | np.random.Generator | None = 0
    min_articles: int = 30

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"{name}: expected {expected}, got {getattr(self, name)!r}")

        if not isinstance(self.by, str) or not self.by:
            raise bad("by", "a column name")
        if self.strata is not None and (not isinstance(self.strata, str) or not self.strata):
            raise bad("strata", "a column name or None")
        if self.strata is not None and self.strata == self.by:
            raise InputError(f"strata: cannot stratify by the grouping column {self.by!r}")
        for name in ("n_boot", "n_perm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise bad(name, "a positive integer")
        if self.test not in ("permutation", "bootstrap"):
            raise bad("test", "'permutation' or 'bootstrap'")
        if self.ci not in ("percentile", "bca"):
            raise bad("ci", "'percentile' or 'bca'")
        if self.correction not in ("holm", "bh"):
            raise bad("correction", "'holm' or 'bh'")
        if not (isinstance(self.alpha, (int, float)) and 0 < self.alpha < 1):
            raise bad("alpha", "a number between 0 and 1")
        if (isinstance(self.min_articles, bool)
                or not isinstance(self.min_articles, (int, np.integer)) or self.min_articles < 0):
            raise bad("min_articles", "a non-negative integer")
        rs = self.random_state
        if not (rs is None or isinstance(rs, np.random.Generator)
                or (isinstance(rs, (int, np.integer)) and not isinstance(rs, bool) and rs >= 0)):
            raise bad("random_state", "a non-negative int, a numpy Generator or None")


# --------------------------------------------------------------------------- p-values


def _adjust_sorted(
    pvalues: Sequence[float] | np.ndarray, adjust: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Apply ``adjust`` (ascending p-values -> adjusted) to the non-NaN p-values.

    NaN p-values stay NaN and are not counted as tests; results are capped at 1 and
    returned in the input order.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    sub = p[ok]
    order = np.argsort(sub, kind="stable")
    res = np.empty(sub.size)
    res[order] = np.minimum(adjust(sub[order]), 1.0)
    out[ok] = res
    return out


def _holm_sorted(p: np.ndarray) -> np.ndarray:
    # step-down: the i-th smallest is multiplied by (m - i), kept monotone upwards
    return np.maximum.accumulate((p.size - np.arange(p.size)) * p)


def _bh_sorted(p: np.ndarray) -> np.ndarray:
    # step-up: p_(i) * m / i, made monotone from the largest downwards
    scaled = p * p.size / np.arange(1, p.size + 1)
    return np.minimum.accumulate(scaled[::-1])[::-1]


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control).

    NaN p-values are kept as NaN and not counted as tests.

    Parameters
    ----------
    pvalues : array-like of float

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, in the input order.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.03, 0.06, 0.06, 0.02]

    """
    return _adjust_sorted(pvalues, _holm_sorted)


def benjamini_hochberg(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false-discovery-rate control).

    NaN p-values are kept as NaN and not counted as tests.

    Parameters
    ----------
    pvalues : array-like of float

    Returns
    -------
    numpy.ndarray
        Adjusted p-values ("q-values"), in the input order.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.02, 0.04, 0.04, 0.02]

    """
    return _adjust_sorted(pvalues, _bh_sorted)


def adjust_pvalues(pvalues: Sequence[float] | np.ndarray, method: Correction = "holm"
                   ) -> np.ndarray:
    """Adjust p-values with Holm (``"holm"``) or Benjamini–Hochberg (``"bh"``).

    Parameters
    ----------
    pvalues : array-like of float
    method : {"holm", "bh"}

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> adjust_pvalues([0.5], "bh").tolist()
    [0.5]

    """
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    raise InputError(f"correction: expected 'holm' or 'bh', got {method!r}")


# --------------------------------------------------------------------------- resampling


def _label_hash(value: Any) -> int:
    return zlib.crc32(str(value).encode("utf-8"))


def _resample_sums(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Column sums of ``n_boot`` with-replacement resamples of the rows of ``values``.

    A replicate is a vector of counts (how often each article was drawn);
    its sums are ``counts @ values``, so all metrics come from one product.
    """
    n, k = values.shape
    out = np.empty((n_boot, k))
    if n == 0:
        out[:] = 0.0
        return out
    block = max(1, _MAX_BLOCK // n)
    offsets_all = np.arange(block, dtype=np.int64)[:, None] * n
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(b, n), dtype=np.uint32 if n < 2**32 else np.int64)
        flat = (idx.astype(np.int64) + offsets_all[:b]).ravel()
        counts = np.bincount(flat, minlength=b * n).reshape(b, n)
        out[start:start + b] = counts.astype(np.float64) @ values
    return out


def _permutation_labels(n: int, n_a: int, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """``n_perm`` × ``n`` 0/1 matrix, each row with exactly ``n_a`` ones, uniformly at random.

    Row ``i`` marks the ``n_a`` smallest of ``n`` random 32-bit keys: a uniform
    random subset, found with one partition instead of a shuffle per row.
    """
    labels = np.empty((n_perm, n))
    if 0 < n_a < n:
        keys = rng.integers(0, 2**32, size=(n_perm, n), dtype=np.uint32)
        kth = np.partition(keys, n_a - 1, axis=1)[:, n_a - 1]
        np.less_equal(keys, kth[:, None], out=labels, casting="unsafe")
        # ties at the threshold (rare with 32-bit keys) → redraw those rows exactly
        for row in np.flatnonzero(np.count_nonzero(labels, axis=1) != n_a):
            labels[row] = rng.permutation(n) < n_a
    else:
        labels[:] = 1.0 if n_a == n else 0.0
    return labels


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / den
    return np.where(den > 0, r, np.nan)


def _standardize(rates: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over axis 0, renormalising weights over defined (non-NaN) rates."""
    shape = (len(weights),) + (1,) * (rates.ndim - 1)
    w = weights.reshape(shape)
    defined = ~np.isnan(rates)
    total = np.where(defined, w, 0.0).sum(axis=0)
    value = np.where(defined, rates, 0.0) * w
    with np.errstate(divide="ignore", invalid="ignore"):
        out = value.sum(axis=0) / total
    return np.where(total > 0, out, np.nan)


def _col_quantiles(boot: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-column quantile ``q[j]`` of ``boot[:, j]`` ignoring NaN (linear interpolation)."""
    b, m = boot.shape
    ordered = np.sort(boot, axis=0)  # NaN last
    valid = (~np.isnan(boot)).sum(axis=0)
    q = np.clip(np.nan_to_num(q, nan=0.5), 0.0, 1.0)
    pos = q * np.maximum(valid - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
    frac = pos - lo
    cols = np.arange(m)
    lo_v = ordered[np.minimum(lo, b - 1), cols]
    hi_v = ordered[np.minimum(hi, b - 1), cols]
    with np.errstate(invalid="ignore"):
        out = lo_v + (hi_v - lo_v) * frac
    return np.where(valid > 0, out, np.nan)


def _interval(
    theta: np.ndarray, boot: np.ndarray, alpha: float, method: CiMethod, accel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile or BCa interval per column of ``boot``."""
    m = len(theta)
    if method == "percentile":
        lo = _col_quantiles(boot, np.full(m, alpha / 2))
        hi = _col_quantiles(boot, np.full(m, 1 - alpha / 2))
    else:
        valid = (~np.isnan(boot)).sum(axis=0)
        tol = 1e-12 * np.maximum(1.0, np.abs(np.nan_to_num(theta)))
        with np.errstate(invalid="ignore"):
            less = (boot < theta - tol).sum(axis=0)
            ties = (np.abs(boot - theta) <= tol).sum(axis=0)
        n_valid = np.maximum(valid, 1)
        p0 = (less + 0.5 * ties) / n_valid
        # all replicates on one side: clip instead of an infinite bias correction
        p0 = np.clip(p0, 0.5 / n_valid, 1 - 0.5 / n_valid)
        z0 = ndtri(p0)
        a = np.nan_to_num(accel, nan=0.0)
        bounds = []
        for level in (alpha / 2, 1 - alpha / 2):
            t = z0 + ndtri(level)
            denom = 1.0 - a * t
            with np.errstate(divide="ignore", invalid="ignore"):
                adj = np.where(denom > 0, z0 + t / denom, np.sign(t) * np.inf)
            bounds.append(_col_quantiles(boot, ndtr(adj)))
        lo, hi = bounds
    bad = np.isnan(theta)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _acceleration(sum2: np.ndarray, sum3: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sum3 / (6.0 * sum2**1.5)
    return np.where(sum2 > 0, a, 0.0)


# --------------------------------------------------------------------------- preparation


@dataclass
class _Cell:
    """Articles of one group in one stratum: the unit resampled independently."""

    stratum: Any
    idx: np.ndarray
    rate: np.ndarray = field(default_factory=lambda: np.empty(0))
    boot: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    jack_sum2: np.ndarray = field(default_factory=lambda: np.empty(0))
    jack_sum3: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class _Group:
    label: Any
    cells: list[_Cell]  # common strata first (in stratum order), then the rest
    n_common: int  # number of cells used by the estimate
    n_excluded: int = 0  # articles outside the common strata
    theta: np.ndarray = field(default_factory=lambda: np.empty(0))
    boot: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    sum2: np.ndarray = field(default_factory=lambda: np.empty(0))
    sum3: np.ndarray = field(default_factory=lambda: np.empty(0))
    article_sd: np.ndarray = field(default_factory=lambda: np.empty(0))
    nan_share: np.ndarray = field(default_factory=lambda: np.empty(0))
    undefined_strata: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def used(self) -> np.ndarray:
        parts = [c.idx for c in self.cells[: self.n_common]]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


@dataclass
class _Prepared:
    options: CompareOptions
    metrics: list[Metric]
    articles: pd.DataFrame
    num: np.ndarray  # articles × metrics
    den: np.ndarray
    sentences: np.ndarray  # non-promo sentences per article
    groups: list[_Group]
    strata: list[Any]  # common strata, in order
    weights: np.ndarray  # common stratum weights (sum to 1)
    base_seed: int
    seed_label: str


def _base_seed(random_state: int | np.random.Generator | None) -> tuple[int, str]:
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63)), "Generator"
    if random_state is None:
        entropy = np.random.SeedSequence().entropy
        return int(entropy) % 2**63, "None"
    return int(random_state), str(int(random_state))


def _article_table(table: pd.DataFrame, options: CompareOptions) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame (sentence or article table), "
                          f"got {type(table).__name__}")
    # sentence tables carry per-sentence flags; article tables (even partial,
    # hand-built ones) carry counts only and are used as they are
    is_sentences = "sent_id" in table.columns or "claim" in table.columns
    arts = _articles(table) if is_sentences else table
    needed = [options.by] + ([options.strata] if options.strata else [])
    check_columns(arts, needed, table="article table (comparison columns)")
    if not is_sentences and "doc_id" in arts.columns:
        # the same scores read twice would count every article twice and
        # narrow the intervals by sqrt(2); refuse instead of guessing
        _check_unique(arts, ["doc_id"], "article table")
    return arts


def _check_unique(table: pd.DataFrame, columns: list[str], name: str) -> None:
    """Raise InputError naming the first duplicated key of ``columns`` and how many there are.

    Parameters
    ----------
    table : pandas.DataFrame
    columns : list of str
        Key columns.
    name : str
        Table name for the message.

    Raises
    ------
    InputError
        If a key occurs more than once.

    """
    try:
        dup = table.duplicated(subset=columns, keep=False).to_numpy()
    except TypeError as exc:  # unhashable keys (lists)
        raise InputError(f"{name}: {' and '.join(columns)} must be scalars (str, number), "
                         f"not lists or dicts") from exc
    if dup.any():
        first = [v.item() if isinstance(v, np.generic) else v
                 for v in table.loc[dup, columns].iloc[0].tolist()]
        key = (repr(first[0]) if len(columns) == 1
               else "(" + ", ".join(repr(v) for v in first) + ")")
        keys = int(table.loc[dup, columns].drop_duplicates().shape[0])
        raise InputError(f"{name}: {', '.join(columns)} {key} occurs more than once "
                         f"({keys} duplicated key(s) in {int(dup.sum())} rows); "
                         "each must be unique (was the same data read twice?)")


def _numeric_column(arts: pd.DataFrame, column: str) -> np.ndarray:
    """A count column as finite floats (reliability fix, issue 10: NaN crashed with ValueError)."""
    try:
        values = arts[column].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"column {column!r} is not numeric") from exc
    if not np.isfinite(values).all():
        raise InputError(f"column {column!r} has {int((~np.isfinite(values)).sum())} missing "
                         "or infinite value(s); counts must be finite numbers")
    bad = (values < 0) | (values > 2.0**53)
    if bad.any():
        raise InputError(f"column {column!r} has {int(bad.sum())} value(s) that are not counts "
                         "(negative, or above 2**53)")
    return values


def _present(values: pd.Series) -> np.ndarray:
    """True where a label is given: not NaN/None and not an empty or blank string."""
    blank = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return values.notna().to_numpy() & ~blank


def _prepare(table: pd.DataFrame, options: CompareOptions) -> _Prepared:
    metrics = resolve_metrics(options.metrics)
    arts = _article_table(table, options)
    if len(arts) == 0:
        raise InputError("comparison: the table has no rows (no articles to compare)")
    keep = _present(arts[options.by])
    if options.strata:
        keep = keep & _present(arts[options.strata])
    if not keep.all():
        logger.warning("%d article(s) without %s dropped from the comparison",
                       int((~keep).sum()),
                       options.by if not options.strata else f"{options.by} or {options.strata}")
        arts = arts.loc[keep].reset_index(drop=True)
    if len(arts) == 0:
        raise InputError(f"comparison: no articles to compare (every article lacks "
                         f"{options.by}{' or ' + options.strata if options.strata else ''})")
    num = np.empty((len(arts), len(metrics)))
    den = np.empty_like(num)
    for j, metric in enumerate(metrics):
        num[:, j], den[:, j] = metric.article_values(arts)
    # a hand-built article table may lack n_sentences: then strata are weighted
    # by articles and the outlet table's n_sentences is missing (<NA>)
    has_sentences = "n_sentences" in arts.columns
    sentences = (_numeric_column(arts, "n_sentences") if has_sentences
                 else np.zeros(len(arts)))

    # reliability fix (issue 10): unhashable group labels (lists) raised a bare TypeError
    try:
        group_codes, group_labels = pd.factorize(arts[options.by].astype(object), sort=False)
    except TypeError as exc:
        raise InputError(f"column {options.by!r}: group labels must be scalars (str, number), "
                         f"not lists or dicts ({exc})") from exc
    order = sorted(range(len(group_labels)), key=lambda i: str(group_labels[i]))
    if options.strata:
        strat_codes, strat_labels = pd.factorize(arts[options.strata].astype(object), sort=False)
        cell_n = np.zeros((len(group_labels), len(strat_labels)), dtype=np.int64)
        np.add.at(cell_n, (group_codes, strat_codes), 1)
        common_codes = [s for s in sorted(range(len(strat_labels)),
                                          key=lambda s: str(strat_labels[s]))
                        if cell_n[:, s].min() >= MIN_STRATUM_ARTICLES]
        if not common_codes:
            raise InputError(
                f"strata={options.strata!r}: no stratum is covered by every "
                f"{options.by} with at least {MIN_STRATUM_ARTICLES} articles "
                f"({len(group_labels)} groups, {len(strat_labels)} strata); "
                "compare fewer groups or use coarser strata"
            )
        in_common = np.isin(strat_codes, common_codes)
        pooled = np.bincount(strat_codes[in_common], weights=sentences[in_common],
                             minlength=len(strat_labels))[common_codes]
        if pooled.sum() <= 0:  # no sentences at all: weight strata by articles
            pooled = np.bincount(strat_codes[in_common],
                                 minlength=len(strat_labels))[common_codes].astype(float)
        weights = pooled / pooled.sum()
        strata = [strat_labels[s] for s in common_codes]
        rank = {s: i for i, s in enumerate(common_codes)}
        other = [s for s in sorted(range(len(strat_labels)), key=lambda s: str(strat_labels[s]))
                 if s not in rank]
    else:
        strat_codes = np.zeros(len(arts), dtype=np.int64)
        common_codes, strata, weights, other = [0], [None], np.ones(1), []

    # Canonical order: the articles of every group (and cell) are resampled and
    # permuted in doc_id order, so the same data in any row order give
    # identical intervals and p-values with the same seed.
    canon = (np.argsort(arts["doc_id"].map(_id_key).to_numpy(), kind="stable")
             if "doc_id" in arts.columns else np.arange(len(arts)))
    groups = []
    for g in order:
        members = canon[group_codes[canon] == g]
        cells = []
        for s in common_codes:
            idx = members[strat_codes[members] == s]
            cells.append(_Cell(stratum=strat_labels[s] if options.strata else None, idx=idx))
        for s in other:
            idx = members[strat_codes[members] == s]
            if len(idx):
                cells.append(_Cell(stratum=strat_labels[s], idx=idx))
        n_excluded = int(sum(len(c.idx) for c in cells[len(common_codes):]))
        groups.append(_Group(label=group_labels[g], cells=cells, n_common=len(common_codes),
                             n_excluded=n_excluded))
    base_seed, seed_label = _base_seed(options.random_state)
    return _Prepared(options, metrics, arts, num, den, sentences, groups, strata, weights,
                     base_seed, seed_label)


# --------------------------------------------------------------------------- bootstrap


def _id_key(value: Any) -> str:
    """A doc_id's sort key: total over mixed types and missing values (1 and "1" apart)."""
    return f"{type(value).__name__}:{value!r}"


def _bootstrap_cell(prep: _Prepared, group: _Group, cell: _Cell) -> None:
    x, d = prep.num[cell.idx], prep.den[cell.idx]
    n, m = x.shape
    s_num, s_den = x.sum(axis=0), d.sum(axis=0)
    cell.rate = _ratio(s_num, s_den)
    rng = np.random.default_rng(
        [prep.base_seed, _label_hash(group.label), _label_hash(cell.stratum), 0])
    sums = _resample_sums(np.hstack([x, d]), prep.options.n_boot, rng)
    cell.boot = _ratio(sums[:, :m], sums[:, m:])
    if n >= 2:
        # The bootstrap variance of a mean of n clusters is (n - 1) / n of the
        # unbiased one, which made 95% intervals cover 85-91% at 20 articles:
        # spread the replicates by sqrt(n / (n - 1)) around the estimate, so
        # every interval, difference and bootstrap test built from them is widened.
        cell.boot = cell.rate + math.sqrt(n / (n - 1)) * (cell.boot - cell.rate)
        # ... but never outside the metric's range: no negative rate, no share above 1
        np.maximum(cell.boot, 0.0, out=cell.boot)
        for j, metric in enumerate(prep.metrics):
            if metric.proportion:
                np.minimum(cell.boot[:, j], 1.0, out=cell.boot[:, j])
    # jackknife (leave one article out) for the BCa acceleration
    if n >= 2:
        jack = _ratio(s_num - x, s_den - d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns → NaN
            centre = np.nanmean(jack, axis=0)
        # influence of each article, scaled for the multi-sample acceleration
        # (Efron & Tibshirani 1993, ch. 14): U_i / n = (n - 1) / n * (mean - jack_i)
        influence = (n - 1) / n * (centre - jack)  # NaN where undefined
    else:
        influence = np.full((n, m), np.nan)
    cell.jack_sum2 = np.nansum(influence**2, axis=0)
    cell.jack_sum3 = np.nansum(influence**3, axis=0)


def _bootstrap_group(prep: _Prepared, group: _Group) -> None:
    for cell in group.cells:
        if prep.options.strata is None or len(cell.idx):
            _bootstrap_cell(prep, group, cell)
    common = group.cells[: group.n_common]
    m = len(prep.metrics)
    if prep.options.strata is None:
        cell = common[0]
        group.theta, group.boot = cell.rate, cell.boot
        group.sum2, group.sum3 = cell.jack_sum2, cell.jack_sum3
        group.undefined_strata = np.zeros(m, dtype=np.int64)
    else:
        rates = np.stack([c.rate for c in common])  # strata × metrics
        boots = np.stack([c.boot for c in common])  # strata × boots × metrics
        w = prep.weights
        group.theta = _standardize(rates, w)
        group.boot = _standardize(boots, w)
        defined = ~np.isnan(rates)
        w_def = np.where(defined, w[:, None], 0.0).sum(axis=0)
        share = np.where(defined, w[:, None], 0.0) / np.where(w_def > 0, w_def, np.nan)
        group.sum2 = np.nansum(np.stack([share[i] ** 2 * c.jack_sum2
                                         for i, c in enumerate(common)]), axis=0)
        group.sum3 = np.nansum(np.stack([share[i] ** 3 * c.jack_sum3
                                         for i, c in enumerate(common)]), axis=0)
        group.undefined_strata = (~defined).sum(axis=0)
    group.nan_share = np.isnan(group.boot).mean(axis=0) if len(group.boot) else np.zeros(m)
    used = group.used
    vals = _ratio(prep.num[used], prep.den[used])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns → NaN
        group.article_sd = (np.nanstd(vals, axis=0, ddof=1) if len(used) > 1
                            else np.full(m, np.nan))


def _boundary_intervals(
    prep: _Prepared, idx: np.ndarray, theta: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Replace the degenerate bootstrap interval of an estimate at its boundary.

    With no positive in any article (numerator 0), or — for proportion
    metrics — every unit positive, every resample repeats the estimate and the
    bootstrap interval is [0, 0] (or [1, 1]). For proportion metrics, articles
    are then treated as the independent unit and the binomial bound for no
    events in ``n`` articles is used: ``[0, 1 - (alpha/2)^(1/n)]`` (mirrored for
    all positive) — approximate, as the pooled share weighs long articles more;
    the row's scale is applied by the caller. Other metrics (counts per unit)
    get no upper bound (NaN) and the warning says so.

    Returns
    -------
    lo, hi : numpy.ndarray
        Intervals (ratio units), replaced where at a boundary.
    notes : list of str or None
        Per metric, the warning text for a replaced interval.

    """
    alpha = prep.options.alpha
    n = len(idx)
    notes: list[str | None] = [None] * len(prep.metrics)
    if n < 2:
        return lo, hi, notes
    s_num, s_den = prep.num[idx].sum(axis=0), prep.den[idx].sum(axis=0)
    bound = 1.0 - (alpha / 2) ** (1.0 / n)
    lo, hi = lo.copy(), hi.copy()
    for j, metric in enumerate(prep.metrics):
        if np.isnan(theta[j]):
            continue
        if s_num[j] == 0 and not metric.proportion:
            # a count per unit (sources per article, …) has no such bound: an outlet can
            # show none in n articles and still have a sizeable mean
            lo[j], hi[j] = 0.0, np.nan
            notes[j] = (f"no positive in any of its {n} articles: no upper bound (the "
                        "bootstrap has no spread, and this metric is not a proportion)")
        elif s_num[j] == 0:
            lo[j], hi[j] = 0.0, bound
            notes[j] = (f"no positive in any of its {n} articles: interval is the approximate "
                        f"one-sided bound 1 - {alpha / 2:g}^(1/{n}) treating articles as "
                        "independent, not a bootstrap interval")
        elif metric.proportion and s_num[j] == s_den[j]:
            lo[j], hi[j] = 1.0 - bound, 1.0
            notes[j] = (f"every unit positive in all of its {n} articles: interval is the "
                        f"approximate one-sided bound {alpha / 2:g}^(1/{n}) treating "
                        "articles as independent, not a bootstrap interval")
    return lo, hi, notes


def _few_positive_note(prep: _Prepared, idx: np.ndarray, j: int) -> str | None:
    """Warning when fewer than 10 articles carry a positive (or, for proportions, a negative)."""
    x, d = prep.num[idx, j], prep.den[idx, j]
    k = int((x > 0).sum())
    if 0 < k < _MIN_POSITIVE_ARTICLES:
        return (f"only {k} of its articles have any positive (<{_MIN_POSITIVE_ARTICLES}): "
                "interval unstable")
    if prep.metrics[j].proportion and k:
        k_neg = int((x < d).sum())
        if 0 < k_neg < _MIN_POSITIVE_ARTICLES:
            return (f"only {k_neg} of its articles have any negative "
                    f"(<{_MIN_POSITIVE_ARTICLES}): interval unstable")
    return None


def _outlet_warning(prep: _Prepared, group: _Group, j: int, n_articles: int) -> str | None:
    opts, metric = prep.options, prep.metrics[j]
    notes = []
    if n_articles < 2:
        notes.append(f"only {n_articles} article{'s' if n_articles != 1 else ''}: no interval")
    elif n_articles < opts.min_articles:
        notes.append(f"only {n_articles} articles (<{opts.min_articles}): interval unstable")
    if np.isnan(group.theta[j]):
        notes.append(f"undefined: {metric._denominator_label()} is 0 in every article")
    else:
        if n_articles >= 2:
            few = _few_positive_note(prep, group.used, j)
            if few:
                notes.append(few)
        if group.nan_share[j] > 0:
            notes.append(f"{group.nan_share[j]:.0%} of bootstrap replicates had a zero "
                         f"denominator ({metric._denominator_label()}) and were dropped")
        if group.undefined_strata[j]:
            notes.append(f"rate undefined in {int(group.undefined_strata[j])} of "
                         f"{group.n_common} common strata; weights renormalised")
    if opts.strata:
        small = sum(len(c.idx) < _SMALL_STRATUM for c in group.cells[: group.n_common])
        if small:
            notes.append(f"{small} of {group.n_common} common strata have fewer than "
                         f"{_SMALL_STRATUM} of its articles: interval may be too narrow")
    if group.n_excluded:
        notes.append(f"{group.n_excluded} article(s) outside the common strata excluded")
    return "; ".join(notes) if notes else None


def _estimator_label(metric: Metric) -> str:
    return "ratio estimator" if metric.kind_of_estimate == "ratio" else "mean per article"


def _method(prep: _Prepared, metric: Metric) -> str:
    opts = prep.options
    text = _estimator_label(metric)
    if opts.strata:
        text = (f"{text}, standardized over {opts.strata} ({len(prep.strata)} common strata, "
                "pooled-sentence weights); article-clustered bootstrap within "
                f"{opts.by}×{opts.strata}")
    else:
        text += "; article-clustered bootstrap"
    return f"{text}, {opts.ci}, n_boot={opts.n_boot}, seed={prep.seed_label}"


def _run_bootstrap(prep: _Prepared) -> None:
    for group in prep.groups:
        _bootstrap_group(prep, group)


def _outlet_table(prep: _Prepared) -> pd.DataFrame:
    opts = prep.options
    rows: list[dict[str, Any]] = []
    for group in prep.groups:
        used = group.used
        n_articles = len(used)
        n_sentences = int(prep.sentences[used].sum())
        accel = _acceleration(group.sum2, group.sum3)
        lo, hi = _interval(group.theta, group.boot, opts.alpha, opts.ci, accel)
        if n_articles < 2:
            lo, hi = np.full_like(lo, np.nan), np.full_like(hi, np.nan)
        lo, hi, bounds = _boundary_intervals(prep, used, group.theta, lo, hi)
        flat = _flat_strata(prep, group) if opts.strata else [None] * len(prep.metrics)
        for j, metric in enumerate(prep.metrics):
            notes = [
                w
                for w in (bounds[j], _outlet_warning(prep, group, j, n_articles), flat[j])
                if w
            ]
            row = {
                "outlet": group.label, "metric": metric.name,
                "estimate": group.theta[j] * metric.scale,
                "ci_low": lo[j] * metric.scale, "ci_high": hi[j] * metric.scale,
                "n_articles": n_articles, "n_sentences": n_sentences,
                # the unit is in the words: shares (0-1) and rates per 100 sit side by side
                "description": metric.description,
                "method": _method(prep, metric),
                "warning": "; ".join(notes) if notes else None,
            }
            if opts.strata:
                row["stratum"] = STANDARDIZED
            rows.append(row)
        if opts.strata and opts.per_stratum:
            rows.extend(_stratum_rows(prep, group))
    columns = list(OUTLET_TABLE_COLUMNS) + (["stratum"] if opts.strata else [])
    out = pd.DataFrame(rows, columns=columns)
    order = {m.name: i for i, m in enumerate(prep.metrics)}
    out = out.sort_values("metric", key=lambda s: s.map(order), kind="stable")
    has_sentences = "n_sentences" in prep.articles.columns
    out = out.reset_index(drop=True).astype(
        {"n_articles": "int64", "n_sentences": "int64" if has_sentences else "Int64"})
    if not has_sentences:
        out["n_sentences"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["warning"] = out["warning"].astype(object).where(out["warning"].notna(), None)
    return out


def _flat_strata(prep: _Prepared, group: _Group) -> list[str | None]:
    """Per metric, a warning when a common stratum of ``group`` sits at its boundary.

    Such a stratum (no positive, or every unit positive) adds no variance to the
    standardized estimate, so the standardized interval is too narrow; when the whole
    outlet is at its boundary, :func:`_boundary_intervals` speaks instead.
    """
    notes: list[str | None] = [None] * len(prep.metrics)
    for j, metric in enumerate(prep.metrics):
        flat = []
        for cell in group.cells[: group.n_common]:
            if len(cell.idx) == 0:
                continue
            x, d = prep.num[cell.idx, j].sum(), prep.den[cell.idx, j].sum()
            if d > 0 and (x == 0 or metric.proportion and x == d):
                flat.append(f"{cell.stratum} ({len(cell.idx)})")
        total = prep.num[group.used, j].sum()
        if flat and total != 0 and len(flat) < group.n_common:
            notes[j] = (f"no spread in stratum {', '.join(flat[:3])}"
                        f"{' …' if len(flat) > 3 else ''} (all negative or all positive): "
                        "the standardized interval is too narrow")
    return notes


def _stratum_rows(prep: _Prepared, group: _Group) -> list[dict[str, Any]]:
    opts = prep.options
    rows = []
    for cell in group.cells:
        n = len(cell.idx)
        if n == 0:
            continue
        accel = _acceleration(cell.jack_sum2, cell.jack_sum3)
        lo, hi = _interval(cell.rate, cell.boot, opts.alpha, opts.ci, accel)
        lo, hi, bounds = _boundary_intervals(prep, cell.idx, cell.rate, lo, hi)
        for j, metric in enumerate(prep.metrics):
            parts = [bounds[j]]
            if n < 2:
                lo[j] = hi[j] = np.nan
                parts.append("only 1 article: no interval")
            else:
                if n < opts.min_articles:
                    parts.append(f"only {n} articles (<{opts.min_articles}): interval unstable")
                parts.append(_few_positive_note(prep, cell.idx, j))
            note = "; ".join(w for w in parts if w) or None
            rows.append({
                "outlet": group.label, "metric": metric.name,
                "estimate": cell.rate[j] * metric.scale,
                "ci_low": lo[j] * metric.scale, "ci_high": hi[j] * metric.scale,
                "n_articles": n, "n_sentences": int(prep.sentences[cell.idx].sum()),
                "description": metric.description,
                "method": (f"{_estimator_label(metric)} within {opts.strata}; article-clustered "
                           f"bootstrap, {opts.ci}, n_boot={opts.n_boot}, seed={prep.seed_label}"),
                "warning": note, "stratum": str(cell.stratum),
            })
    return rows


# --------------------------------------------------------------------------- pairwise


def _unique_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns of ``values`` and, per original column, its index among them.

    Many metrics share a denominator (``n_sentences``); the permutation product
    then needs each distinct column once.
    """
    seen: dict[bytes, int] = {}
    keep, inverse = [], np.empty(values.shape[1], dtype=np.int64)
    for j in range(values.shape[1]):
        key = np.ascontiguousarray(values[:, j]).tobytes()
        if key not in seen:
            seen[key] = len(keep)
            keep.append(j)
        inverse[j] = seen[key]
    return values[:, keep], inverse


def _ratio_and_variance(sums: np.ndarray, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Ratio estimate and its delta-method variance from per-group sums.

    ``sums`` holds, per row, the sums over a group's ``n`` articles of
    ``num, den, num², num·den, den²`` (``m`` columns each). The variance is
    ``n / (n - 1) · Σ(num_i - r·den_i)² / (Σden_i)²``, with the square expanded
    so that it needs only those sums.
    """
    sx, sd, sxx, sxd, sdd = (sums[:, k * m:(k + 1) * m] for k in range(5))
    r = _ratio(sx, sd)
    ss = sxx - 2.0 * r * sxd + r * r * sdd
    # the expansion cancels: when every article has the same rate, ss is
    # rounding noise (of either sign) rather than 0; call that 0
    ss = np.where(ss > 1e-10 * (sxx + r * r * sdd), ss, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (n / (n - 1) if n >= 2 else np.nan) * ss / (sd * sd)
    return r, np.where(np.isnan(r), np.nan, var)


def _standardize_variance(rates: np.ndarray, variances: np.ndarray,
                          weights: np.ndarray) -> np.ndarray:
    """Variance of :func:`_standardize` of independent strata: ``Σ w_s'² var_s``.

    ``w'`` are the weights renormalised over the strata whose rate is defined,
    as in :func:`_standardize`.
    """
    shape = (len(weights),) + (1,) * (rates.ndim - 1)
    w = np.where(np.isnan(rates), 0.0, weights.reshape(shape))
    total = w.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = w / total
        out = np.where(w > 0, share * share * variances, 0.0).sum(axis=0)
    return np.where(total > 0, out, np.nan)


def _studentized(
    parts: list[tuple[np.ndarray, np.ndarray, int, int]], weights: np.ndarray, m: int
) -> np.ndarray:
    """Studentized difference ``(r_a - r_b) / SE`` per row and metric.

    ``parts`` holds per stratum the sums of group a and of group b (see
    :func:`_ratio_and_variance`) and the groups' article counts. With ``SE = 0``
    (every article of both groups at its group's rate) the statistic is 0 for
    equal rates and ±inf otherwise, so such a difference is as extreme as any.
    """
    ra, va, rb, vb = [], [], [], []
    for sums_a, sums_b, n_a, n_b in parts:
        r, v = _ratio_and_variance(sums_a, n_a, m)
        ra.append(r)
        va.append(v)
        r, v = _ratio_and_variance(sums_b, n_b, m)
        rb.append(r)
        vb.append(v)
    rates_a, rates_b = np.stack(ra), np.stack(rb)
    diff = _standardize(rates_a, weights) - _standardize(rates_b, weights)
    var = (_standardize_variance(rates_a, np.stack(va), weights)
           + _standardize_variance(rates_b, np.stack(vb), weights))
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
        zero = np.abs(diff) <= 1e-12
        t = np.where(se > 0, t, np.where(zero, 0.0, np.sign(diff) * np.inf))
    return np.where(np.isnan(diff) | np.isnan(se), np.nan, t)


def _perm_test(prep: _Prepared, a: _Group, b: _Group) -> np.ndarray:
    """Two-sided permutation p-values (one per metric) for group a vs group b.

    Article labels are permuted within each common stratum. The statistic is
    the **studentized** difference of the (standardized) estimates: the
    difference over its delta-method standard error. The raw difference is not
    exchangeable when the two groups' articles differ in length (its variance
    depends on which articles land in the small group), which gave false
    positives in up to 28% of tests at a nominal 5%; the studentized statistic
    is asymptotically pivotal, so the test stays near its level.
    """
    opts = prep.options
    m = len(prep.metrics)
    rng = np.random.default_rng(
        [prep.base_seed, _label_hash(a.label), _label_hash(b.label), 1])
    n_perm = opts.n_perm
    pooled = []
    observed_parts = []
    for ca, cb in zip(a.cells[: a.n_common], b.cells[: b.n_common], strict=True):
        idx = np.concatenate([ca.idx, cb.idx])
        x, d = prep.num[idx], prep.den[idx]
        values = np.hstack([x, d, x * x, x * d, d * d])
        unique, inverse = _unique_columns(values)
        n_a, n_b = len(ca.idx), len(cb.idx)
        pooled.append((unique, inverse, n_a, n_b))
        total = values.sum(axis=0)
        sums_a = values[:n_a].sum(axis=0)[None, :]
        observed_parts.append((sums_a, total[None, :] - sums_a, n_a, n_b))
    observed = _studentized(observed_parts, prep.weights, m)[0]
    extreme = np.zeros(m)
    valid = np.zeros(m)
    finite = np.zeros(m)
    total_t = np.zeros(m)
    total_sq = np.zeros(m)
    # relative tolerance: the observed and permuted sums add in different orders
    tol = 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(observed, posinf=0.0, neginf=0.0)))
    max_n = max(len(v) for v, *_ in pooled)
    block = max(1, _PERM_BLOCK // max(max_n, 1))
    for start in range(0, n_perm, block):
        p = min(block, n_perm - start)
        parts = []
        for unique, inverse, n_a, n_b in pooled:
            labels = _permutation_labels(len(unique), n_a, p, rng)
            sums_a = labels @ unique
            sums_b = unique.sum(axis=0) - sums_a
            parts.append((sums_a[:, inverse], sums_b[:, inverse], n_a, n_b))
        stat = _studentized(parts, prep.weights, m)
        ok = ~np.isnan(stat)
        valid += ok.sum(axis=0)
        with np.errstate(invalid="ignore"):
            extreme += (ok & (np.abs(stat) >= np.abs(observed) - tol)).sum(axis=0)
        fin = np.isfinite(stat)
        finite += fin.sum(axis=0)
        filled = np.where(fin, stat, 0.0)
        total_t += filled.sum(axis=0)
        total_sq += (filled**2).sum(axis=0)
    p_values = (1.0 + extreme) / (1.0 + valid)
    # Far in the tail a Monte Carlo p-value is only "< 1/(n_perm+1)"; over many
    # tests that floor would hide every difference. There, use the normal
    # distribution with the permutation distribution's mean and SD instead —
    # but never for an infinite observed statistic (zero standard error): no
    # normal tail describes that, and the Monte Carlo value is honest.
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total_t / finite
        sd = np.sqrt(np.maximum(total_sq / finite - mean**2, 0.0) * finite / (finite - 1))
        obs = np.abs(observed)
        tail = ndtr((-obs - mean) / sd) + ndtr((mean - obs) / sd)
    refine = ((extreme < _TAIL_EXCEEDANCES) & (sd > 0) & (finite > 1)
              & np.isfinite(observed))
    # No permutation test can give less than its most extreme relabelling's
    # share: 1 / (number of relabellings), twice that when the groups are the
    # same size in every stratum (the swap is as extreme). Without this floor
    # the normal tail of a studentized statistic gave 1e-33 for 6 vs 6 articles.
    log_labellings = sum(math.lgamma(n_a + n_b + 1) - math.lgamma(n_a + 1)
                         - math.lgamma(n_b + 1) for _, _, n_a, n_b in pooled)
    symmetric = all(n_a == n_b for _, _, n_a, n_b in pooled)
    floor = (2.0 if symmetric else 1.0) * math.exp(-min(log_labellings, 700.0))
    p_values = np.where(refine, np.maximum(tail, floor), p_values)
    return np.where(np.isnan(observed) | (valid == 0), np.nan, np.minimum(p_values, 1.0))


def _boot_test(diff_boot: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided bootstrap (Wald) p-value: the difference over its bootstrap standard error.

    A normal reference rather than counting replicates beyond zero, so the
    p-value has no floor of ``1/n_boot`` and survives a correction over
    thousands of tests.

    Returns
    -------
    p : numpy.ndarray
        One p-value per metric; NaN when the bootstrap distribution of a
        non-zero difference has no spread (every article at its outlet's rate):
        a zero standard error says nothing about the sampling variance, so it
        must not give p = 0.
    degenerate : numpy.ndarray of bool
        Where that happened (the row gets a warning).

    """
    ok = ~np.isnan(diff_boot)
    n = ok.sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(diff_boot, axis=0, ddof=1)
    # rounding noise of a zero-spread distribution is not spread
    spread = se > 1e-12 * np.maximum(1.0, np.abs(np.nan_to_num(observed)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(observed) / se
    p = 2 * ndtr(-z)
    undefined = np.isnan(observed) | (n < 2)
    degenerate = ~undefined & ~spread & (observed != 0)
    p = np.where(spread, p, np.where(observed == 0, 1.0, np.nan))
    return np.where(undefined, np.nan, p), degenerate


def _effect_sizes(prep: _Prepared, a: _Group, b: _Group) -> tuple[np.ndarray, list[str]]:
    values, kinds = [], []
    na, nb = len(a.used), len(b.used)
    for j, metric in enumerate(prep.metrics):
        ta, tb = a.theta[j], b.theta[j]
        if metric.proportion:
            pa, pb = np.clip([ta, tb], 0.0, 1.0)
            values.append(2 * np.arcsin(np.sqrt(pa)) - 2 * np.arcsin(np.sqrt(pb)))
            kinds.append("cohens_h")
        elif metric.kind_of_estimate == "mean":
            sa, sb = a.article_sd[j], b.article_sd[j]
            if na + nb > 2 and not (np.isnan(sa) and np.isnan(sb)):
                pooled = math.sqrt((max(na - 1, 0) * np.nan_to_num(sa) ** 2
                                    + max(nb - 1, 0) * np.nan_to_num(sb) ** 2) / (na + nb - 2))
            else:
                pooled = float("nan")
            values.append((ta - tb) / pooled if pooled > 0 else
                          (0.0 if ta == tb else float("nan")))
            kinds.append("cohens_d")
        else:
            values.append(math.log(ta / tb) if ta > 0 and tb > 0 else float("nan"))
            kinds.append("log_ratio")
    return np.asarray(values, dtype=np.float64), kinds


def _pairwise_table(prep: _Prepared, outlet_table: pd.DataFrame) -> pd.DataFrame:
    opts = prep.options
    std = outlet_table
    if opts.strata:
        std = std[std["stratum"] == STANDARDIZED]
    warn = {(r.outlet, r.metric): r.warning for r in std.itertuples(index=False)}
    rows: list[dict[str, Any]] = []
    groups = prep.groups
    n_tests = len(groups) * (len(groups) - 1) // 2 * len(prep.metrics)
    for ia in range(len(groups)):
        for ib in range(ia + 1, len(groups)):
            a, b = groups[ia], groups[ib]
            observed = a.theta - b.theta
            diff_boot = a.boot - b.boot
            accel = _acceleration(a.sum2 + b.sum2, a.sum3 - b.sum3)
            lo, hi = _interval(observed, diff_boot, opts.alpha, opts.ci, accel)
            na, nb = len(a.used), len(b.used)
            if na < 2 or nb < 2:
                lo, hi = np.full_like(lo, np.nan), np.full_like(hi, np.nan)
            degenerate = np.zeros(len(prep.metrics), dtype=bool)
            if opts.test == "permutation":
                p_values = _perm_test(prep, a, b)
            else:
                p_values, degenerate = _boot_test(diff_boot, observed)
            effect, effect_kind = _effect_sizes(prep, a, b)
            for j, metric in enumerate(prep.metrics):
                ta, tb = a.theta[j] * metric.scale, b.theta[j] * metric.scale
                notes = [f"{g.label}: {w}" for g, w in
                         ((a, warn.get((a.label, metric.name))),
                          (b, warn.get((b.label, metric.name)))) if w]
                if degenerate[j]:
                    notes.append("no p-value: the bootstrap distribution of the difference "
                                 "has no spread (every article at its outlet's rate); use "
                                 "test='permutation'")
                row = {
                    "outlet_a": a.label, "outlet_b": b.label, "metric": metric.name,
                    "estimate_a": ta, "estimate_b": tb, "diff": ta - tb,
                    "ci_low": lo[j] * metric.scale, "ci_high": hi[j] * metric.scale,
                    "ratio": ta / tb if tb != 0 and not np.isnan(tb) else np.nan,
                    "effect_size": effect[j], "effect_size_kind": effect_kind[j],
                    "p_value": p_values[j], "n_articles_a": na, "n_articles_b": nb,
                    "method": _pair_method(prep, metric, n_tests),
                    "warning": "; ".join(notes) if notes else None,
                }
                if opts.strata:
                    row["stratum"] = STANDARDIZED
                rows.append(row)
    columns = list(PAIRWISE_COLUMNS) + (["stratum"] if opts.strata else [])
    out = pd.DataFrame(rows, columns=columns)
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(dtype=np.float64),
                                       opts.correction)
    out["significant"] = (out["p_adjusted"] < opts.alpha).fillna(False).astype(bool)
    out = out.astype({"n_articles_a": "int64", "n_articles_b": "int64"})
    out["warning"] = out["warning"].astype(object).where(out["warning"].notna(), None)
    return out


def _pair_method(prep: _Prepared, metric: Metric, n_tests: int) -> str:
    opts = prep.options
    test = (f"studentized permutation test of article labels (n_perm={opts.n_perm}"
            f"{', within strata' if opts.strata else ''}; normal tail below "
            f"{_TAIL_EXCEEDANCES} exceedances)"
            if opts.test == "permutation" else "bootstrap test (normal, bootstrap SE)")
    correction = "Holm" if opts.correction == "holm" else "Benjamini-Hochberg"
    std = f", standardized over {opts.strata}" if opts.strata else ""
    return (f"difference of {_estimator_label(metric)}s{std}; bootstrap {opts.ci} interval "
            f"(n_boot={opts.n_boot}); {test}; {correction} over {n_tests} tests; "
            f"seed={prep.seed_label}")


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class ComparisonResult:
    """Everything one comparison produced.

    Attributes
    ----------
    outlets : pandas.DataFrame
        Outlet table (:data:`OUTLET_TABLE_COLUMNS`).
    pairwise : pandas.DataFrame or None
        Pairwise table (:data:`biaskit.schema.PAIRWISE_COLUMNS`), if asked for.
    articles : pandas.DataFrame
        The article table compared.
    metrics : list of Metric
        The metrics, in table order.
    options : CompareOptions
        The settings used.

    """

    outlets: pd.DataFrame
    pairwise: pd.DataFrame | None
    articles: pd.DataFrame
    metrics: list[Metric]
    options: CompareOptions


def run_comparison(
    table: pd.DataFrame, options: CompareOptions | None = None, *, pairs: bool = True
) -> ComparisonResult:
    """Compute the outlet table and (optionally) the pairwise table in one pass.

    Parameters
    ----------
    table : pandas.DataFrame
        Tagged sentence table, or an article table from
        :func:`biaskit.aggregate.articles`. Not modified.
    options : CompareOptions, optional
        Settings (defaults of :class:`CompareOptions`).
    pairs : bool
        Also compute the pairwise table.

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> import pandas as pd
    >>> arts = pd.DataFrame({
    ...     "doc_id": ["a", "b", "c", "d"], "outlet": ["X", "X", "Y", "Y"],
    ...     "n_sentences": [10, 20, 10, 10], "n_claims": [5, 5, 2, 4]})
    >>> res = run_comparison(arts, CompareOptions(metrics=["claim_density"], n_boot=200))
    >>> res.outlets["estimate"].round(3).tolist()
    [0.333, 0.3]

    """
    options = options or CompareOptions()
    prep = _prepare(table, options)
    _run_bootstrap(prep)
    outlets = _outlet_table(prep)
    pairwise_table = _pairwise_table(prep, outlets) if pairs else None
    logger.info("compared %d %s groups on %d metrics (%d articles)", len(prep.groups),
                options.by, len(prep.metrics), len(prep.articles))
    return ComparisonResult(outlets, pairwise_table, prep.articles, prep.metrics, options)


def compare(
    table: pd.DataFrame,
    by: str = "outlet",
    metrics: Sequence[str | Metric] | str | Metric | None = None,
    *,
    strata: str | None = None,
    per_stratum: bool = False,
    n_boot: int = 2000,
    ci: CiMethod = "percentile",
    alpha: float = 0.05,
    correction: Correction = "holm",
    random_state: int | np.random.Generator | None = 0,
    min_articles: int = 30,
) -> pd.DataFrame:
    """Estimate each metric per outlet with an article-clustered bootstrap interval.

    Parameters
    ----------
    table : pandas.DataFrame
        Tagged sentence table (aggregated with
        :func:`biaskit.aggregate.articles`) or an article table. Not modified.
    by : str
        Column defining the groups (default ``"outlet"``).
    metrics : str, Metric or sequence of those, optional
        Metrics (default: every built-in, :data:`DEFAULT_METRICS`).
    strata : str, optional
        Per-article column to standardize over (see the module docs).
    per_stratum : bool
        With ``strata``, add one row per outlet × stratum × metric.
    n_boot : int
        Bootstrap replicates.
    ci : {"percentile", "bca"}
        Interval method.
    alpha : float
        The interval is a ``1 - alpha`` interval.
    correction : {"holm", "bh"}
        Only used by :func:`pairwise`; accepted here so both take one option set.
    random_state : int, numpy.random.Generator or None
        Seed of the resampling.
    min_articles : int
        Outlets with fewer articles get a warning (default 30; 0 turns it
        off). Outlets with fewer than 10 articles that have any positive for a
        metric are warned regardless.

    Returns
    -------
    pandas.DataFrame
        One row per outlet and metric with :data:`OUTLET_TABLE_COLUMNS`
        (``outlet`` holds the ``by`` value), plus ``stratum`` when stratified
        (:data:`STANDARDIZED` on standardized rows). Ordered by metric, then
        outlet name.

    Raises
    ------
    SchemaError
        Missing columns (``by``, ``strata`` or those the metrics use).
    InputError
        Unknown metric, bad option, or no stratum shared by all outlets.

    Examples
    --------
    >>> import pandas as pd
    >>> arts = pd.DataFrame({
    ...     "doc_id": ["a", "b", "c"], "outlet": ["X", "X", "Y"],
    ...     "n_sentences": [10, 30, 8], "n_claims": [5, 5, 2]})
    >>> out = compare(arts, metrics="claim_density", n_boot=100, min_articles=2)
    >>> out[["outlet", "estimate", "n_articles"]].round(3).values.tolist()
    [['X', 0.25, 2], ['Y', 0.25, 1]]

    """
    options = CompareOptions(
        by=by, metrics=_as_metric_seq(metrics), strata=strata, per_stratum=per_stratum,
        n_boot=n_boot, ci=ci, alpha=alpha, correction=correction,
        random_state=random_state, min_articles=min_articles)
    return run_comparison(table, options, pairs=False).outlets


def pairwise(
    table: pd.DataFrame,
    by: str = "outlet",
    metrics: Sequence[str | Metric] | str | Metric | None = None,
    *,
    strata: str | None = None,
    n_boot: int = 2000,
    n_perm: int = 2000,
    test: TestMethod = "permutation",
    ci: CiMethod = "percentile",
    alpha: float = 0.05,
    correction: Correction = "holm",
    random_state: int | np.random.Generator | None = 0,
    min_articles: int = 30,
) -> pd.DataFrame:
    """Compare every pair of outlets on every metric.

    Parameters
    ----------
    table : pandas.DataFrame
        Tagged sentence table or article table. Not modified.
    by, metrics, strata, n_boot, ci, alpha, random_state, min_articles
        As in :func:`compare` (with the same ``random_state`` the outlet
        estimates and resamples are the same as :func:`compare`'s).
    n_perm : int
        Permutations for ``test="permutation"``.
    test : {"permutation", "bootstrap"}
        Permutation test of article labels with a studentized statistic
        (within strata when stratified), or a test from the bootstrap
        distribution of the difference (no extra cost; use it for very large
        corpora).
    correction : {"holm", "bh"}
        Adjustment across all rows of the table (pairs × metrics).

    Returns
    -------
    pandas.DataFrame
        One row per pair (``outlet_a < outlet_b`` by name) and metric with
        :data:`biaskit.schema.PAIRWISE_COLUMNS` (plus ``stratum`` when
        stratified). ``diff = estimate_a - estimate_b``.

    Examples
    --------
    >>> import pandas as pd
    >>> arts = pd.DataFrame({
    ...     "doc_id": list("abcdef"), "outlet": list("XXXYYY"),
    ...     "n_sentences": [10] * 6, "n_claims": [5, 6, 5, 1, 2, 1]})
    >>> res = pairwise(arts, metrics="claim_density", n_boot=200, n_perm=200)
    >>> res[["outlet_a", "outlet_b", "diff"]].round(2).values.tolist()
    [['X', 'Y', 0.4]]

    """
    options = CompareOptions(
        by=by, metrics=_as_metric_seq(metrics), strata=strata, n_boot=n_boot, n_perm=n_perm,
        test=test, ci=ci, alpha=alpha, correction=correction, random_state=random_state,
        min_articles=min_articles)
    result = run_comparison(table, options, pairs=True)
    assert result.pairwise is not None
    return result.pairwise


def _as_metric_seq(metrics: Any) -> Sequence[str | Metric] | None:
    if metrics is None or isinstance(metrics, (str, Metric)):
        return None if metrics is None else (metrics,)
    return tuple(metrics)


# --------------------------------------------------------------------------- evidence


EVIDENCE_COLUMNS: tuple[str, ...] = (
    "doc_id", "outlet", "sent_id", "text", "tags", "attribution_kind", "framing_kind",
    "quoted_framing_kind", "framing_voice", "source", "source_type", "cue", "probability",
    "terms", "evidence",
)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [value]


def _evidence_terms(items: list[Any], metric: Metric) -> list[str]:
    """Words of the text behind a metric's tag (and kind), for quoting and highlighting.

    Model features (``rule`` ``feature:…``, ``probability…``: character
    n-grams, structure flags) are not words of the text and are left out.
    With a metric kind, items whose kind names it (``reported_speech+direct_quote``
    names ``direct_quote``) are preferred; if none does, all items of the tag.
    """
    spans = []
    for item in items:
        if not isinstance(item, Mapping) or (metric.tag and item.get("tag") != metric.tag):
            continue
        rule = item.get("rule") or ""
        term = item.get("term")
        if rule.startswith(("feature", "probability")) or not isinstance(term, str):
            continue
        if term.strip():
            spans.append((term, str(item.get("kind") or "").split("+")))
    if metric.kind:
        matching = [t for t, kinds in spans if metric.kind in kinds]
        if matching:
            spans = [(t, []) for t in matching]
    found: list[str] = []
    for term, _ in spans:
        if term not in found:
            found.append(term)
    return found


def evidence(
    table: pd.DataFrame,
    outlet: Any,
    metric: str | Metric,
    n: int = 20,
    *,
    by: str = "outlet",
    max_per_article: int | None = 2,
) -> pd.DataFrame:
    """Sentences behind a metric's numerator for one outlet, to quote as examples.

    Parameters
    ----------
    table : pandas.DataFrame
        Tagged sentence table. Not modified.
    outlet : any
        The outlet (value of ``by``).
    metric : str or Metric
        Built-in metric name or a :class:`Metric` with a ``sentences`` selector.
    n : int
        Maximum number of sentences returned.
    by : str
        Grouping column (default ``"outlet"``).
    max_per_article : int or None
        At most this many sentences from one article, so the examples span
        articles (``None``: no limit).

    Returns
    -------
    pandas.DataFrame
        Up to ``n`` rows with :data:`EVIDENCE_COLUMNS` (``outlet`` holds the
        ``by`` value): ``tags`` lists the tags the sentence carries,
        ``probability`` is ``p_<tag>`` of the metric's tag, ``terms`` the
        evidence terms of that tag (and kind). Ordered by ``probability``
        (most confident first), then document and sentence.

    Raises
    ------
    SchemaError
        Missing columns.
    InputError
        Unknown outlet or metric, a metric without a ``sentences`` selector,
        or ``n < 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({
    ...     "doc_id": ["d1", "d1"], "outlet": ["A", "A"], "sent_id": [0, 1],
    ...     "text": ["Prices rose, officials said.", "Share this story"],
    ...     "claim": [True, False], "attribution": [True, False], "framing": [False, False],
    ...     "attribution_kind": [["reported_speech"], []], "framing_kind": [[], ["promo"]]})
    >>> evidence(s, "A", "claim_density")["text"].tolist()
    ['Prices rose, officials said.']

    """
    check_columns(table, ["doc_id", by, "sent_id", "text", "framing_kind"],
                  table="sentence table")
    (resolved,) = resolve_metrics([metric])
    if resolved.sentences is None:
        raise InputError(f"metric {resolved.name!r} has no sentence selector; build it with "
                         "Metric(..., sentences=lambda s: <bool mask of contributing rows>)")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n: expected a positive integer, got {n!r}")
    in_group = (table[by] == outlet).fillna(False).to_numpy(dtype=bool)
    if not in_group.any():
        known = sorted(map(str, table[by].dropna().unique()))
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise InputError(f"{by} {outlet!r} not found in the sentence table; known: {shown}")
    rows = table.loc[in_group]
    try:
        mask = np.asarray(resolved.sentences(rows), dtype=bool).reshape(-1)
    except KeyError as exc:
        raise SchemaError(f"sentence table: metric {resolved.name!r} needs column "
                          f"{exc.args[0]!r}") from exc
    if len(mask) != len(rows):
        raise InputError(f"metric {resolved.name!r}: sentence selector returned {len(mask)} "
                         f"values for {len(rows)} sentences")
    chosen = rows.loc[mask]
    prob_col = f"p_{resolved.tag}" if resolved.tag else None
    if prob_col and prob_col in chosen.columns:
        prob = chosen[prob_col].astype("float64").to_numpy()
    else:
        prob = np.full(len(chosen), np.nan)
    order = np.lexsort((chosen["sent_id"].to_numpy(),
                        chosen["doc_id"].astype(str).to_numpy(),
                        -np.nan_to_num(prob, nan=-np.inf)))
    chosen, prob = chosen.iloc[order], prob[order]
    if max_per_article is not None:
        rank = chosen.groupby("doc_id", sort=False).cumcount().to_numpy()
        keep = rank < max_per_article
        chosen, prob = chosen.loc[keep], prob[keep]
    chosen, prob = chosen.iloc[:n], prob[:n]

    def col(name: str) -> list[Any]:
        if name in chosen.columns:
            return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
                    for v in chosen[name].astype(object)]
        return [None] * len(chosen)

    tags = []
    flags = {t: (chosen[t].astype("boolean").fillna(False).to_numpy(dtype=bool)
                 if t in chosen.columns else np.zeros(len(chosen), dtype=bool))
             for t in ("claim", "attribution", "framing", "quoted_framing")}
    for i in range(len(chosen)):
        tags.append([t for t, f in flags.items() if f[i]])
    ev = [_as_list(v) for v in col("evidence")]
    terms = [_evidence_terms(items, resolved) for items in ev]
    out = pd.DataFrame({
        "doc_id": col("doc_id"), "outlet": col(by), "sent_id": col("sent_id"),
        "text": col("text"), "tags": tags,
        "attribution_kind": [_as_list(v) for v in col("attribution_kind")],
        "framing_kind": [_as_list(v) for v in col("framing_kind")],
        "quoted_framing_kind": [_as_list(v) for v in col("quoted_framing_kind")],
        "framing_voice": col("framing_voice"), "source": col("source"),
        "source_type": col("source_type"), "cue": col("cue"), "probability": prob,
        "terms": terms, "evidence": ev,
    }, columns=list(EVIDENCE_COLUMNS))
    return out
