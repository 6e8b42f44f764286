"""Agreement between annotators, each annotator's habits, and position bias."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .base import Bounds, Value


@dataclass(frozen=True)
class PositionBias(Value):
    """Shares of ratings preferring the left or right response, or neither."""

    n: int
    left: float | None
    left_low: float | None
    left_high: float | None
    right: float | None
    tie: float | None
    left_of_decided: float | None
    n_decided: int = 0  # the ratings preferring a side: left_of_decided's n


@dataclass(frozen=True)
class AnnotatorRow(Value):
    annotator: str
    ratings: int
    median_seconds: float | None
    tie_share: float | None
    extreme_share: float | None
    left_share: float | None
    agreement: float | None
    n_pairs: int
    # Which annotator filter would remove the annotator (``reports.annotator_filters``;
    # the rules' thresholds are the report's options), and whether it was removed.
    named: bool = False
    below_min_agreement: bool = False
    below_min_median_seconds: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class AnnotatorExclusion(Value):
    """An annotator left out of a report, and why: by name (``rule`` "exclude",
    no threshold or value) or by a rule, with its threshold and the annotator's
    value (agreement with the others, or median seconds per pair)."""

    annotator: str
    rule: str
    threshold: float | None
    value: float | None


@dataclass(frozen=True)
class ChanceCorrected(Value):
    """Gwet's AC1/AC2 or Fleiss' kappa: observed and chance agreement."""

    coefficient: float | None
    pa: float | None
    pe: float | None
    n_units: int
    weights: str
    interval: Bounds


@dataclass(frozen=True)
class Alpha(Value):
    """Krippendorff's alpha at a level of measurement."""

    coefficient: float | None
    n_units: int
    level: str
    interval: Bounds


@dataclass(frozen=True)
class Proportion(Value):
    value: float | None
    n: int
    interval: Bounds


@dataclass(frozen=True)
class PercentAgreement(Value):
    with_ties: Proportion
    without_ties: Proportion


@dataclass(frozen=True)
class CategoryAgreement(Value):
    """Agreement on one category's pairs; each figure with its ``_interval``."""

    category: str
    ac2: float | None
    n_pairs: int
    percent_with_ties: float | None
    percent_without_ties: float | None
    ac2_interval: Bounds
    percent_with_ties_interval: Bounds
    percent_without_ties_interval: Bounds
    ac1_outcomes: float | None
    ac1_outcomes_interval: Bounds
    fleiss_kappa_outcomes: float | None
    fleiss_kappa_outcomes_interval: Bounds
    alpha_ordinal: float | None
    alpha_ordinal_interval: Bounds
    alpha_nominal: float | None
    alpha_nominal_interval: Bounds


@dataclass(frozen=True)
class CohenKappaRow(Value):
    rater_a: str
    rater_b: str
    n: int
    agreement: float | None
    kappa: float | None
    kappa_interval: Bounds


@dataclass(frozen=True)
class KappaSummary(Value):
    """Median and quartiles of the pairwise Cohen's kappas (linear interpolation)."""

    n_pairs: int
    median: float | None
    q1: float | None
    q3: float | None


@dataclass(frozen=True)
class Agreement(Value):
    """Agreement on candidate-view scores and on their outcomes.

    ``ac2`` has the options' weights; ``ac2_all_weights`` maps every weighting to
    its AC2. Every ``interval`` is a percentile bootstrap over prompts
    (``Definitions.agreement_interval``).
    """

    ac2: ChanceCorrected
    ac2_all_weights: Mapping[str, ChanceCorrected]
    ac1_scores: ChanceCorrected
    ac1_outcomes: ChanceCorrected
    fleiss_kappa_outcomes: ChanceCorrected
    krippendorff_alpha: Alpha
    krippendorff_alpha_nominal: Alpha
    percent: PercentAgreement
    by_category: tuple[CategoryAgreement, ...]
    cohen_kappa: tuple[CohenKappaRow, ...]
    cohen_kappa_summary: KappaSummary
