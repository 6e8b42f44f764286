"""Adaptive pair selection for tournaments, as pure functions over counts.

The leasing service counts, per model pair, the outcomes of complete comparisons and
the comparisons in progress; ``model_pairs_by_priority`` ranks the model pairs whose
next comparison most narrows the Bradley-Terry ranking (docs/adaptive-allocation.md).

- Outcomes: a rating where one model wins is a win for it; a tie is half a win for
  each model (the reports' default, ``ties="half"``).
- Fit: maximum a posteriori log-scores ``theta`` under a weak Gaussian prior
  N(0, 1 / ``prior_precision``) on each model, by Newton's method, so models with no
  or one-sided outcomes keep finite scores and a regular information matrix.
- Covariance: the inverse of the information (the likelihood's Fisher information
  plus the prior's precision), ``H = sum_p n_p q_p u_p u_p^T + prior I`` with
  ``u_p = e_i - e_j`` and ``q_p = p_ij (1 - p_ij)``.
- Rule: with the models in score order (ties by position), the objective is
  ``sum_k Var(theta_(k) - theta_(k+1))`` over neighbouring ranks, ``tr(W S)`` with
  ``W = C^T C`` (rows of C: the neighbours' contrasts). One more comparison of (i, j)
  with ``per_comparison`` ratings adds ``a u u^T``, ``a = per_comparison q_ij``; by
  Sherman-Morrison the objective falls by ``a |C S u|^2 / (1 + a u^T S u)``.
- Comparisons in progress (leased or partly rated: outcome unknown) count as planned
  information, ``a u u^T`` each, added to H before S is taken, so concurrent
  annotators spread over model pairs instead of piling on one.
- Ties of the reduction (to 12 significant digits) go to the smaller model pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # the normal's 97.5th percentile
PRIOR_PRECISION = 0.05  # a standard deviation of about 4.5 on the log-score
_TOLERANCE = 1e-10
_LIMIT = 100
_MAX_STEP = 2.0


@dataclass(frozen=True)
class PairTally:
    """One model pair's comparisons (model ids; either orientation)."""

    first: int
    second: int
    first_wins: int = 0  # ratings of complete comparisons
    second_wins: int = 0
    ties: int = 0
    in_progress: int = 0  # comparisons leased or partly rated
    untouched: int = 0  # comparisons nobody has started: the ones that may be chosen


@dataclass(frozen=True)
class Fit:
    """Log-scores ``theta`` (m,) and the information matrix ``information`` (m, m)
    of the observed outcomes and the prior."""

    theta: np.ndarray
    information: np.ndarray


def fit(
    n_models: int,
    pairs: np.ndarray,
    wins: np.ndarray,
    games: np.ndarray,
    *,
    prior_precision: float = PRIOR_PRECISION,
    start: np.ndarray | None = None,
) -> Fit:
    """Bradley-Terry MAP fit: ``pairs`` (P, 2) model indices, ``wins`` (P,) wins of
    the first (ties as halves), ``games`` (P,) outcomes of the pair."""
    theta = np.zeros(n_models) if start is None else start.astype(float).copy()
    first, second = pairs[:, 0], pairs[:, 1]
    for _ in range(_LIMIT):
        p = _sigmoid(theta[first] - theta[second])
        slope = wins - games * p
        gradient = np.bincount(first, slope, n_models) - np.bincount(
            second, slope, n_models
        )
        gradient -= prior_precision * theta
        information = _information(n_models, pairs, games * p * (1 - p))
        information[np.diag_indices(n_models)] += prior_precision
        step = np.linalg.solve(information, gradient)
        largest = np.abs(step).max(initial=0.0)
        if largest > _MAX_STEP:
            step *= _MAX_STEP / largest
        theta += step
        if largest < _TOLERANCE:
            break
    p = _sigmoid(theta[first] - theta[second])
    information = _information(n_models, pairs, games * p * (1 - p))
    information[np.diag_indices(n_models)] += prior_precision
    return Fit(theta=theta, information=information)


def neighbour_contrasts(theta: np.ndarray) -> np.ndarray:
    """(m - 1, m): row k is e_(k) - e_(k+1) for the k-th and (k+1)-th best models
    (equal scores in index order)."""
    order = np.lexsort((np.arange(len(theta)), -theta))
    contrasts = np.zeros((max(len(theta) - 1, 0), len(theta)))
    rows = np.arange(len(contrasts))
    contrasts[rows, order[:-1]] = 1.0
    contrasts[rows, order[1:]] = -1.0
    return contrasts


def reductions(
    fitted: Fit,
    pairs: np.ndarray,
    *,
    per_comparison: int,
    in_progress: np.ndarray | None = None,
    contrasts: np.ndarray | None = None,
) -> np.ndarray:
    """(P,): how much one more comparison of each pair lowers ``tr(C^T C S)``, with
    S the covariance once the comparisons ``in_progress`` (P,) are counted in.
    ``contrasts`` defaults to the neighbouring ranks' (``neighbour_contrasts``)."""
    theta = fitted.theta
    n_models = len(theta)
    first, second = pairs[:, 0], pairs[:, 1]
    p = _sigmoid(theta[first] - theta[second])
    a = per_comparison * p * (1 - p)
    information = fitted.information
    if in_progress is not None and np.any(in_progress):
        information = information + _information(n_models, pairs, in_progress * a)
    covariance = np.linalg.inv(information)
    if contrasts is None:
        contrasts = neighbour_contrasts(theta)
    spread = (
        covariance[first, first]
        + covariance[second, second]
        - 2 * covariance[first, second]
    )  # u^T S u
    weighted = contrasts @ covariance  # C S, then C S u by columns
    projected = weighted[:, first] - weighted[:, second]
    return a * (projected * projected).sum(axis=0) / (1 + a * spread)


