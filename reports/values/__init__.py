"""A report as typed values: the frozen dataclasses every reader of a report uses.

``reports.report_builder`` makes them; the views, the API, the downloads, the
figures and the templates read their attributes. ``Report.to_json()`` is the
report's JSON (the API's body and ``report.json``): fields in order, tuples as
lists, missing numbers as null; the fields named in ``OMIT_NONE`` are left out
when they are None (a tournament has no headline, a head-to-head no tournament).
Pure Python: no Django, no pandas.
"""

from .agreement import (
    Agreement,
    Alpha,
    AnnotatorExclusion,
    AnnotatorRow,
    CategoryAgreement,
    ChanceCorrected,
    CohenKappaRow,
    KappaSummary,
    PercentAgreement,
    PositionBias,
    Proportion,
)
from .base import Bounds, Value, plain
from .judges import (
    AgreementBreakdowns,
    AgreementRow,
    ConfusionMatrix,
    JudgeDefinitions,
    JudgementCounts,
    JudgeReport,
    JudgeReports,
    JudgeSummary,
    PositionConsistency,
    TieRates,
)
from .report import (
    Definitions,
    EvaluationSummary,
    ExcludedPair,
    FlagReviews,
    Metadata,
    Report,
    Stopping,
)
from .shares import (
    BreakdownRow,
    Breakdowns,
    DesignEffect,
    Headline,
    PromptCounts,
    QuintileEdge,
    SequenceBounds,
    ShareBounds,
    ShareDesignEffects,
)
from .tournament import (
    LeaderboardRow,
    PairResult,
    Tournament,
    TournamentMethod,
    WinMatrix,
)
from .warnings import ReportWarning

__all__ = [
    "Agreement",
    "AgreementBreakdowns",
    "AgreementRow",
    "Alpha",
    "AnnotatorExclusion",
    "AnnotatorRow",
    "Bounds",
    "BreakdownRow",
    "Breakdowns",
    "CategoryAgreement",
    "ChanceCorrected",
    "CohenKappaRow",
    "ConfusionMatrix",
    "Definitions",
    "DesignEffect",
    "EvaluationSummary",
    "ExcludedPair",
    "FlagReviews",
    "Headline",
    "JudgeDefinitions",
    "JudgeReport",
    "JudgeReports",
    "JudgeSummary",
    "JudgementCounts",
    "KappaSummary",
    "LeaderboardRow",
    "Metadata",
    "PairResult",
    "PercentAgreement",
    "PositionBias",
    "PositionConsistency",
    "PromptCounts",
    "Proportion",
    "QuintileEdge",
    "Report",
    "ReportWarning",
    "SequenceBounds",
    "ShareBounds",
    "ShareDesignEffects",
    "Stopping",
    "TieRates",
    "Tournament",
    "TournamentMethod",
    "Value",
    "WinMatrix",
    "plain",
]
