"""Agreement coefficients as functions of sums over units, for the bootstrap.

Gwet's AC1/AC2 and Fleiss' kappa (observed agreement and class shares), percent
agreement and Krippendorff's alpha (the coincidence matrix) are each a nonlinear
step applied to sums over units (comparisons) of per-unit terms. ``unit_terms``
gives those terms, one row per unit; ``coefficients`` applies the final step to
sums of them, so a resample's coefficients come from its weighted sums of terms.
At unit weights they equal ``gwet_ac``, ``fleiss_kappa``, ``percent_agreement``
and ``krippendorff_alpha`` of the same counts (tests/reports/test_agreement_intervals).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .agreement import WEIGHTS, weight_matrix

COEFFICIENTS = (
    *(f"ac2_{weights}" for weights in WEIGHTS[1:]),
    "ac1_scores",
    "ac1_outcomes",
    "fleiss_kappa_outcomes",
    "alpha_ordinal",
    "alpha_nominal",
    "percent_with_ties",
    "percent_without_ties",
)


def _layout(q: int, q_outcomes: int) -> dict[str, slice]:
    """Columns of the terms: name -> slice."""
    sizes = {"rated": 1, "paired": 1, "shares": q, "pa": len(WEIGHTS),
             "outcome_shares": q_outcomes, "outcome_pa": 1, "coincidences": q * q,
             "percent": 4}  # fmt: skip
    edges = np.cumsum([0, *sizes.values()])
    return {
        name: slice(int(start), int(stop))
        for name, start, stop in zip(sizes, edges[:-1], edges[1:], strict=True)
    }


def unit_terms(
    score_counts: np.ndarray,
    outcome_counts: np.ndarray,
    points: Sequence[float],
) -> np.ndarray:
    """Per unit, the terms whose sums give every coefficient (units x columns).

    ``score_counts`` and ``outcome_counts`` are ``count_matrix`` rows of the same
    ratings of the same units: scores on ``points``, outcomes on (-1, 0, 1), so the
    middle column holds the ties. A unit counts as rated with one rating and as
    paired with two or more.
    """
    q, q_out = score_counts.shape[1], outcome_counts.shape[1]
    columns = _layout(q, q_out)
    terms = np.zeros((len(score_counts), columns["percent"].stop))
    n = score_counts.sum(axis=1)
    rated, paired = n >= 1, n >= 2
    pairs = np.where(paired, n * (n - 1), np.inf)  # ordered pairs of ratings
    terms[:, columns["rated"]] = rated[:, None]
    terms[:, columns["paired"]] = paired[:, None]
    terms[:, columns["shares"]] = score_counts / np.where(rated, n, 1)[:, None]
    for k, weights in enumerate(WEIGHTS):
        w = weight_matrix(points, weights)
        agree = (score_counts * (score_counts @ w.T - 1)).sum(axis=1)
        terms[:, columns["pa"].start + k] = agree / pairs
    terms[:, columns["outcome_shares"]] = (
        outcome_counts / np.where(rated, n, 1)[:, None]
    )
    agree = (outcome_counts * (outcome_counts - 1)).sum(axis=1)
    terms[:, columns["outcome_pa"]] = (agree / pairs)[:, None]
    coincide = score_counts[:, :, None] * score_counts[:, None, :]
    coincide[:, np.arange(q), np.arange(q)] -= score_counts
    scale = np.where(paired, n - 1, np.inf)[:, None, None]
    terms[:, columns["coincidences"]] = (coincide / scale).reshape(len(n), q * q)
    decided = outcome_counts[:, [0, 2]]  # percent agreement without ties
    decided_n = decided.sum(axis=1)
    terms[:, columns["percent"]] = np.stack(
        [
            (outcome_counts * (outcome_counts - 1) / 2).sum(axis=1),
            n * (n - 1) / 2,
            (decided * (decided - 1) / 2).sum(axis=1),
            decided_n * (decided_n - 1) / 2,
        ],
        axis=1,
    )
    return terms


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _chance_corrected(pa: np.ndarray, pe: np.ndarray) -> np.ndarray:
    """``agreement._coefficient`` over arrays."""
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (pa - pe) / (1 - pe)
    return np.where(pe >= 1, np.where(pa >= 1, 1.0, np.nan), value)


def _gwet_pe(shares: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gwet's chance agreement from class shares (q x draws)."""
    q = len(shares)
    if q < 2:
        return np.ones(shares.shape[1])
    return w.sum() * (shares * (1 - shares)).sum(axis=0) / (q * (q - 1))


def _alpha(coincidences: np.ndarray, level: str) -> np.ndarray:
    """Krippendorff's alpha from coincidence matrices (q x q x draws), as the
    ``krippendorff`` package computes it from the same matrix: 1 - (n - 1) *
    sum(o * d) / sum((n_v n_v' - diag n_v) * d). The distance d is symmetric and
    zero on the diagonal, so both sums (halved) run over i < j."""
    q = len(coincidences)
    n_v = coincidences.sum(axis=0)
    n = n_v.sum(axis=0)
    cumulative = n_v.cumsum(axis=0)
    observed, chance = np.zeros_like(n), np.zeros_like(n)
    for i in range(q):
        for j in range(i + 1, q):
            if level == "nominal":
                distance = 1.0
            else:  # ordinal: (n_i + ... + n_j - (n_i + n_j) / 2) ** 2
                between = cumulative[j] - cumulative[i] + n_v[i]
                distance = (between - (n_v[i] + n_v[j]) / 2) ** 2
            observed += coincidences[i, j] * distance
            chance += n_v[i] * n_v[j] * distance
    return 1 - _ratio(observed * (n - 1), chance)


def coefficients(sums: np.ndarray, points: Sequence[float]) -> dict[str, np.ndarray]:
    """Every coefficient of ``COEFFICIENTS`` from summed ``unit_terms``.

    ``sums`` holds one set of sums per column (terms x draws; or one set, 1-d).
    Returns name -> array, one value per column; NaN where a coefficient is
    undefined (no unit rated twice, no disagreement possible).
    """
    sums = np.asarray(sums).reshape(len(sums), -1)
    q = len(points)
    part = {name: sums[where] for name, where in _layout(q, 3).items()}
    rated, paired = part["rated"][0], part["paired"][0]
    shares = _ratio(part["shares"], rated)
    result: dict[str, np.ndarray] = {}
    for k, weights in enumerate(WEIGHTS):
        pa = _ratio(part["pa"][k], paired)
        pe = _gwet_pe(shares, weight_matrix(points, weights))
        name = "ac1_scores" if weights == "identity" else f"ac2_{weights}"
        result[name] = _chance_corrected(pa, pe)
    outcome_shares = _ratio(part["outcome_shares"], rated)
    outcome_pa = _ratio(part["outcome_pa"][0], paired)
    result["ac1_outcomes"] = _chance_corrected(
        outcome_pa, _gwet_pe(outcome_shares, np.eye(3))
    )
    result["fleiss_kappa_outcomes"] = _chance_corrected(
        outcome_pa, (outcome_shares**2).sum(axis=0)
    )
    coincidences = part["coincidences"].reshape(q, q, -1)
    result["alpha_ordinal"] = _alpha(coincidences, "ordinal")
    result["alpha_nominal"] = _alpha(coincidences, "nominal")
    percent = part["percent"]
    result["percent_with_ties"] = _ratio(percent[0], percent[1])
    result["percent_without_ties"] = _ratio(percent[2], percent[3])
    return {name: result[name] for name in COEFFICIENTS}
