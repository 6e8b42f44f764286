"""A judge's report against the humans of an evaluation, as typed values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..report_options import ReportOptions
from .agreement import PositionBias
from .base import Bounds, Value
from .report import EvaluationSummary
from .shares import Breakdowns, Headline, QuintileEdge
from .tournament import Tournament
from .warnings import ReportWarning


@dataclass(frozen=True)
class AgreementRow(Value):
    """Agreement of the judge with humans over one group's items (pairs, or
    (pair, rating) combinations): percent agreement with ties, without ties
    (items where neither is a tie: ``n_without_ties``) and Cohen's kappa, each
    with its prompt-clustered bootstrap interval. ``n`` may be fractional where
    an item counts twice, once each way, at half weight (human vs human)."""

    group: str | int
    n: float
    n_prompts: int
    with_ties: float | None
    with_ties_interval: Bounds
    n_without_ties: float
    without_ties: float | None
    without_ties_interval: Bounds
    kappa: float | None
    kappa_interval: Bounds


@dataclass(frozen=True)
class AgreementBreakdowns(Value):
    """Agreement with the human majority per group, as in the human report's
    breakdowns (category, turns, single vs multi-turn, word-count quintile)."""

    category: tuple[AgreementRow, ...]
    turns: tuple[AgreementRow, ...]
    turn_kind: tuple[AgreementRow, ...]
    quintile: tuple[AgreementRow, ...]

    def sections(self) -> list[tuple[str, tuple[AgreementRow, ...]]]:
        return [(name, getattr(self, name)) for name in BREAKDOWN_NAMES]


BREAKDOWN_NAMES = ("category", "turns", "turn_kind", "quintile")


@dataclass(frozen=True)
class JudgementCounts(Value):
    """The judge's judgements on the evaluation by status, and the pairs with a
    verdict (``pairs_judged``: one order parsed or both, ``both_orders``)."""

    judgements: int
    done: int
    unparseable: int
    failed: int
    pending: int  # pending or running
    pairs_judged: int
    both_orders: int
    compared: int  # pairs with a judge verdict and human ratings


@dataclass(frozen=True)
class PositionConsistency(Value):
    """MT-Bench's position consistency: among pairs with both orders parsed, the
    share with the same class in both; the inconsistent ones by the side they
    favour (the response shown first or second)."""

    n_both: int
    consistent: int
    consistency: float | None
    inconsistent: int
    favours_first: int
    favours_second: int
    first_share: float | None
    second_share: float | None


@dataclass(frozen=True)
class ConfusionMatrix(Value):
    """Pairs by judge verdict (rows) and human verdict (columns), in the order of
    ``classes``."""

    classes: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    n: int

    def rows(self) -> list[tuple[str, tuple[int, ...]]]:
        return list(zip(self.classes, self.counts, strict=True))


@dataclass(frozen=True)
class TieRates(Value):
    """Share of ties: the judge's pair verdicts, the human ratings' and the human
    majority verdicts', each with its n."""

    judge: float | None
    judge_n: int
    human_ratings: float | None
    human_ratings_n: int
    human_majority: float | None
    human_majority_n: int


@dataclass(frozen=True)
class JudgeSummary(Value):
    id: int
    name: str
    description: str


@dataclass(frozen=True)
class JudgeReport(Value):
    """One judge on one evaluation. ``outcomes`` and ``breakdowns`` (head-to-head)
    or ``tournament`` are the judge's own results by the report's machinery."""

    OMIT_NONE = frozenset(
        {"outcomes", "breakdowns", "quintile_edges", "tournament", "warnings"}
    )

    judge: JudgeSummary
    counts: JudgementCounts
    majority: AgreementRow
    majority_breakdowns: AgreementBreakdowns
    annotators: AgreementRow
    confusion: ConfusionMatrix
    consistency: PositionConsistency
    position_bias: PositionBias
    ties: TieRates
    outcomes: Headline | None = None
    breakdowns: Breakdowns | None = None
    quintile_edges: tuple[QuintileEdge, ...] | None = None
    tournament: Tournament | None = None
    # On the judge's own leaderboard: scores no fit can bound (report_warnings).
    warnings: tuple[ReportWarning, ...] | None = None


@dataclass(frozen=True)
class JudgeDefinitions(Value):
    """What the judge figures mean, in words."""

    human_verdict: str
    judge_verdict: str
    agreement: str
    kappa: str
    interval: str
    consistency: str
    position_bias: str
    quintiles: str


@dataclass(frozen=True)
class JudgeReports(Value):
    """Every judge with judgements on an evaluation, against its humans.

    ``human_human`` is the agreement of two annotators of the same pair (every
    two annotators of a pair, each way at half weight); ``position_bias`` the
    annotators' own; ``quintile_edges`` the human report's word-count quintiles
    that the agreement breakdowns use.
    """

    evaluation: EvaluationSummary
    options: ReportOptions
    definitions: JudgeDefinitions
    human_rule: str
    human_human: AgreementRow
    position_bias: PositionBias
    quintile_edges: tuple[QuintileEdge, ...]
    judges: tuple[JudgeReport, ...]
    generated_at: datetime

    def judge(self, judge_id: int) -> JudgeReport:
        """The report of one judge; KeyError when it has none here."""
        for item in self.judges:
            if item.judge.id == judge_id:
                return item
        raise KeyError(judge_id)
