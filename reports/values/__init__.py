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
from .report import Definitions, EvaluationSummary, Metadata, Report
from .shares import (
    BreakdownRow,
    Breakdowns,
    Headline,
    PromptCounts,
    QuintileEdge,
    ShareBounds,
)
from .tournament import LeaderboardRow, Tournament, WinMatrix

__all__ = [
    "Agreement",
    "Alpha",
    "AnnotatorRow",
    "Bounds",
    "BreakdownRow",
    "Breakdowns",
    "CategoryAgreement",
    "ChanceCorrected",
    "CohenKappaRow",
    "Definitions",
    "EvaluationSummary",
    "Headline",
    "KappaSummary",
    "LeaderboardRow",
    "Metadata",
    "PercentAgreement",
    "PositionBias",
    "PromptCounts",
    "Proportion",
    "QuintileEdge",
    "Report",
    "ShareBounds",
    "Tournament",
    "Value",
    "WinMatrix",
    "plain",
]
