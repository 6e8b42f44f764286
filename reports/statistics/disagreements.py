"""Pairs whose ratings split: each pair's outcomes and the spread of its scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .outcomes import LOSS, TIE, WIN, outcome_of

SPREAD_COLUMNS = [
    "comparison_id",
    "n_ratings",
    "min_score",
    "max_score",
    "spread",
    "wins",
    "ties",
    "losses",
    "split",
]


def pair_spread(ratings: pd.DataFrame, *, threshold: int = 1) -> pd.DataFrame:
    """Per pair: how its ratings' outcomes and scores spread.

    Expects ``comparison_id`` and ``score`` (the candidate's view). Returns one row
    per comparison, in id order: ``n_ratings``, ``min_score``, ``max_score``,
    ``spread`` (max minus min score), the ratings' ``wins``, ``ties`` and ``losses``
    (outcomes at ``threshold``) and ``split``: the ratings do not all give the same
    outcome (never for a pair with one rating).
    """
    if ratings.empty:
        return pd.DataFrame(columns=SPREAD_COLUMNS)
    outcome = outcome_of(ratings["score"], threshold)
    frame = pd.DataFrame(
        {
            "comparison_id": ratings["comparison_id"].to_numpy(),
            "score": ratings["score"].to_numpy(),
            "win": np.asarray(outcome == WIN, dtype=int),
            "tie": np.asarray(outcome == TIE, dtype=int),
            "loss": np.asarray(outcome == LOSS, dtype=int),
        }
    )
    table = frame.groupby("comparison_id", sort=True).agg(
        n_ratings=("score", "size"),
        min_score=("score", "min"),
        max_score=("score", "max"),
        wins=("win", "sum"),
        ties=("tie", "sum"),
        losses=("loss", "sum"),
    )
    table["spread"] = table["max_score"] - table["min_score"]
    held = (table[["wins", "ties", "losses"]] > 0).sum(axis=1)
    table["split"] = held.to_numpy() > 1
    return table.reset_index()[SPREAD_COLUMNS]


def split_pairs(
    ratings: pd.DataFrame,
    *,
    threshold: int = 1,
    category: str | None = None,
    num_turns: int | None = None,
    min_spread: int = 0,
) -> pd.DataFrame:
    """The pairs whose ratings split, most spread first (then by comparison id).

    Expects ``comparison_id``, ``score``, ``categories`` (a list per rating's
    prompt) and ``num_turns``; the other columns of a pair's first rating are
    carried along, with ``scores`` (the pair's scores, lowest first). Keeps the
    pairs in ``category`` (one of the prompt's), with exactly ``num_turns`` turns
    and a spread of at least ``min_spread``.
    """
    spread = pair_spread(ratings, threshold=threshold)
    spread = spread[spread["split"] & (spread["spread"] >= min_spread)]
    first = ratings.drop_duplicates("comparison_id").drop(columns=["score"])
    scores = (
        ratings.groupby("comparison_id")["score"]
        .agg(sorted)
        .rename("scores")
        .reset_index()
    )
    pairs = spread.merge(first, on="comparison_id").merge(scores, on="comparison_id")
    if category is not None:
        # A boolean mask even when empty: an empty object Series would select columns.
        pairs = pairs[
            pairs["categories"].map(lambda names: category in names).astype(bool)
        ]
    if num_turns is not None:
        pairs = pairs[pairs["num_turns"] == num_turns]
    return pairs.sort_values(
        ["spread", "comparison_id"], ascending=[False, True]
    ).reset_index(drop=True)
