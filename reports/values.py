"""A report as typed values: the frozen dataclasses every reader of a report uses.

``reports.report_builder`` makes them; the views, the API, the downloads, the
figures and the templates read their attributes. ``Report.to_json()`` is the
report's JSON (the API's body and ``report.json``): fields in order, tuples as
lists, missing numbers as null; the fields named in ``OMIT_NONE`` are left out
when they are None (a tournament has no headline, a head-to-head no tournament).
Pure Python: no Django, no pandas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar

from .report_options import ReportOptions

Bounds = tuple[float | None, float | None]  # an interval's low and high


def plain(value: Any) -> Any:
    """JSON-ready data of a value: dataclasses as dicts, tuples as lists, NaN as None."""
    if isinstance(value, Value):
        return value.to_json()
    if is_dataclass(value):
        return {item.name: plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Value:
    """Base of the report's dataclasses: their JSON, field by field."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()

    def to_json(self) -> dict[str, Any]:
        data = {}
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is None and item.name in self.OMIT_NONE:
                continue
            data[item.name] = plain(value)
        return data


@dataclass(frozen=True)
class ShareBounds(Value):
    """An interval (low, high) for each share."""

    win: Bounds
    tie: Bounds
    loss: Bounds
    win_no_ties: Bounds


@dataclass(frozen=True)
class Headline(Value):
    """Win, tie and loss shares over all outcomes, with both kinds of interval.

    ``interval`` is the one the options chose. Shares are None without outcomes;
    the counts are None then too (and left out of the JSON, as they always were).
    """

    OMIT_NONE = frozenset({"wins", "ties", "losses"})

    win: float | None
    tie: float | None
    loss: float | None
    win_no_ties: float | None
    n: int
    wins: int | None
    ties: int | None
    losses: int | None
    bootstrap: ShareBounds
    wilson: ShareBounds
    interval: ShareBounds
    n_prompts: int
    n_pairs: int
    n_ratings: int
    rule: str

    def bounds(self, share: str) -> Bounds:
        """The chosen interval of one share ("win", "tie", "loss", "win_no_ties")."""
        return getattr(self.interval, share)


@dataclass(frozen=True)
class BreakdownRow(Value):
    """Shares and interval bounds of one group of a breakdown (a category, ...)."""

    group: str | int
    n_prompts: int
    win: float | None
    tie: float | None
    loss: float | None
    win_no_ties: float | None
    n: int
    wins: int
    ties: int
    losses: int
    win_low: float | None
    win_high: float | None
    tie_low: float | None
    tie_high: float | None
    loss_low: float | None
    loss_high: float | None
    win_no_ties_low: float | None
    win_no_ties_high: float | None

    def bounds(self, share: str) -> Bounds:
        return (getattr(self, f"{share}_low"), getattr(self, f"{share}_high"))


@dataclass(frozen=True)
class Breakdowns(Value):
    """The breakdowns of a head-to-head report, one table each."""

    category: tuple[BreakdownRow, ...]
    turns: tuple[BreakdownRow, ...]
    turn_kind: tuple[BreakdownRow, ...]
    quintile: tuple[BreakdownRow, ...]
    collection_method: tuple[BreakdownRow, ...]

    def sections(self) -> list[tuple[str, tuple[BreakdownRow, ...]]]:
        """(name, rows) of every breakdown, in order."""
        return [(item.name, getattr(self, item.name)) for item in fields(self)]

    def section(self, name: str) -> tuple[BreakdownRow, ...]:
        """The rows of one breakdown; KeyError for an unknown name."""
        if name not in {item.name for item in fields(self)}:
            raise KeyError(name)
        return getattr(self, name)


@dataclass(frozen=True)
class QuintileEdge(Value):
    """The words of the shortest and longest pair in one word-count quintile."""

    quintile: int
    min_words: int
    max_words: int
    n: int


@dataclass(frozen=True)
class PromptCounts(Value):
    prompts: int
    single_turn: int
    multi_turn: int


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


@dataclass(frozen=True)
class ChanceCorrected(Value):
    """Gwet's AC1/AC2 or Fleiss' kappa: observed and chance agreement."""

    coefficient: float | None
    pa: float | None
    pe: float | None
    n_units: int
    weights: str


@dataclass(frozen=True)
class Alpha(Value):
    """Krippendorff's alpha at a level of measurement."""

    coefficient: float | None
    n_units: int
    level: str


@dataclass(frozen=True)
class Proportion(Value):
    value: float | None
    n: int


@dataclass(frozen=True)
class PercentAgreement(Value):
    with_ties: Proportion
    without_ties: Proportion


@dataclass(frozen=True)
class CategoryAgreement(Value):
    category: str
    ac2: float | None
    n_pairs: int
    percent_with_ties: float | None
    percent_without_ties: float | None


@dataclass(frozen=True)
class CohenKappaRow(Value):
    rater_a: str
    rater_b: str
    n: int
    agreement: float | None
    kappa: float | None


@dataclass(frozen=True)
class Agreement(Value):
    """Agreement on candidate-view scores and on their outcomes.

    ``ac2`` has the options' weights; ``ac2_all_weights`` maps every weighting to
    its AC2.
    """

    ac2: ChanceCorrected
    ac2_all_weights: Mapping[str, ChanceCorrected]
    ac1_scores: ChanceCorrected
    ac1_outcomes: ChanceCorrected
    fleiss_kappa_outcomes: ChanceCorrected
    krippendorff_alpha: Alpha
    percent: PercentAgreement
    by_category: tuple[CategoryAgreement, ...]
    cohen_kappa: tuple[CohenKappaRow, ...]


@dataclass(frozen=True)
class LeaderboardRow(Value):
    model: str
    score: float | None
    low: float | None
    high: float | None
    rank: int
    wins: int
    ties: int
    losses: int
    matches: int


@dataclass(frozen=True)
class WinMatrix(Value):
    """Share of the row model's matches against the column model that it won."""

    columns: tuple[str, ...]
    index: tuple[str, ...]
    data: tuple[tuple[float | None, ...], ...]

    def rows(self) -> list[tuple[str, tuple[float | None, ...]]]:
        """(row model, its shares against every column model)."""
        return list(zip(self.index, self.data, strict=True))


@dataclass(frozen=True)
class Tournament(Value):
    leaderboard: tuple[LeaderboardRow, ...]
    method: str
    win_matrix: WinMatrix
    n_outcomes: int


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


@dataclass(frozen=True)
class Metadata(Value):
    evaluation: EvaluationSummary
    options: ReportOptions
    definitions: Definitions
    data_sha256: str
    software: Mapping[str, str]
    generated_at: datetime


@dataclass(frozen=True)
class Report(Value):
    """The whole report of one evaluation.

    A head-to-head report has ``headline``, ``quintile_edges`` and
    ``breakdowns``; a tournament's has ``tournament`` instead.
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

    @property
    def is_tournament(self) -> bool:
        return self.tournament is not None
