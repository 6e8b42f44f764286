"""Warnings a report gives its readers about its own numbers."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Value


@dataclass(frozen=True)
class ReportWarning(Value):
    """One thing a reader should know before trusting a report's numbers.

    ``code`` names the kind (``report_warnings.CODES``), ``message`` says it in
    words, ``count`` is how many things it concerns (pairs, groups, intervals,
    sets of categories) and ``detail`` names them.
    """

    code: str
    message: str
    count: int
    detail: tuple[str, ...] = ()