def model_pairs_by_priority(
    tallies: Iterable[PairTally],
    *,
    per_comparison: int,
    prior_precision: float = PRIOR_PRECISION,
    top: int | None = None,
    width: float | None = None,
) -> list[tuple[int, int]]:
    """The model pairs with an untouched comparison, (smaller id, larger id), the one
    whose next comparison most lowers the objective first.

    The objective is the neighbouring ranks' variance; with ``top`` (k), the
    top-k-weighted variance of the models whose interval is still wider than
    ``width`` (``top_contrasts``), and the neighbouring ranks' once none is."""
    merged: dict[tuple[int, int], list[int]] = {}
    for tally in tallies:
        lo, hi = sorted((tally.first, tally.second))
        wins = (tally.first_wins, tally.second_wins)
        if lo != tally.first:
            wins = wins[::-1]
        row = merged.setdefault((lo, hi), [0, 0, 0, 0, 0])
        for k, value in enumerate(
            (*wins, tally.ties, tally.in_progress, tally.untouched)
        ):
            row[k] += value
    if not merged:
        return []
    keys = sorted(merged)
    models = sorted({model for key in keys for model in key})
    index = {model: k for k, model in enumerate(models)}
    pairs = np.array([(index[lo], index[hi]) for lo, hi in keys], dtype=int)
    counts = np.array([merged[key] for key in keys], dtype=float)
    fitted = fit(
        len(models),
        pairs,
        counts[:, 0] + counts[:, 2] / 2,
        counts[:, :3].sum(axis=1),
        prior_precision=prior_precision,
    )
    contrasts = None if top is None else focus_contrasts(fitted, top, width=width)
    gain = reductions(
        fitted,
        pairs,
        per_comparison=per_comparison,
        in_progress=counts[:, 3],
        contrasts=contrasts,
    )
    return _ordered(keys, gain, open_=counts[:, 4] > 0)


def _ordered(
    keys: Sequence[tuple[int, int]], gain: np.ndarray, *, open_: np.ndarray
) -> list[tuple[int, int]]:
    rounded = [float(f"{value:.12g}") for value in gain]
    chosen = [k for k in range(len(keys)) if open_[k]]
    return [keys[k] for k in sorted(chosen, key=lambda k: (-rounded[k], keys[k]))]


def _information(n_models: int, pairs: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sum_p weight_p u_p u_p^T: the weighted Laplacian of the pairs."""
    first, second = pairs[:, 0], pairs[:, 1]
    matrix = np.zeros((n_models, n_models))
    np.add.at(matrix, (first, second), -weight)
    np.add.at(matrix, (second, first), -weight)
    matrix[np.diag_indices(n_models)] += np.bincount(
        first, weight, n_models
    ) + np.bincount(second, weight, n_models)
    return matrix


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(x / 2))


def top_contrasts(
    fitted: Fit, top: int, *, wider_than: float | None = None
) -> np.ndarray:
    """(m, m): row i is sqrt(w_i) (e_i - 1/m), w_i the normal approximation of the
    chance that model i is among the ``top`` best (its score above the midpoint of
    the ``top``-th and next scores): ``tr(C^T C S)`` is then the top-weighted sum of
    the centred scores' variances. With ``wider_than``, only the models whose 95 %
    interval (centred log-score, from S) is still wider than that keep a row."""
    theta = fitted.theta
    m = len(theta)
    centre = np.eye(m) - 1.0 / m
    covariance = centre @ np.linalg.inv(fitted.information) @ centre
    sd = np.sqrt(np.maximum(np.diag(covariance), 1e-12))
    weight = np.ones(m)
    if m > top:
        ordered = np.sort(theta)[::-1]
        cut = (ordered[top - 1] + ordered[top]) / 2
        weight = 0.5 * (1 + _erf((theta - cut) / (sd * np.sqrt(2))))
    if wider_than is not None:
        weight = weight * (2 * Z95 * sd > wider_than)
    return np.sqrt(weight)[:, None] * centre


def focus_contrasts(fitted: Fit, top: int, *, width: float | None) -> np.ndarray:
    """The leasing rule's C: ``top_contrasts``, or the neighbouring ranks' once no
    model is left to narrow there (every likely top model narrower than ``width``)."""
    contrasts = top_contrasts(fitted, top, wider_than=width)
    return contrasts if contrasts.any() else neighbour_contrasts(fitted.theta)


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error below 1.5e-7): no SciPy in the core."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1 / (1 + 0.3275911 * x)
    poly = t * (
        0.254829592
        + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1 - poly * np.exp(-x * x))
