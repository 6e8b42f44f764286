"""Cluster-robust Wilson intervals: a share's design effect over prompts.

Under the ``rating`` aggregation every rating is an outcome, but the ratings of
one prompt are not independent: Wilson's interval on all of them, as if they
were, is too narrow. A share p = sum(y) / sum(m) over prompts (y successes among
m outcomes of each prompt) is a ratio estimator; its cluster-robust variance
(linearisation, with the k / (k - 1) correction for k prompts) is

    v_robust = k / (k - 1) * sum((y - p m)^2) / sum(m)^2,

the design effect is v_robust / (p (1 - p) / sum(m)), and Wilson's interval is
taken at the effective sample size n / design effect. The design effect is never
below 1 (ratings of one prompt are not taken to be more informative than
independent ones), and is 1 where it cannot be estimated (one prompt; a share of
0 or 1, where both variances are 0).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .intervals import wilson


class ClusteredWilson(NamedTuple):
    """A cluster-robust Wilson interval and what it was taken at."""

    low: float
    high: float
    design_effect: float
    n_effective: float


def design_effect(successes: np.ndarray, sizes: np.ndarray) -> float:
    """The design effect of the share ``sum(successes) / sum(sizes)`` over clusters.

    ``successes`` and ``sizes`` hold one number per cluster (prompt). At least 1;
    1 where it cannot be estimated (fewer than two clusters, a share of 0 or 1);
    NaN without outcomes.
    """
    y = np.asarray(successes, dtype=float)
    m = np.asarray(sizes, dtype=float)
    n, k = m.sum(), len(m)
    if n == 0:
        return float("nan")
    p = y.sum() / n
    binomial = p * (1 - p) / n
    if k < 2 or binomial == 0:
        return 1.0
    robust = k / (k - 1) * ((y - p * m) ** 2).sum() / n**2
    return max(1.0, float(robust / binomial))


def clustered_wilson(
    successes: np.ndarray, sizes: np.ndarray, *, z: float = 1.959963984540054
) -> ClusteredWilson:
    """Wilson's interval at the effective sample size n / ``design_effect``."""
    n = float(np.sum(sizes))
    deff = design_effect(successes, sizes)
    if n == 0:
        nan = float("nan")
        return ClusteredWilson(nan, nan, nan, nan)
    n_effective = n / deff
    share = float(np.sum(successes)) / n
    low, high = wilson(share * n_effective, n_effective, z=z)
    return ClusteredWilson(low, high, deff, n_effective)


def clustered_wilson_shares(counts: np.ndarray) -> dict[str, ClusteredWilson]:
    """Cluster-robust Wilson intervals of each share, from per-prompt counts.

    ``counts`` is prompts x 3: the (loss, tie, win) outcomes of each prompt, as
    ``intervals.prompt_counts`` gives. Win / (win + loss) counts a prompt's wins
    among its wins and losses; a prompt with only ties is still one of the k.
    """
    counts = np.asarray(counts, dtype=float).reshape(-1, 3)
    losses, ties, wins = counts[:, 0], counts[:, 1], counts[:, 2]
    total = counts.sum(axis=1)
    return {
        "win": clustered_wilson(wins, total),
        "tie": clustered_wilson(ties, total),
        "loss": clustered_wilson(losses, total),
        "win_no_ties": clustered_wilson(wins, wins + losses),
    }
