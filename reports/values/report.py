"""The whole report and its metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..report_options import ReportOptions
from .agreement import Agreement, AnnotatorExclusion, AnnotatorRow, PositionBias
from .base import Value
from .shares import Breakdowns, Headline, PromptCounts, QuintileEdge
from .tournament import Tournament
from .warnings import ReportWarning


@dataclass(frozen=True)
class Stopping(Value):
    """The evaluation's stopping rule (docs/sequential.md) and, once it was met,
    when, after how many complete pairs and why."""

    rule: str = "none"
    width: float | None = None
    min_pairs: int = 0
    stopped_at: datetime | None = None
    pairs: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class EvaluationSummary(Value):
    """The evaluation's descriptive fields, as the report states them."""

    id: int
    name: str
    kind: str
    scale: str
    prompt_set: str
    candidate: str | None
    baseline: str | None
    annotators_per_pair: int
    source: str
    left_out: Mapping[str, Any]
    stopping: Stopping = Stopping()

    @property
    def is_tournament(self) -> bool:
        return self.kind == "tournament"


@dataclass(frozen=True)
class Definitions(Value):
    """What the report's numbers mean, in words, for its readers."""

    outcome: str
    aggregation: str
    aggregation_rule: str
    threshold: int
    win_no_ties: str
    interval: str
    resamples: int
    seed: int
    agreement_weights: str
    scale_points: tuple[int, ...]
    percent_agreement: str
    quintiles: str
    cohen_kappa: str
    position_bias: str
    agreement_interval: str
    tournament_model: str | None = None  # the model fitted, in a tournament
    sequence: str | None = None  # the always-valid sequence, head-to-head only


@dataclass(frozen=True)
class ExcludedPair(Value):
    comparison_id: int
    prompt_external_id: str


@dataclass(frozen=True)
class FlagReviews(Value):
    """Pairs by the action of their latest flag review; the excluded pairs (left
    out of every figure) by id."""

    excluded: int = 0
    kept: int = 0
    reopened: int = 0
    excluded_pairs: tuple[ExcludedPair, ...] = ()


@dataclass(frozen=True)
class Metadata(Value):
    evaluation: EvaluationSummary
    options: ReportOptions
    definitions: Definitions
    data_sha256: str
    software: Mapping[str, str]
    generated_at: datetime
    exclusions: tuple[AnnotatorExclusion, ...] = ()  # annotators left out, and why
    flag_reviews: FlagReviews = FlagReviews()


@dataclass(frozen=True)
class Report(Value):
    """The whole report of one evaluation.

    A head-to-head report has ``headline``, ``quintile_edges`` and
    ``breakdowns``; a tournament's has ``tournament`` instead. ``warnings``
    (``reports.report_warnings``) say what a reader should know before trusting
    the numbers.
    """

    OMIT_NONE = frozenset({"headline", "quintile_edges", "breakdowns", "tournament"})

    metadata: Metadata
    prompt_counts: PromptCounts
    position_bias: PositionBias
    annotators: tuple[AnnotatorRow, ...]
    agreement: Agreement
    headline: Headline | None = None
    quintile_edges: tuple[QuintileEdge, ...] | None = None
    breakdowns: Breakdowns | None = None
    tournament: Tournament | None = None
    warnings: tuple[ReportWarning, ...] = ()

    @property
    def is_tournament(self) -> bool:
        return self.tournament is not None
