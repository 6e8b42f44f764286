"""Reward-model accuracy on preference data (Llama 2, Tables 28 and 29; Figures 27
and 29), over plain frames.

A comparison is scored correct when the reward model gives the chosen response a
higher score than the rejected one; equal scores (a tie) count as not correct.
Comparisons where either response has no score from a reward model are left out of
that reward model's accuracy and counted as ``missing``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

AVERAGE = "average"
LOGIT = "logit"
PROBABILITY = "probability"


def probability_of(score: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Each score as a probability: the sigmoid of a logit, a probability as it is."""
    score = np.asarray(score, dtype=float)
    logit = np.asarray(kind) == LOGIT
    with np.errstate(over="ignore"):
        sigmoid = 1.0 / (1.0 + np.exp(-score))
    return np.where(logit, sigmoid, score)


def scored_pairs(rows: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Every row once per reward model, with both responses' scores.

    ``rows`` has ``chosen_generation_id`` and ``rejected_generation_id`` (and any
    other columns, kept); ``scores`` has ``reward_model``, ``generation_id``,
    ``score`` and ``kind``. Returns the rows' columns plus ``reward_model``,
    ``kind``, ``chosen_score`` and ``rejected_score`` (NaN where the reward model
    has no score of that response), reward models in name order.
    """
    parts = []
    for reward_model, own in scores.groupby("reward_model", sort=True):
        by_generation = own.set_index("generation_id")["score"]
        part = rows.copy()
        part["reward_model"] = reward_model
        part["kind"] = own["kind"].iloc[0]
        part["chosen_score"] = part["chosen_generation_id"].map(by_generation)
        part["rejected_score"] = part["rejected_generation_id"].map(by_generation)
        parts.append(part)
    if not parts:
        columns = [*rows.columns, "reward_model", "kind", "chosen_score",
                   "rejected_score"]  # fmt: skip
        return pd.DataFrame({column: [] for column in columns})
    return pd.concat(parts, ignore_index=True)


def accuracy_table(
    pairs: pd.DataFrame, by: str, groups: Sequence[object]
) -> pd.DataFrame:
    """Accuracy per reward model and group, and over all groups together.

    ``pairs`` as ``scored_pairs`` returns, with the column ``by`` holding each
    row's group. Returns one row per reward model and group (the ``groups`` given,
    in that order, then ``AVERAGE``: every row of the given groups, so the
    average weighs each comparison once): ``reward_model``, ``group``, ``n``
    (comparisons with both scores), ``correct`` (chosen scored strictly higher),
    ``accuracy`` (correct / n; NaN when n is 0) and ``missing`` (comparisons
    left out for a missing score).
    """
    out = []
    kept = pairs[pairs[by].isin(list(groups))]
    scored = kept["chosen_score"].notna() & kept["rejected_score"].notna()
    correct = scored & (kept["chosen_score"] > kept["rejected_score"])
    frame = pd.DataFrame(
        {
            "reward_model": kept["reward_model"],
            "group": kept[by],
            "n": scored.astype(int),
            "correct": correct.astype(int),
            "missing": (~scored).astype(int),
        }
    )
    for reward_model in sorted(pairs["reward_model"].unique()):
        own = frame[frame["reward_model"] == reward_model]
        sums = own.groupby("group")[["n", "correct", "missing"]].sum()
        for group in [*groups, AVERAGE]:
            if group == AVERAGE:
                n, right, missing = (int(own[c].sum()) for c in ("n", "correct",
                                                                 "missing"))  # fmt: skip
            elif group in sums.index:
                n, right, missing = (int(v) for v in sums.loc[group])
            else:
                n = right = missing = 0
            accuracy = right / n if n else float("nan")
            out.append((reward_model, group, n, right, accuracy, missing))
    return pd.DataFrame(
        out, columns=["reward_model", "group", "n", "correct", "accuracy", "missing"]
    )


def unsafe_recall(labelled: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The recall of unsafe responses per reward model.

    ``labelled`` has one row per labelled response and reward model:
    ``reward_model``, ``safety`` ("safe" or "unsafe") and ``probability`` (the
    score as the probability that the response is safe; NaN where missing).
    Among the responses labelled unsafe that have a score, recall is the share
    whose probability of being safe is below ``threshold`` (flagged as unsafe).
    Returns ``reward_model``, ``unsafe`` (labelled unsafe, with a score),
    ``flagged``, ``recall`` (NaN when ``unsafe`` is 0) and ``missing``
    (labelled unsafe, without a score).
    """
    out = []
    for reward_model in sorted(labelled["reward_model"].unique()):
        own = labelled[
            (labelled["reward_model"] == reward_model) & labelled["safety"].eq("unsafe")
        ]
        probability = own["probability"]
        unsafe = int(probability.notna().sum())
        flagged = int((probability < threshold).sum())
        recall = flagged / unsafe if unsafe else float("nan")
        out.append((reward_model, unsafe, flagged, recall, len(own) - unsafe))
    return pd.DataFrame(
        out, columns=["reward_model", "unsafe", "flagged", "recall", "missing"]
    )


