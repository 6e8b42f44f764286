"""Batch statistics of preference data (Llama 2, Table 26 and Figure 25), pure."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

STRENGTHS = (4, 3, 2, 1)
BATCH_COLUMNS = [
    "batch", "comparisons", "turns_per_dialogue", "tokens_per_example",
    "tokens_per_prompt", "tokens_per_response", "share_4", "share_3", "share_2",
    "share_1",
]  # fmt: skip


def iso_weeks(created_at: pd.Series) -> np.ndarray:
    """The ISO week of each (UTC) time as ``YYYY-Www``, e.g. ``2026-W05``.

    Computed once per distinct day, so a million ratings cost a few hundred
    calendar look-ups.
    """
    days = pd.to_datetime(created_at, utc=True).dt.tz_convert(None)
    day_values = days.to_numpy(dtype="datetime64[D]")
    unique, inverse = np.unique(day_values, return_inverse=True)
    calendar = pd.DatetimeIndex(unique).isocalendar()
    labels = np.array(
        [f"{year:04d}-W{week:02d}" for year, week in
         zip(calendar["year"], calendar["week"], strict=True)],
        dtype=object,
    )  # fmt: skip
    return labels[inverse.reshape(-1)]


def natural_key(label: str) -> tuple:
    """Sorts "batch 2" before "batch 10": runs of digits compare as numbers."""
    return tuple(
        (0, int(part), "") if part.isdecimal() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", label)
        if part
    )


def batch_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 26: one row per batch, batches in natural order of their labels.

    ``rows``: one row per comparison with ``batch`` (its label), ``strength`` (4 to
    1), ``num_turns``, ``prompt_tokens`` and ``response_tokens`` (numbers; the
    tokens of the dialogue and of the response in one example).

    Returns ``BATCH_COLUMNS``: ``comparisons`` (rows), the means of ``num_turns``
    (``turns_per_dialogue``), of prompt plus response tokens
    (``tokens_per_example``), of ``prompt_tokens`` and of ``response_tokens``, and
    ``share_4`` to ``share_1``: the share of rows with each strength.
    """
    labels, codes = _ordered_codes(rows["batch"])
    return _summary(labels, codes, rows)


def total_row(rows: pd.DataFrame, label: str = "Total") -> pd.DataFrame:
    """``batch_table`` of all rows as one batch named ``label``."""
    return _summary([label], np.zeros(len(rows), dtype=np.int64), rows)


def _ordered_codes(batches: pd.Series) -> tuple[list[str], np.ndarray]:
    codes, uniques = pd.factorize(batches, sort=False)
    labels = [str(label) for label in uniques]
    order = sorted(range(len(labels)), key=lambda k: natural_key(labels[k]))
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return [labels[k] for k in order], rank[codes] if len(codes) else codes


def _summary(labels: list[str], codes: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
    size = len(labels)
    counts = np.bincount(codes, minlength=size).astype(np.int64)
    prompt = rows["prompt_tokens"].to_numpy(dtype=float)
    response = rows["response_tokens"].to_numpy(dtype=float)

    def mean(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(codes, weights=values, minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / counts

    table = {
        "batch": labels,
        "comparisons": counts,
        "turns_per_dialogue": mean(rows["num_turns"].to_numpy(dtype=float)),
        "tokens_per_example": mean(prompt + response),
        "tokens_per_prompt": mean(prompt),
        "tokens_per_response": mean(response),
    }
    strength = rows["strength"].to_numpy()
    for value in STRENGTHS:
        table[f"share_{value}"] = mean((strength == value).astype(float))
    return pd.DataFrame(table, columns=BATCH_COLUMNS)
