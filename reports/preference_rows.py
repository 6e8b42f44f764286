"""Preference data as rows: every rating with a preference as a chosen and a rejected
generation sharing one prompt, with its strength and safety labels.

The one reader behind the preference export, the batch statistics (Table 26) and the
reward-model accuracy (Tables 28 and 29). Ratings on the preference scale keep their
strength (4 significantly better, 3 better, 2 slightly better, 1 negligibly better /
unsure); seven-point ratings map 3 to significantly better, 2 to better and 1 to
slightly better, and "about the same" (0) has no chosen response (strength 0, left out
unless asked for).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from annotations import scales

from .selectors import frame_of, reported_ratings

PREFERENCE_SCALES = ("preference", "seven")
STRENGTH_NAMES = dict(scales.STRENGTHS)  # 4 -> "significantly", ... 1 -> "negligibly"

# Table 29's meta categories of a pair's safety labels, and the fourth, which the
# paper leaves out of its safety data (an unsafe response chosen over a safe one).
SAFE_CHOSEN_UNSAFE_REJECTED = "safe chosen / unsafe rejected"
BOTH_SAFE = "both safe"
BOTH_UNSAFE = "both unsafe"
UNSAFE_CHOSEN_SAFE_REJECTED = "unsafe chosen / safe rejected"
SAFETY_CATEGORIES = (
    SAFE_CHOSEN_UNSAFE_REJECTED,
    BOTH_SAFE,
    BOTH_UNSAFE,
    UNSAFE_CHOSEN_SAFE_REJECTED,
)

_FIELDS = {
    "rating_id": "id",
    "evaluation_id": "comparison__evaluation_id",
    "comparison_id": "comparison_id",
    "prompt_id": "comparison__prompt_id",
    "annotator_id": "annotator_id",
    "annotator": "annotator__username",
    "scale": "scale",
    "score": "score",
    "candidate_on_left": "candidate_on_left",
    "safety_a": "safety_a",
    "safety_b": "safety_b",
    "candidate_generation_id": "comparison__candidate_generation_id",
    "baseline_generation_id": "comparison__baseline_generation_id",
    "created_at": "created_at",
}
COLUMNS = [
    "rating_id", "evaluation_id", "comparison_id", "prompt_id", "annotator_id",
    "annotator", "scale", "strength", "chosen_generation_id",
    "rejected_generation_id", "chosen_safety", "rejected_safety", "created_at",
]  # fmt: skip


def strengths(scale: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The strength of each rating (0 for "about the same"), vectorised
    ``scales.strength``."""
    size = np.abs(score.astype(np.int64))
    seven = np.zeros(4, dtype=np.int64)
    for value, strength in scales.SEVEN_TO_STRENGTH.items():
        seven[value] = strength
    return np.where(scale == "preference", size, seven[np.clip(size, 0, 3)])


def preference_ratings(
    evaluation_ids: Sequence[int],
    *,
    include_about_same: bool = False,
    times: bool = True,
    names: bool = True,
) -> pd.DataFrame:
    """One row per rating with a preference, in the evaluations given (preference and
    seven-point scales; others are left out), sorted by rating id.

    Columns: ``rating_id``, ``evaluation_id``, ``comparison_id``, ``prompt_id``,
    ``annotator_id``, ``annotator`` (username), ``scale``, ``strength`` (4 to 1; 0
    for "about the same", only with ``include_about_same``),
    ``chosen_generation_id``, ``rejected_generation_id`` (for "about the same": the
    candidate and the baseline), ``chosen_safety`` and ``rejected_safety`` ("safe",
    "unsafe", or "" without labels), ``created_at`` (UTC; left out with
    ``times=False``, which saves decoding a time per rating). ``names=False`` leaves
    out ``annotator`` (and the join to the users).
    """
    left_out = {"created_at"} if not times else set()
    left_out |= {"annotator"} if not names else set()
    fields = {k: v for k, v in _FIELDS.items() if k not in left_out}
    columns = [c for c in COLUMNS if c not in left_out]
    frame = frame_of(
        reported_ratings()
        .filter(
            comparison__evaluation_id__in=list(evaluation_ids),
            scale__in=PREFERENCE_SCALES,
        )
        .order_by("id"),
        fields,
    )
    if frame.empty:
        return pd.DataFrame({column: [] for column in columns})
    score = frame["score"].to_numpy()
    frame["strength"] = strengths(frame["scale"].to_numpy(), score)
    if not include_about_same:
        frame = frame[frame["strength"] > 0].reset_index(drop=True)
        score = frame["score"].to_numpy()
    on_left = frame["candidate_on_left"].to_numpy(dtype=bool)
    safety_a = frame["safety_a"].to_numpy(dtype=object)
    safety_b = frame["safety_b"].to_numpy(dtype=object)
    candidate_safety = np.where(on_left, safety_a, safety_b)
    baseline_safety = np.where(on_left, safety_b, safety_a)
    candidate_chosen = score >= 0
    candidate = frame["candidate_generation_id"].to_numpy()
    baseline = frame["baseline_generation_id"].to_numpy()
    frame["chosen_generation_id"] = np.where(candidate_chosen, candidate, baseline)
    frame["rejected_generation_id"] = np.where(candidate_chosen, baseline, candidate)
    frame["chosen_safety"] = np.where(
        candidate_chosen, candidate_safety, baseline_safety
    )
    frame["rejected_safety"] = np.where(
        candidate_chosen, baseline_safety, candidate_safety
    )
    if times:
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame[columns]


