"""Outcomes of ratings and pairs: threshold, aggregation, shares."""

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
    codes, comparisons = pd.factorize(ratings["comparison_id"], sort=True)
    _, first_rows = np.unique(codes, return_index=True)
    n = np.bincount(codes, minlength=len(comparisons))
    scores = ratings["score"].to_numpy(dtype=float)
    if rule == "majority":
        per_rating = outcome_of(scores, threshold)
        wins = np.bincount(codes, weights=per_rating == WIN, minlength=len(n))
        losses = np.bincount(codes, weights=per_rating == LOSS, minlength=len(n))
        outcome = np.full(len(n), TIE)
        outcome[wins * 2 > n] = WIN
        outcome[losses * 2 > n] = LOSS
        value = wins / n
    elif rule == "mean":
        value = np.bincount(codes, weights=scores, minlength=len(n)) / n
        outcome = outcome_of(value, threshold)
    else:
        value = pd.Series(scores).groupby(codes, sort=True).median().to_numpy()
        outcome = outcome_of(value, threshold)
    first = ratings[["comparison_id", "prompt_id", *carried]].iloc[first_rows]
    out = first.reset_index(drop=True)
    out["outcome"] = outcome
    out["n_ratings"] = n
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
