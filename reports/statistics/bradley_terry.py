"""Bradley-Terry and Davidson fits on win and tie counts, many count sets at once.

The counts are given per pair of models (i, j), i < j: ``first`` (i beat j),
``second`` (j beat i) and ``ties``, each ``(n_pairs,)`` for one fit or
``(resamples, n_pairs)`` for a stack of fits made together by Newton's method on
the log-scores ``theta`` (and, for Davidson, on the log of the tie parameter).

Ties:
- ``"half"``: a tie is half a win for each model (as evalica counts it), so
  P(i beats j) = p_i / (p_i + p_j).
- ``"davidson"``: Davidson (1970): P(i beats j) = p_i / D and
  P(tie) = nu sqrt(p_i p_j) / D, with D = p_i + p_j + nu sqrt(p_i p_j); nu is fitted.

Scores are ``exp(theta)`` with geometric mean 1 (evalica's normalisation). The
iterations stop when the scores move less than ``tolerance`` (Euclidean norm,
evalica's rule) or after ``limit`` steps. Where the maximum-likelihood estimate does
not exist (a model without a win or a tie), steps are capped and the scores drift
towards 0 or infinity until the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIE_MODELS = ("half", "davidson")
MAX_STEP = 2.0  # the largest change of a log-score (or log-nu) in one step
RIDGE = 1e-9  # keeps the system solvable where a model has no matches


@dataclass(frozen=True)
class Fit:
    """Scores ``(..., m)`` (geometric mean 1); Davidson's ``nu`` ``(...)`` or None."""

    scores: np.ndarray
    tie_parameter: np.ndarray | None
    iterations: int


def _newton_system(theta, nu, pairs, counts, incidence, system):
    """The log-likelihood's gradient and minus its Hessian (written into
    ``system``), with the gauge fixed.

    With s = (theta_i - theta_j) / 2, a pair's log-likelihood is
    a s - b s + t log(nu) - n log(2 cosh s + nu) (a, b: wins of i and of j; t ties).
    With ties as half wins (a and b include t / 2, nu = 0) it is
    (a - b) s - n log(2 cosh s), whose derivatives are tanh's.
    """
    margin, games, ties = counts
    first, second = pairs
    # exp(s) and tanh(s) from the models' scores: no transcendental per pair.
    half = np.exp(theta / 2)
    e = half[:, first] / half[:, second]
    if nu is None:
        square = e * e
        tanh = (square - 1) / (square + 1)
        slope = margin - games * tanh  # d loglik / d s
        curvature = games * (1 - tanh * tanh)  # minus d2 loglik / d s2
    else:
        cosh2, sinh2 = e + 1 / e, e - 1 / e
        d = cosh2 + nu[:, None]
        slope = margin - games * sinh2 / d
        curvature = games * (cosh2 * d - sinh2 * sinh2) / (d * d)
    batch, m = theta.shape
    k = m + (nu is not None)
    gradient = np.empty((batch, k))
    gradient[:, :m] = slope @ incidence / 2
    # Scores are fixed up to a common factor: the sum of the log-scores (kept at
    # 0) enters the system (all its entries + 1), which makes it regular.
    system.fill(1.0)
    system[:, first, second] = system[:, second, first] = 1 - curvature / 4
    diagonal = np.arange(m)
    system[:, diagonal, diagonal] = 1 + curvature @ abs(incidence) / 4 + RIDGE
    if nu is not None:
        v = nu[:, None]
        gradient[:, m] = (ties - games * v / d).sum(axis=1)
        cross = -(games * sinh2 * v / (d * d)) @ incidence / 2
        system[:, :m, m] = system[:, m, :m] = cross
        system[:, m, m] = (games * v * cosh2 / (d * d)).sum(axis=1) + RIDGE
    return gradient, system


def fit(
    pairs: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    ties: np.ndarray,
    *,
    n_models: int,
    tie_model: str = "half",
    start: np.ndarray | None = None,
    tolerance: float = 1e-6,
    limit: int = 100,
) -> Fit:
    """Fit Bradley-Terry (``tie_model`` "half" or "davidson") to each set of counts.

    ``pairs``: ``(n_pairs, 2)`` model indices (0 .. n_models - 1) of each pair;
    ``first``, ``second``, ``ties``: counts as in the module's docstring.
    ``start``: log-scores to start from, ``(n_models,)`` or ``(..., n_models)``.
    """
    if tie_model not in TIE_MODELS:
        raise ValueError(f"ties: use one of {', '.join(TIE_MODELS)}")
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    single = np.ndim(first) == 1
    first, second, ties = (
        np.atleast_2d(np.asarray(c, dtype=float)) for c in (first, second, ties)
    )
    davidson = tie_model == "davidson"
    games = first + second + ties
    margin = first - second  # a tie is half a win for both: no margin
    incidence = np.zeros((len(pairs), n_models))
    incidence[np.arange(len(pairs)), pairs[:, 0]] = 1
    incidence[np.arange(len(pairs)), pairs[:, 1]] = -1
    theta = np.zeros((len(first), n_models))
    if start is not None and n_models > 0:
        theta += start
        theta -= theta.mean(axis=1, keepdims=True)
    log_nu = np.full(len(first), np.log(0.5))
    active = np.arange(len(first) if n_models > 0 else 0)  # fits still moving
    buffer = np.empty((len(first), n_models + davidson, n_models + davidson))
    iterations = 0
    while iterations < limit and active.size:
        iterations += 1
        counts = (margin, games, ties)
        if active.size < len(first):
            counts = tuple(c[active] for c in counts)
        nu = np.exp(log_nu[active]) if davidson else None
        system = buffer[: active.size]  # one allocation for every step's system
        gradient, system = _newton_system(
            theta[active], nu, pairs.T, counts, incidence, system
        )
        step = np.linalg.solve(system, gradient[..., None])[..., 0]
        largest = np.abs(step).max(axis=1, keepdims=True)
        step *= np.minimum(1.0, MAX_STEP / np.maximum(largest, 1e-300))
        moved = theta[active] + step[:, :n_models]
        moved -= moved.mean(axis=1, keepdims=True)
        change = np.linalg.norm(np.exp(moved) - np.exp(theta[active]), axis=1)
        theta[active] = moved
        if davidson:
            log_nu[active] += step[:, n_models]
        # Each fit stops once its scores move less than the tolerance.
        active = active[change >= tolerance]
    scores = np.exp(theta)
    nu = np.exp(log_nu) if davidson and n_models > 0 else None
    if single:
        return Fit(scores[0], None if nu is None else nu[0], iterations)
    return Fit(scores, nu, iterations)