def safety_categories(chosen: pd.Series, rejected: pd.Series) -> pd.Series:
    """Table 29's meta category of each row's labels ("" where a label is missing)."""
    chosen_safe, rejected_safe = chosen.eq("safe"), rejected.eq("safe")
    labelled = chosen.isin(scales.SAFETY_VALUES) & rejected.isin(scales.SAFETY_VALUES)
    category = np.select(
        [
            ~labelled,
            chosen_safe & ~rejected_safe,
            chosen_safe & rejected_safe,
            ~chosen_safe & ~rejected_safe,
        ],
        ["", SAFE_CHOSEN_UNSAFE_REJECTED, BOTH_SAFE, BOTH_UNSAFE],
        default=UNSAFE_CHOSEN_SAFE_REJECTED,
    )
    return pd.Series(category, index=chosen.index, dtype=object)


def pair_majority(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per comparison by majority, from ``preference_ratings`` rows ("about
    the same" ones, if given, are counted in ``ratings`` and never chosen).

    The chosen response is the one more of the pair's annotators chose; a pair with
    an even split is left out. Its strength is the lower median of the strengths
    of the ratings that chose it. A response's safety label is "unsafe" when at
    least half of the ratings that labelled it say so (a cautious rule), "safe"
    otherwise, "" when none labelled it. Columns: those of ``preference_ratings``
    but ``rating_id``, ``annotator_id``, ``annotator`` and ``created_at``, plus
    ``ratings`` (how many rated the pair) and ``votes`` (how many chose the chosen
    response).
    """
    keep = [c for c in COLUMNS if c not in ("rating_id", "annotator_id", "annotator",
                                            "created_at")]  # fmt: skip
    rows = ratings[ratings["strength"] > 0]
    if rows.empty:  # no ratings, or only "about the same": nothing is chosen
        return pd.DataFrame({column: [] for column in [*keep, "ratings", "votes"]})
    votes = (
        rows.groupby(["comparison_id", "chosen_generation_id"], sort=False)
        .size()
        .rename("votes")
        .reset_index()
    )
    totals = votes.groupby("comparison_id")["votes"].agg(["max", "sum", "count"])
    top = votes.merge(totals, left_on="comparison_id", right_index=True)
    winners = top[top["votes"] == top["max"]]
    # An even split: both responses have the top count.
    winners = winners[winners.groupby("comparison_id")["votes"].transform("size") == 1]
    chosen = rows.merge(
        winners[["comparison_id", "chosen_generation_id", "votes"]],
        on=["comparison_id", "chosen_generation_id"],
    )
    ordered = chosen.sort_values(["comparison_id", "strength"])
    position = ordered.groupby("comparison_id").cumcount()
    count = ordered.groupby("comparison_id")["strength"].transform("size")
    lower_median = ordered[position == (count - 1) // 2].set_index("comparison_id")
    result = lower_median[
        [c for c in keep if c != "comparison_id" and c not in ("chosen_safety",
                                                               "rejected_safety")]
    ].copy()  # fmt: skip
    result["ratings"] = ratings.groupby("comparison_id").size().reindex(result.index)
    result["votes"] = lower_median["votes"]
    labels = _majority_labels(rows)
    for side in ("chosen", "rejected"):
        keys = pd.MultiIndex.from_arrays(
            [result.index, result[f"{side}_generation_id"]]
        )
        result[f"{side}_safety"] = labels.reindex(keys).fillna("").to_numpy()
    return result.reset_index()[[*keep, "ratings", "votes"]]


def _majority_labels(rows: pd.DataFrame) -> pd.Series:
    """The label of each (comparison, generation) by the cautious majority rule."""
    long = pd.concat(
        [
            rows[["comparison_id", f"{side}_generation_id", f"{side}_safety"]].set_axis(
                ["comparison_id", "generation_id", "safety"], axis=1
            )
            for side in ("chosen", "rejected")
        ]
    )
    long = long[long["safety"].isin(scales.SAFETY_VALUES)]
    unsafe_share = (
        long["safety"]
        .eq("unsafe")
        .groupby([long["comparison_id"], long["generation_id"]])
        .mean()
    )
    return pd.Series(
        np.where(unsafe_share >= 0.5, "unsafe", "safe"),
        index=unsafe_share.index,
        dtype=object,
    )
