"""Single-response (Likert) ratings: means with prompt-clustered bootstrap intervals,
the distribution over the points 1 to 7, and agreement among annotators."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agreement import count_matrix, krippendorff_alpha
from .breakdowns import explode_categories

POINTS = tuple(range(1, 8))
SHARE_COLUMNS = tuple(f"share_{point}" for point in POINTS)
_CHUNK = 100  # resamples drawn at a time: bounds the memory of a large evaluation


def bootstrap_mean(
    prompt_ids: np.ndarray,
    scores: np.ndarray,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean score, resampling prompts: a drawn
    prompt brings all its ratings (the ratings of one prompt are not independent).

    Prompts are drawn with replacement, as many as there are, ``resamples`` times
    from ``numpy.random.default_rng(seed)``; the same seed and data give the same
    interval. (NaN, NaN) with fewer than two prompts, where it cannot be estimated,
    and without resamples.
    """
    codes, uniques = pd.factorize(pd.Series(prompt_ids), sort=True)
    k = len(uniques)
    if k < 2 or resamples < 1:
        return float("nan"), float("nan")
    sums = np.bincount(codes, weights=np.asarray(scores, dtype=float), minlength=k)
    sizes = np.bincount(codes, minlength=k).astype(float)
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, resamples, _CHUNK):
        drawn = rng.integers(0, k, size=(min(_CHUNK, resamples - start), k))
        means.append(sums[drawn].sum(axis=1) / sizes[drawn].sum(axis=1))
    tail = (1 - level) / 2
    low, high = np.quantile(np.concatenate(means), [tail, 1 - tail])
    return float(low), float(high)


def likert_groups(
    ratings: pd.DataFrame,
    by: list[str],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per group of ``by``: ``n`` ratings, ``n_prompts``, ``mean`` score
    with its prompt-clustered bootstrap interval (``low``, ``high``; see
    ``bootstrap_mean``, each group drawn from the same seed) and the distribution,
    ``share_1`` .. ``share_7`` (each point's share of the group's ratings).

    Expects ``prompt_id``, ``score`` (1 to 7) and the ``by`` columns. Groups in
    sorted order; no rows without ratings.
    """
    columns = [*by, "n", "n_prompts", "mean", "low", "high", *SHARE_COLUMNS]
    rows = []
    for key, group in ratings.groupby(by, sort=True):
        scores = group["score"].to_numpy()
        low, high = bootstrap_mean(
            group["prompt_id"].to_numpy(),
            scores,
            resamples=resamples,
            seed=seed,
            level=level,
        )
        counts = np.bincount(scores.astype(int), minlength=8)[1:8]
        rows.append(
            [
                *(key if isinstance(key, tuple) else (key,)),
                len(scores),
                group["prompt_id"].nunique(),
                float(scores.mean()),
                low,
                high,
                *(counts / len(scores)),
            ]
        )
    return pd.DataFrame(rows, columns=columns)


def likert_by_category(
    ratings: pd.DataFrame, by: list[str], **bootstrap
) -> pd.DataFrame:
    """``likert_groups`` by ``category`` and ``by``: a prompt in two categories
    counts in both (as the pairwise breakdowns do). Expects ``categories`` (lists)
    as well."""
    return likert_groups(explode_categories(ratings), ["category", *by], **bootstrap)


def likert_agreement(ratings: pd.DataFrame) -> dict[str, float | int]:
    """Agreement among the annotators of each rated response (unit: ``comparison_id``).

    ``alpha``: Krippendorff's alpha, ordinal, over the points 1 to 7 (NaN when
    undefined: no unit rated twice, or one value only). Over every pair of ratings
    of one unit: ``within_one`` (share that differ by at most one point) and
    ``exact`` (share that are equal); ``n_pairs`` pairs; ``n_units`` units rated
    at least twice. Expects ``comparison_id`` and ``score``.
    """
    frame = ratings[["comparison_id", "score"]].rename(
        columns={"comparison_id": "unit", "score": "value"}
    )
    counts = count_matrix(frame, POINTS)  # units x points
    alpha = krippendorff_alpha(counts, POINTS, level="ordinal")["coefficient"]
    per_unit = counts.sum(axis=1)
    pairs = float((per_unit * (per_unit - 1) / 2).sum())
    exact = float((counts * (counts - 1) / 2).sum())
    # Two ratings one point apart: a rating at point p with one at p + 1.
    within = exact + float((counts[:, :-1] * counts[:, 1:]).sum())
    return {
        "alpha": float(alpha),
        "within_one": within / pairs if pairs else float("nan"),
        "exact": exact / pairs if pairs else float("nan"),
        "n_pairs": int(pairs),
        "n_units": int((per_unit >= 2).sum()),
    }
