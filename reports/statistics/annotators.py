"""Annotator quality and position bias."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import wilson
from .pairs import _pair_arrays


def position_bias(ratings: pd.DataFrame) -> dict[str, float]:
    """How often the response shown on the left is preferred.

    Expects ``choice`` (as shown: positive prefers A, the left response). Returns
    ``left`` (share of all ratings preferring the left response) with its Wilson
    interval, ``right``, ``tie``, ``left_of_decided`` (left / (left + right)), n
    and ``n_decided`` (left + right: what ``left_of_decided`` is a share of).
    """
    choice = ratings["choice"].to_numpy()
    n = len(choice)
    left, right = int((choice > 0).sum()), int((choice < 0).sum())
    low, high = wilson(left, n)
    nan = float("nan")
    return {
        "n": n,
        "left": left / n if n else nan,
        "left_low": low,
        "left_high": high,
        "right": right / n if n else nan,
        "tie": (n - left - right) / n if n else nan,
        "left_of_decided": left / (left + right) if left + right else nan,
        "n_decided": left + right,
    }


def annotator_table(
    ratings: pd.DataFrame,
    *,
    scale_max: int,
    pairs: tuple[pd.DataFrame, pd.Index] | None = None,
) -> pd.DataFrame:
    """Per annotator: ratings, median seconds, tie and extreme shares, agreement, bias.

    Expects ``annotator``, ``comparison_id``, ``score`` (candidate's view), ``outcome``
    (of the single rating), ``choice`` (as shown) and ``seconds`` (may be missing).
    ``agreement`` is the share of the annotator's pairs with another annotator's
    rating of the same comparison that have the same outcome (``n_pairs`` of them).
    ``pairs`` may pass ``rating_pairs`` of the same rows, computed once elsewhere.
    """
    columns = [
        "annotator",
        "ratings",
        "median_seconds",
        "tie_share",
        "extreme_share",
        "left_share",
        "agreement",
        "n_pairs",
    ]
    if ratings.empty:
        return pd.DataFrame(columns=columns)
    codes, annotators = pd.factorize(ratings["annotator"], sort=True)
    count = np.bincount(codes, minlength=len(annotators))
    score = ratings["score"].to_numpy()

    def share(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=mask, minlength=len(annotators)) / count

    table = pd.DataFrame(
        {
            "ratings": count,
            "median_seconds": ratings["seconds"]
            .groupby(codes, sort=True)
            .median()
            .reindex(range(len(annotators)))
            .to_numpy(),
            "tie_share": share(score == 0),
            "extreme_share": share(np.abs(score) == scale_max),
            "left_share": share(ratings["choice"].to_numpy() > 0),
        },
        index=pd.Index(annotators),
    )
    # Only the three columns the pairs read (renaming the whole frame copies it).
    frame = pd.DataFrame(
        {
            "unit": ratings["comparison_id"],
            "rater": ratings["annotator"],
            "value": ratings["outcome"],
        }
    )
    rater, value_a, _, value_b, names = _pair_arrays(frame, pairs)
    agree = value_a == value_b
    n_pairs = np.bincount(rater, minlength=len(names))
    agreeing = np.bincount(rater, weights=agree, minlength=len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pd.Series(agreeing / n_pairs, index=names)
    table["agreement"] = share.where(n_pairs > 0)
    table["n_pairs"] = pd.Series(n_pairs, index=names)
    table["n_pairs"] = table["n_pairs"].fillna(0).astype(int)
    table.index.name = "annotator"
    return table.reset_index()[columns].replace({np.nan: None})
