"""Annotator quality and position bias (DESIGN.md 5.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agreement import rating_pairs
from .intervals import wilson


def position_bias(ratings: pd.DataFrame) -> dict[str, float]:
    """How often the response shown on the left is preferred.

    Expects ``choice`` (as shown: positive prefers A, the left response). Returns
    ``left`` (share of all ratings preferring the left response) with its Wilson
    interval, ``right``, ``tie``, ``left_of_decided`` (left / (left + right)) and n.
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
    }


def annotator_table(ratings: pd.DataFrame, *, scale_max: int) -> pd.DataFrame:
    """Per annotator: ratings, median seconds, tie and extreme shares, agreement, bias.

    Expects ``annotator``, ``comparison_id``, ``score`` (candidate's view), ``outcome``
    (of the single rating), ``choice`` (as shown) and ``seconds`` (may be missing).
    ``agreement`` is the share of the annotator's pairs with another annotator's
    rating of the same comparison that have the same outcome (``n_pairs`` of them).
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
    frame = ratings.assign(
        is_tie=ratings["score"] == 0,
        is_extreme=ratings["score"].abs() == scale_max,
        is_left=ratings["choice"] > 0,
    )
    grouped = frame.groupby("annotator", sort=True)
    table = pd.DataFrame(
        {
            "ratings": grouped.size(),
            "median_seconds": grouped["seconds"].median(),
            "tie_share": grouped["is_tie"].mean(),
            "extreme_share": grouped["is_extreme"].mean(),
            "left_share": grouped["is_left"].mean(),
        }
    )
    pairs = rating_pairs(
        frame.rename(
            columns={"comparison_id": "unit", "annotator": "rater", "outcome": "value"}
        )
    )
    pairs = pairs.assign(agree=pairs["value_a"] == pairs["value_b"])
    by_rater = pairs.groupby("rater_a")["agree"]
    table["agreement"] = by_rater.mean()
    table["n_pairs"] = by_rater.size()
    table["n_pairs"] = table["n_pairs"].fillna(0).astype(int)
    table.index.name = "annotator"
    return table.reset_index()[columns].replace({np.nan: None})
