"""Outcomes of ratings and pairs (DESIGN.md 5.3): threshold, aggregation, shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

WIN, TIE, LOSS = 1, 0, -1
RULES = ("majority", "median", "mean", "rating")
RULE_TEXT = {
    "majority": (
        "majority outcome of a pair's ratings (more than half); no majority is a tie"
    ),
    "median": "outcome of the median score of a pair's ratings",
    "mean": "outcome of the mean score of a pair's ratings",
    "rating": "no aggregation: every rating is one outcome",
}


def outcome_of(scores: np.ndarray | pd.Series, threshold: float = 1) -> np.ndarray:
    """Win (1) if score >= t, loss (-1) if score <= -t, tie (0) otherwise."""
    values = np.asarray(scores, dtype=float)
    return np.where(values >= threshold, WIN, np.where(values <= -threshold, LOSS, TIE))


def pair_outcomes(
    ratings: pd.DataFrame,
    *,
    rule: str = "majority",
    threshold: float = 1,
    carry: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    """One outcome per pair (or per rating for rule "rating").

    Expects columns ``comparison_id``, ``prompt_id`` and ``score`` (candidate's view);
    the columns named in ``carry`` (constant within a comparison) are kept.
    Returns columns ``comparison_id``, ``prompt_id``, ``outcome`` (-1, 0, 1),
    ``n_ratings`` and ``value`` (the aggregated score, or the fraction of win votes
    for majority), plus the carried columns.
    """
    if rule not in RULES:
        raise ValueError(f"unknown aggregation rule {rule!r}; use one of {RULES}")
    carried = [c for c in carry if c in ratings and c != "prompt_id"]
    if rule == "rating":
        out = ratings[["comparison_id", "prompt_id", "score", *carried]].copy()
        out["outcome"] = outcome_of(out["score"], threshold)
        out["n_ratings"] = 1
        return out.rename(columns={"score": "value"}).reset_index(drop=True)
    keys = ["comparison_id"]
    grouped = ratings.groupby(keys, sort=True)
    first = grouped[["prompt_id", *carried]].first()
    n = grouped["score"].size()
    if rule == "majority":
        per_rating = outcome_of(ratings["score"], threshold)
        votes = (
            pd.DataFrame(
                {
                    "comparison_id": ratings["comparison_id"].to_numpy(),
                    WIN: per_rating == WIN,
                    LOSS: per_rating == LOSS,
                }
            )
            .groupby("comparison_id", sort=True)
            .sum()
            .reindex(n.index, fill_value=0)
        )
        outcome = np.full(len(votes), TIE)
        outcome[(votes[WIN] * 2 > n).to_numpy()] = WIN
        outcome[(votes[LOSS] * 2 > n).to_numpy()] = LOSS
        value = (votes[WIN] / n).to_numpy()
    else:
        value = (
            grouped["score"].median() if rule == "median" else grouped["score"].mean()
        )
        value = value.to_numpy(dtype=float)
        outcome = outcome_of(value, threshold)
    out = first.reset_index()
    out["outcome"] = outcome
    out["n_ratings"] = n.to_numpy()
    out["value"] = value
    return out


def shares(outcomes: pd.Series | np.ndarray) -> dict[str, float]:
    """Win, tie and loss shares (summing to 1) and win / (win + loss); n outcomes."""
    values = np.asarray(outcomes)
    n = len(values)
    wins = int((values == WIN).sum())
    ties = int((values == TIE).sum())
    losses = int((values == LOSS).sum())
    if n == 0:
        nan = float("nan")
        return {"win": nan, "tie": nan, "loss": nan, "win_no_ties": nan, "n": 0}
    return {
        "win": wins / n,
        "tie": ties / n,
        "loss": losses / n,
        "win_no_ties": wins / (wins + losses) if wins + losses else float("nan"),
        "n": n,
        "wins": wins,
        "ties": ties,
        "losses": losses,
    }
