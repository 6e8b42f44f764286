"""A judge against humans: pair verdicts, agreement, position consistency and bias.

Classes are outcomes from the candidate's point of view (``outcomes.WIN``,
``TIE``, ``LOSS``). A judge's verdict on a pair follows MT-Bench (Zheng et al.
2023, "swapping positions"): with one order judged, that order's class; with both orders
judged, their class when they agree, a tie when they do not.

Agreement of two raters over items (pairs, or (pair, rating) combinations) is
read from their 3 x 3 table of classes (rows the first rater, columns the second,
in the order win, tie, loss): percent agreement with ties (the diagonal's share),
without ties (among items where neither is a tie: win-win and loss-loss over the
four decided cells) and Cohen's kappa (Cohen 1960: (po - pe) / (1 - pe), pe from
the two margins; undefined, NaN, when pe is 1). Intervals resample prompts with
replacement (``agreement_bootstrap.prompt_weights``: the same draws as the
report's agreement intervals), percentile method. Pure numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .agreement_bootstrap import AGREEMENT_RESAMPLES, percentile_bounds, prompt_weights
from .outcomes import LOSS, TIE, WIN, outcome_of

CLASSES = (WIN, TIE, LOSS)  # the order of a table's rows and columns
CLASS_NAMES = ("win", "tie", "loss")
FIGURES = ("with_ties", "without_ties", "kappa")

# A prompt-clustered interval needs at least this many prompts (clusters).
MIN_INTERVAL_PROMPTS = 2


def judge_verdicts(judgements: pd.DataFrame, threshold: float = 1) -> pd.DataFrame:
    """One verdict per comparison from a judge's parsed judgements (MT-Bench's rule).

    Expects one row per parsed judgement (status done) with ``comparison_id``,
    ``swapped``, ``choice`` (as shown: positive prefers Model A, the first shown)
    and ``score`` (the candidate's view). An order's class is
    ``outcome_of(score, threshold)``. Returns, sorted by comparison,
    ``comparison_id``, ``verdict`` (the pair's class), ``n_orders`` (1 or 2),
    ``consistent`` (both orders the same class; True with one order) and ``lean``:
    with both orders, the sum of the two orders' classes as shown (1 for Model A,
    -1 for Model B): 0 when consistent, positive when the inconsistent verdicts
    favour the response shown first, negative the second; 0 with one order.
    """
    columns = ["comparison_id", "verdict", "n_orders", "consistent", "lean"]
    if judgements.empty:
        return pd.DataFrame(columns=columns).astype(
            {"verdict": int, "n_orders": int, "consistent": bool, "lean": int}
        )
    frame = pd.DataFrame(
        {
            "comparison_id": judgements["comparison_id"].to_numpy(),
            "cls": outcome_of(judgements["score"], threshold),
            "shown": outcome_of(judgements["choice"], threshold),
        }
    )
    grouped = frame.groupby("comparison_id", sort=True)
    low, high = grouped["cls"].min(), grouped["cls"].max()
    n_orders = grouped.size()
    consistent = (low == high).to_numpy()
    lean = np.where(n_orders > 1, grouped["shown"].sum(), 0)
    return pd.DataFrame(
        {
            "comparison_id": low.index.to_numpy(),
            "verdict": np.where(consistent, low.to_numpy(), TIE),
            "n_orders": n_orders.to_numpy(),
            "consistent": consistent,
            "lean": np.where(consistent, 0, lean),
        }
    )


def position_consistency(verdicts: pd.DataFrame) -> dict[str, float | int]:
    """MT-Bench's position consistency from ``judge_verdicts``' rows.

    Among pairs judged in both orders: ``n_both``, ``consistent`` (same class in
    both) and its share ``consistency``; among the ``inconsistent`` ones, how many
    favour the response shown first (``favours_first``, share ``first_share``) and
    the second (``favours_second``, ``second_share``). Shares are NaN without pairs.
    """
    both = verdicts[verdicts["n_orders"] > 1]
    n = len(both)
    consistent = int(both["consistent"].sum())
    inconsistent = n - consistent
    lean = both["lean"].to_numpy()
    first, second = int((lean > 0).sum()), int((lean < 0).sum())
    nan = float("nan")
    return {
        "n_both": n,
        "consistent": consistent,
        "consistency": consistent / n if n else nan,
        "inconsistent": inconsistent,
        "favours_first": first,
        "favours_second": second,
        "first_share": first / inconsistent if inconsistent else nan,
        "second_share": second / inconsistent if inconsistent else nan,
    }


def _cells(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cell of each item in the flattened 3 x 3 table (win, tie, loss order)."""
    return (WIN - np.asarray(first, dtype=int)) * 3 + (
        WIN - np.asarray(second, dtype=int)
    )


def confusion_matrix(first: Sequence[int], second: Sequence[int]) -> np.ndarray:
    """3 x 3 counts of the items' classes: rows ``first`` (win, tie, loss), columns
    ``second`` in the same order."""
    first, second = np.asarray(first), np.asarray(second)
    if len(first) != len(second):
        raise ValueError("both raters need a class for every item")
    counts = np.bincount(_cells(first, second), minlength=9)
    return counts.reshape(3, 3)


def table_figures(tables: np.ndarray) -> dict[str, np.ndarray]:
    """Agreement figures of 3 x 3 tables (any leading shape, last axis the 9 cells
    row by row, or the last two axes 3 x 3): ``n``, ``with_ties``,
    ``n_without_ties``, ``without_ties`` and ``kappa``; NaN where undefined."""
    t = np.asarray(tables, dtype=float)
    t = t.reshape(*t.shape[:-1], 3, 3) if t.shape[-1] == 9 else t
    n = t.sum(axis=(-2, -1))
    agree = np.trace(t, axis1=-2, axis2=-1)
    rows, columns = t.sum(axis=-1), t.sum(axis=-2)
    decided = t[..., ::2, ::2]  # win and loss only
    n_decided = decided.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        po = agree / n
        pe = (rows * columns).sum(axis=-1) / (n * n)
        kappa = np.where((n > 0) & (pe < 1), (po - pe) / (1 - pe), np.nan)
        without = np.trace(decided, axis1=-2, axis2=-1) / n_decided
    return {
        "n": n,
        "with_ties": np.where(n > 0, po, np.nan),
        "n_without_ties": n_decided,
        "without_ties": np.where(n_decided > 0, without, np.nan),
        "kappa": kappa,
    }


@dataclass(frozen=True)
class TableAgreement:
    """One group's agreement: its counts and figures, each with (low, high)."""

    n: float
    n_prompts: int
    n_without_ties: float
    table: np.ndarray  # 3 x 3
    figures: dict[str, float]
    bounds: dict[str, tuple[float, float]]


def agreement_with_intervals(
    prompts: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    groups: Sequence[np.ndarray] | None = None,
    *,
    weights: np.ndarray | None = None,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[TableAgreement]:
    """Agreement of two raters' classes over items, per group, with intervals.

    ``prompts`` holds each item's prompt (any labels); ``first`` and ``second`` the
    two raters' classes; ``groups`` arrays of item positions (default: all items,
    one group); ``weights`` each item's weight (default 1: an item counted twice,
    once each way, weighs a half). Every group's figures come from the same
    resamples of all the items' prompts (``prompt_weights``; resamples above
    ``AGREEMENT_RESAMPLES`` count as that many); a resample without items of a
    group is left out of that group's percentiles. A group whose items come from
    fewer than two prompts has no interval (NaN bounds): every resample that
    draws its one prompt gives the same figure, and a zero-width interval would
    claim a certainty one prompt cannot give.
    """
    codes, labels = pd.factorize(pd.Series(np.asarray(prompts)), sort=True)
    groups = [np.arange(len(codes))] if groups is None else list(groups)
    weight = np.ones(len(codes)) if weights is None else np.asarray(weights, float)
    cells = _cells(first, second)
    n_groups, n_prompts = len(groups), len(labels)
    rows = np.concatenate([cells[g] + 9 * k for k, g in enumerate(groups)] or [[]])
    columns = np.concatenate([codes[g] for g in groups] or [[]])
    data = np.concatenate([weight[g] for g in groups] or [[]])
    design = sparse.csr_matrix(
        (data.astype(np.float32), (rows.astype(int), columns.astype(int))),
        shape=(9 * n_groups, max(n_prompts, 1)),
    )
    tables = np.asarray(design.sum(axis=1), dtype=float).reshape(n_groups, 9)
    figures = table_figures(tables)
    resamples = min(resamples, AGREEMENT_RESAMPLES)
    draws = np.full((len(FIGURES), n_groups, max(resamples, 0)), np.nan)
    if n_prompts and resamples > 0:
        start = 0
        for chunk in prompt_weights(n_prompts, resamples, seed, columns=9 * n_groups):
            totals = (design @ chunk).reshape(n_groups, 9, -1)
            drawn = table_figures(np.moveaxis(totals, 1, -1))
            stop = start + chunk.shape[1]
            for f, name in enumerate(FIGURES):
                draws[f, :, start:stop] = drawn[name]
            start = stop
        low, high = percentile_bounds(draws.reshape(-1, resamples), level)
        low = low.reshape(len(FIGURES), n_groups)
        high = high.reshape(len(FIGURES), n_groups)
    else:
        low = high = np.full((len(FIGURES), n_groups), np.nan)
    group_prompts = [len(np.unique(codes[g])) for g in groups]
    for k, count in enumerate(group_prompts):
        if count < MIN_INTERVAL_PROMPTS:
            low[:, k] = high[:, k] = np.nan
    return [
        TableAgreement(
            n=float(figures["n"][k]),
            n_prompts=group_prompts[k],
            n_without_ties=float(figures["n_without_ties"][k]),
            table=tables[k].reshape(3, 3),
            figures={name: float(figures[name][k]) for name in FIGURES},
            bounds={
                name: (float(low[f, k]), float(high[f, k]))
                for f, name in enumerate(FIGURES)
            },
        )
        for k, g in enumerate(groups)
    ]


def tie_share(classes: Sequence[int]) -> float:
    """The share of ties among classes; NaN without any."""
    values = np.asarray(classes)
    return float((values == TIE).mean()) if len(values) else float("nan")


__all__ = [
    "CLASSES",
    "CLASS_NAMES",
    "FIGURES",
    "LOSS",
    "TableAgreement",
    "agreement_with_intervals",
    "confusion_matrix",
    "judge_verdicts",
    "position_consistency",
    "table_figures",
    "tie_share",
]
