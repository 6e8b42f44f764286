"""95% intervals: seeded bootstrap over prompts; Wilson."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .outcomes import LOSS, TIE, WIN

SHARE_NAMES = ("win", "tie", "loss", "win_no_ties")


def wilson(
    successes: float, n: float, *, z: float = 1.959963984540054
) -> tuple[float, float]:
    """Wilson score interval for a binomial share; (nan, nan) when n is 0.

    ``successes`` and ``n`` may be fractional (an effective sample size).
    """
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At p = 0 (or 1) the bound is exactly 0 (or 1); the subtraction leaves 3e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def wilson_shares(outcomes: pd.Series | np.ndarray) -> dict[str, tuple[float, float]]:
    """Wilson intervals for each share of a set of outcomes (-1, 0, 1)."""
    values = np.asarray(outcomes)
    wins, ties, losses = ((values == k).sum() for k in (WIN, TIE, LOSS))
    n = len(values)
    return {
        "win": wilson(int(wins), n),
        "tie": wilson(int(ties), n),
        "loss": wilson(int(losses), n),
        "win_no_ties": wilson(int(wins), int(wins + losses)),
    }


def prompt_counts(outcomes: pd.DataFrame) -> np.ndarray:
    """Per prompt, the number of loss, tie and win outcomes: an array (prompts x 3).

    Expects columns ``prompt_id`` and ``outcome``.
    """
    codes, uniques = pd.factorize(outcomes["prompt_id"], sort=True)
    column = outcomes["outcome"].to_numpy().astype(int) + 1
    counts = np.bincount(codes * 3 + column, minlength=len(uniques) * 3)
    return counts.reshape(-1, 3).astype(float)


def _resampled_totals(
    counts: np.ndarray, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Loss, tie and win totals of ``resamples`` draws of prompts with replacement.

    Prompts with the same (loss, tie, win) counts are interchangeable, so drawing
    n prompts with replacement is the same as drawing how many times each distinct
    count vector is picked: a multinomial over the distinct vectors with their
    frequencies. Exact, and independent of the number of prompts.
    """
    base = int(counts.max()) + 1 if len(counts) else 1
    codes = counts[:, 0] + base * counts[:, 1] + base * base * counts[:, 2]
    _, first, frequency = np.unique(codes, return_index=True, return_counts=True)
    kinds = counts[first]
    n_prompts = int(frequency.sum())
    picks = rng.multinomial(n_prompts, frequency / n_prompts, size=resamples)
    return picks @ kinds


def bootstrap_shares(
    outcomes: pd.DataFrame,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of the shares, resampling prompts.

    A drawn prompt brings all its outcomes (all its pairs, or all its ratings under
    the per-rating rule). Expects columns ``prompt_id`` and ``outcome``. The same
    seed and data give the same intervals.
    """
    return bootstrap_counts(
        prompt_counts(outcomes), resamples=resamples, seed=seed, level=level
    )


def bootstrap_counts(
    counts: np.ndarray, *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """``bootstrap_shares`` from per-prompt (loss, tie, win) counts (prompts x 3)."""
    results = bootstrap_counts_many(
        [counts], resamples=resamples, seed=seed, level=level
    )
    return results[0]


def bootstrap_counts_many(
    counts_of: Sequence[np.ndarray],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[dict[str, tuple[float, float]]]:
    """``bootstrap_counts`` of each of several count arrays, each with its own
    generator seeded ``seed`` (so each result is the one a single call gives).

    The percentiles of all of them are taken in one call: a row's percentiles do
    not depend on the other rows.
    """
    nan = (float("nan"), float("nan"))
    results: list[dict] = [dict.fromkeys(SHARE_NAMES, nan) for _ in counts_of]
    rows: list[np.ndarray] = []  # win, tie, loss (and win_no_ties) draws
    slots: list[tuple[int, str]] = []  # (result, share) of every row
    tail = (1 - level) / 2 * 100
    for k, counts in enumerate(counts_of):
        if len(counts) == 0 or resamples < 1:
            continue
        totals = _resampled_totals(counts, resamples, np.random.default_rng(seed))
        losses, ties, wins = totals[:, 0], totals[:, 1], totals[:, 2]
        n = totals.sum(axis=1)
        # Never NaN: n > 0 in every draw.
        rows += [wins / n, ties / n, losses / n]
        slots += [(k, "win"), (k, "tie"), (k, "loss")]
        with np.errstate(invalid="ignore", divide="ignore"):
            no_ties = wins / (wins + losses)
        finite = np.isfinite(no_ties)
        if finite.all():
            rows.append(no_ties)
            slots.append((k, "win_no_ties"))
        elif finite.any():
            low, high = np.percentile(no_ties[finite], [tail, 100 - tail])
            results[k]["win_no_ties"] = (float(low), float(high))
    if rows:
        lows, highs = np.percentile(np.stack(rows), [tail, 100 - tail], axis=1)
        for (k, name), low, high in zip(slots, lows, highs, strict=True):
            results[k][name] = (float(low), float(high))
    return results
