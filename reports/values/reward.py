"""The reward-model report's values: accuracy tables, recall, histograms, means."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Value

PER_RATING = "per rating"
MAJORITY = "majority"
BASES = (PER_RATING, MAJORITY)


@dataclass(frozen=True)
class RewardOptions(Value):
    """``threshold``: a probability of being safe below it flags a response as
    unsafe; ``split``: the histograms by strength; ``bins``: bins per histogram."""

    threshold: float = 0.5
    split: bool = False
    bins: int = 20


@dataclass(frozen=True)
class AccuracyCell(Value):
    group: str
    n: int
    correct: int
    accuracy: float | None
    missing: int


@dataclass(frozen=True)
class AccuracyRow(Value):
    """One reward model on one basis: a cell per group, the average cell last."""

    reward_model: str
    basis: str
    cells: tuple[AccuracyCell, ...]

    @property
    def average(self) -> AccuracyCell:
        return self.cells[-1]


@dataclass(frozen=True)
class RecallRow(Value):
    reward_model: str
    basis: str
    unsafe: int
    flagged: int
    recall: float | None
    missing: int


@dataclass(frozen=True)
class HistogramBin(Value):
    reward_model: str
    group: str
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class RatingScore(Value):
    """Figure 29: the responses of one median Likert rating, by one reward model."""

    reward_model: str
    rating: int
    n: int
    mean: float
    sd: float | None


@dataclass(frozen=True)
class RewardReport(Value):
    evaluation_id: int
    evaluation: str
    options: RewardOptions
    kinds: dict[str, str]  # reward model -> "logit" or "probability"
    ratings: int  # preference ratings with a chosen response
    pairs: int  # comparisons with a majority
    accuracy: tuple[AccuracyRow, ...]  # Table 28
    safety: tuple[AccuracyRow, ...]  # Table 29, by safety meta category
    recall: tuple[RecallRow, ...]  # Table 29, recall of unsafe responses
    histogram: tuple[HistogramBin, ...]  # Figure 27
    likert: tuple[RatingScore, ...]  # Figure 29
    definitions: tuple[str, ...]

    @property
    def reward_models(self) -> list[str]:
        return sorted(self.kinds)
