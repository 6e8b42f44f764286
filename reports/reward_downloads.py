"""The reward-model report's tables as CSV files, spreadsheet-safe like every
download (``downloads.csv_bytes``)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .downloads import csv_bytes
from .values.reward import RewardReport


def _accuracy(rows) -> pd.DataFrame:
    """Long form: one line per reward model, basis and group."""
    return pd.DataFrame(
        [
            {"reward_model": row.reward_model, "basis": row.basis, **cell.to_json()}
            for row in rows
            for cell in row.cells
        ],
        columns=["reward_model", "basis", "group", "n", "correct", "accuracy",
                 "missing"],
    )  # fmt: skip


def _plain(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([row.to_json() for row in rows], columns=columns)


def _recall(report: RewardReport) -> pd.DataFrame:
    frame = _plain(report.recall, ["reward_model", "basis", "unsafe", "flagged",
                                   "recall", "missing"])  # fmt: skip
    frame.insert(2, "threshold", report.options.threshold)
    return frame


TABLES: dict[str, Callable[[RewardReport], pd.DataFrame]] = {
    "accuracy.csv": lambda report: _accuracy(report.accuracy),
    "safety.csv": lambda report: _accuracy(report.safety),
    "recall.csv": _recall,
    "histogram.csv": lambda report: _plain(
        report.histogram, ["reward_model", "group", "low", "high", "count"]
    ),
    "likert.csv": lambda report: _plain(
        report.likert, ["reward_model", "rating", "n", "mean", "sd"]
    ),
}


def reward_csv(report: RewardReport, name: str) -> bytes:
    """The named table as CSV (rows end with CRLF); KeyError for an unknown name."""
    return csv_bytes(TABLES[name](report))