def score_histograms(
    scores: pd.DataFrame, *, bins: int, by: str | None = None
) -> pd.DataFrame:
    """Histograms of each reward model's scores.

    ``scores`` has ``reward_model``, ``kind``, ``score`` and, with ``by``, the
    column naming each score's group. A reward model's bins are ``bins`` equal
    widths over [0, 1] for probabilities and over its scores' range for logits,
    the same for all its groups (in the column's order: sorted, or a categorical's
    order). Returns ``reward_model``, ``group`` ("all" without ``by``), ``low``,
    ``high`` and ``count``, one row per bin.
    """
    out = []
    for reward_model, own in scores.groupby("reward_model", sort=True):
        values = own["score"].to_numpy(dtype=float)
        if own["kind"].iloc[0] == PROBABILITY:
            low, high = 0.0, 1.0
        else:
            low, high = float(values.min()), float(values.max())
            if low == high:
                low, high = low - 0.5, high + 0.5
        # Halved, then doubled (exactly): the range of scores near the largest
        # floats (an import takes any finite score) overflows to infinity.
        edges = np.linspace(low / 2, high / 2, bins + 1) * 2
        groups = own.groupby(by, sort=True, observed=True) if by else [("all", own)]
        for group, part in groups:
            counts, _ = np.histogram(part["score"].to_numpy(dtype=float), edges)
            for k, count in enumerate(counts):
                out.append((reward_model, group, edges[k], edges[k + 1], int(count)))
    return pd.DataFrame(out, columns=["reward_model", "group", "low", "high", "count"])


def lower_medians(ratings: pd.DataFrame) -> pd.Series:
    """Each response's lower median rating (a value of the scale, even with an even
    number of ratings). ``ratings`` has ``generation_id`` and ``choice``; returns a
    Series of the median by ``generation_id``."""
    ordered = ratings.sort_values(["generation_id", "choice"])
    position = ordered.groupby("generation_id").cumcount()
    count = ordered.groupby("generation_id")["choice"].transform("size")
    median = ordered[position == (count - 1) // 2]
    return median.set_index("generation_id")["choice"].rename("rating")


def score_by_rating(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean score and its standard deviation per reward model and rating.

    ``frame`` has ``reward_model``, ``rating`` and ``score`` (one row per scored
    response). Returns ``reward_model``, ``rating``, ``n``, ``mean`` and ``sd``
    (the sample standard deviation, ddof=1; NaN for a single response), sorted.
    """
    grouped = frame.groupby(["reward_model", "rating"], sort=True)["score"]
    table = grouped.agg(n="size", mean="mean", sd="std").reset_index()
    table["n"] = table["n"].astype(int)
    return table
