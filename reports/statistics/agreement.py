"""Inter-rater agreement: Gwet, Fleiss, Krippendorff, percent, Cohen.

Every function takes a long frame with columns ``unit`` (the comparison), ``rater``
and ``value`` (the rating from the candidate's point of view, or its outcome), and
the scale points passed explicitly so that unused points still count. Gwet's,
Fleiss', Krippendorff's and percent agreement also take the ``count_matrix`` of
such a frame instead, so that one report counts once.
"""

from __future__ import annotations

from collections.abc import Sequence

import krippendorff
import numpy as np
import pandas as pd

WEIGHTS = ("identity", "quadratic", "linear", "ordinal")


def weight_matrix(categories: Sequence[float], kind: str = "identity") -> np.ndarray:
    """Gwet's agreement weights over ordered scale points (Handbook, chapter 3)."""
    values = np.asarray(categories, dtype=float)
    q = len(values)
    if kind == "identity" or q < 2:
        return np.eye(q)
    spread = values.max() - values.min()
    diff = values[:, None] - values[None, :]
    if kind == "quadratic":
        return 1 - diff**2 / spread**2
    if kind == "linear":
        return 1 - np.abs(diff) / spread
    if kind == "ordinal":
        ranks = np.arange(q)
        n_kl = np.abs(ranks[:, None] - ranks[None, :]) + 1
        m_kl = n_kl * (n_kl - 1) / 2
        return 1 - m_kl / m_kl.max()
    raise ValueError(f"unknown weights {kind!r}; use one of {WEIGHTS}")


def count_matrix(frame: pd.DataFrame, categories: Sequence[float]) -> np.ndarray:
    """Units x scale points: how many raters put each unit at each point.

    Rows follow the units in order of first appearance in the frame.
    """
    columns = scale_positions(frame["value"].to_numpy(), categories)
    units, uniques = pd.factorize(frame["unit"])
    q = len(categories)
    counts = np.bincount(units * q + columns, minlength=len(uniques) * q)
    return counts.reshape(-1, q).astype(float)


def scale_positions(values: np.ndarray, categories: Sequence[float]) -> np.ndarray:
    """Position of every value among the scale points; ValueError for any other."""
    points = np.asarray(categories)
    order = np.argsort(points, kind="stable")
    found = np.searchsorted(points[order], values).clip(0, len(points) - 1)
    codes = order[found]
    wrong = points[codes] != values
    if wrong.any():
        bad = values[np.flatnonzero(wrong)[0]]
        raise ValueError(
            f"value {bad!r} is not one of the scale points {list(categories)}"
        )
    return codes


def _counts(data: pd.DataFrame | np.ndarray, categories) -> np.ndarray:
    return data if isinstance(data, np.ndarray) else count_matrix(data, categories)


def _observed_and_classes(counts: np.ndarray, weights: np.ndarray):
    per_unit = counts.sum(axis=1)
    rated = per_unit >= 1
    counts, per_unit = counts[rated], per_unit[rated]
    paired = per_unit >= 2
    weighted = counts @ weights.T
    agree = (counts * (weighted - 1)).sum(axis=1)
    if paired.any():
        pa = float(np.mean(agree[paired] / (per_unit[paired] * (per_unit[paired] - 1))))
    else:
        pa = float("nan")
    pi = (counts / per_unit[:, None]).mean(axis=0) if len(counts) else counts.sum(0)
    return pa, pi, int(paired.sum())


def _coefficient(pa: float, pe: float) -> float:
    if np.isnan(pa):
        return float("nan")
    if pe >= 1:
        return 1.0 if pa >= 1 else float("nan")
    return (pa - pe) / (1 - pe)


def gwet_ac(
    frame: pd.DataFrame | np.ndarray,
    categories: Sequence[float],
    *,
    weights: str = "identity",
) -> dict[str, float]:
    """Gwet's AC1 (identity weights) or AC2 (other weights), raw ratings, any missing.

    Returns ``coefficient``, ``pa``, ``pe``, ``n_units`` (units rated at least twice)
    and ``weights``.
    """
    w = weight_matrix(categories, weights)
    pa, pi, n_units = _observed_and_classes(_counts(frame, categories), w)
    q = len(categories)
    pe = float(w.sum() * np.sum(pi * (1 - pi)) / (q * (q - 1))) if q > 1 else 1.0
    coefficient = _coefficient(pa, pe)
    return {
        "coefficient": coefficient,
        "pa": pa,
        "pe": pe,
        "n_units": n_units,
        "weights": weights,
    }


def fleiss_kappa(
    frame: pd.DataFrame | np.ndarray,
    categories: Sequence[float],
    *,
    weights: str = "identity",
) -> dict[str, float]:
    """Fleiss' generalised kappa for raw ratings with missing values (Gwet's form)."""
    w = weight_matrix(categories, weights)
    pa, pi, n_units = _observed_and_classes(_counts(frame, categories), w)
    pe = float(np.sum(w * np.outer(pi, pi)))
    return {
        "coefficient": _coefficient(pa, pe),
        "pa": pa,
        "pe": pe,
        "n_units": n_units,
        "weights": weights,
    }


def krippendorff_alpha(
    frame: pd.DataFrame | np.ndarray,
    categories: Sequence[float],
    *,
    level: str = "ordinal",
) -> dict[str, float]:
    """Krippendorff's alpha from the ``krippendorff`` package over the scale points."""
    counts = _counts(frame, categories)
    paired = counts.sum(axis=1) >= 2
    if paired.sum() == 0:
        return {"coefficient": float("nan"), "n_units": 0, "level": level}
    try:
        value = float(
            krippendorff.alpha(
                value_counts=counts[paired],
                value_domain=list(categories),
                level_of_measurement=level,
            )
        )
    except ValueError:
        # One value only: no disagreement is possible, alpha is undefined.
        value = float("nan")
    return {"coefficient": value, "n_units": int(paired.sum()), "level": level}


def percent_agreement(
    frame: pd.DataFrame | np.ndarray,
    categories: Sequence[float] | None = None,
    *,
    tie: float = 0,
) -> dict[str, dict]:
    """Share of agreeing pairs among all pairs of ratings on the same unit.

    ``with_ties`` counts every pair of ratings; ``without_ties`` drops a pair in
    which either rating is a tie (``value == tie``). Each comes with ``n`` pairs.
    Without ``categories``, the values seen are the categories.
    """
    if categories is None:
        categories = sorted(frame["value"].unique())
    points = list(categories)
    c = _counts(frame, points)
    pairs_of = c * (c - 1) / 2
    per_unit = c.sum(axis=1)
    total = float((per_unit * (per_unit - 1) / 2).sum())
    agree = float(pairs_of.sum())
    decided = c[:, [i for i, point in enumerate(points) if point != tie]]
    decided_n = decided.sum(axis=1)
    total_nt = float((decided_n * (decided_n - 1) / 2).sum())
    agree_nt = float((decided * (decided - 1) / 2).sum())
    return {
        "with_ties": {
            "value": agree / total if total else float("nan"),
            "n": int(total),
        },
        "without_ties": {
            "value": agree_nt / total_nt if total_nt else float("nan"),
            "n": int(total_nt),
        },
    }
