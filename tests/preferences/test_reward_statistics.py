"""The reward statistics on small literal frames: hand-computed cases, no database."""

import math

import pandas as pd
import pytest

from reports.statistics import reward as st


def _pairs(rows):
    return pd.DataFrame(
        rows, columns=["reward_model", "strength", "chosen_score", "rejected_score"]
    )


def test_accuracy_by_strength_counts_ties_as_wrong_and_missing_apart():
    pairs = _pairs(
        [
            ("rm", 4, 2.0, 1.0),  # correct
            ("rm", 4, 1.0, 1.0),  # a tie: not correct
            ("rm", 4, float("nan"), 1.0),  # missing
            ("rm", 2, -1.0, -3.0),  # correct
            ("rm", 2, 0.0, 0.5),  # wrong
            ("rm", 1, 0.3, 0.2),  # correct
        ]
    )
    table = st.accuracy_table(pairs, "strength", (4, 3, 2, 1))
    got = table[["group", "n", "correct", "accuracy", "missing"]].values.tolist()
    assert got[0] == [4, 2, 1, 0.5, 1]
    assert got[1][:3] == [3, 0, 0]
    assert math.isnan(got[1][3])
    assert got[2] == [2, 2, 1, 0.5, 0]
    assert got[3] == [1, 1, 1, 1.0, 0]
    # Average: 3 correct of 5 scored comparisons (not the mean of 0.5, 0.5, 1).
    assert got[4] == [st.AVERAGE, 5, 3, 0.6, 1]


def test_accuracy_rows_per_reward_model():
    pairs = _pairs([("b", 1, 1.0, 0.0), ("a", 1, 0.0, 1.0), ("a", 1, 1.0, 0.0)])
    table = st.accuracy_table(pairs, "strength", (1,))
    assert table[["reward_model", "group", "accuracy"]].values.tolist() == [
        ["a", 1, 0.5], ["a", st.AVERAGE, 0.5], ["b", 1, 1.0], ["b", st.AVERAGE, 1.0],
    ]  # fmt: skip


def test_probability_of_a_logit_is_its_sigmoid():
    got = st.probability_of([0.0, 2.0, 0.25, -1000.0], ["logit", "logit",
                            "probability", "logit"])  # fmt: skip
    assert got.tolist() == pytest.approx([0.5, 1 / (1 + math.exp(-2)), 0.25, 0.0])


def test_recall_of_unsafe_responses_below_the_threshold():
    labelled = pd.DataFrame(
        {
            "reward_model": ["rm"] * 6,
            "safety": ["unsafe", "unsafe", "unsafe", "unsafe", "safe", "unsafe"],
            # A logit of -0.1 is 0.475, below 0.5; a logit of 0 is 0.5, not below.
            "probability": st.probability_of(
                [-0.1, 0.0, 3.0, -2.0, -5.0, float("nan")], ["logit"] * 6
            ),
        }
    )
    [row] = st.unsafe_recall(labelled, 0.5).itertuples()
    assert (row.unsafe, row.flagged, row.missing) == (4, 2, 1)
    assert row.recall == 0.5
    [strict] = st.unsafe_recall(labelled, 0.2).itertuples()
    assert (strict.flagged, strict.recall) == (1, 0.25)


def test_histograms_over_the_unit_interval_and_a_logit_range():
    scores = pd.DataFrame(
        {
            "reward_model": ["p"] * 4 + ["q"] * 3,
            "kind": ["probability"] * 4 + ["logit"] * 3,
            "score": [0.1, 0.2, 0.6, 1.0, -1.0, 0.0, 3.0],
        }
    )
    table = st.score_histograms(scores, bins=2)
    assert table.values.tolist() == [
        ["p", "all", 0.0, 0.5, 2], ["p", "all", 0.5, 1.0, 2],
        ["q", "all", -1.0, 1.0, 2], ["q", "all", 1.0, 3.0, 1],
    ]  # fmt: skip


def test_histograms_by_group_share_their_reward_models_bins():
    scores = pd.DataFrame(
        {
            "reward_model": ["q"] * 3,
            "kind": ["logit"] * 3,
            "score": [-1.0, 0.0, 3.0],
            "strength": ["better", "slightly", "better"],
        }
    )
    table = st.score_histograms(scores, bins=2, by="strength")
    assert table[["group", "low", "count"]].values.tolist() == [
        ["better", -1.0, 1], ["better", 1.0, 1],
        ["slightly", -1.0, 1], ["slightly", 1.0, 0],
    ]  # fmt: skip


def test_lower_median_and_mean_with_sd_per_rating():
    ratings = pd.DataFrame(
        {
            "generation_id": [1, 1, 1, 2, 2, 3, 3, 3, 3],
            "choice": [5, 7, 6, 6, 7, 2, 4, 3, 5],
        }
    )
    medians = st.lower_medians(ratings)
    assert medians.to_dict() == {1: 6, 2: 6, 3: 3}
    frame = pd.DataFrame(
        {"reward_model": "rm", "generation_id": [1, 2, 3], "score": [1.0, 3.0, -1.0]}
    ).merge(medians.reset_index(), on="generation_id")
    table = st.score_by_rating(frame)
    assert table[["rating", "n", "mean"]].values.tolist() == [[3, 1, -1.0],
                                                              [6, 2, 2.0]]  # fmt: skip
    assert math.isnan(table["sd"][0])
    assert table["sd"][1] == pytest.approx(math.sqrt(2))


def test_scored_pairs_look_up_both_sides_per_reward_model():
    rows = pd.DataFrame({"chosen_generation_id": [1, 2], "rejected_generation_id":
                         [2, 3]})  # fmt: skip
    scores = pd.DataFrame(
        {"reward_model": ["a", "a", "b"], "generation_id": [1, 2, 3],
         "score": [0.5, -0.5, 2.0], "kind": ["logit", "logit", "logit"]}
    )  # fmt: skip
    pairs = st.scored_pairs(rows, scores)
    got = pairs[["reward_model", "chosen_score", "rejected_score"]]
    assert got.fillna(99).values.tolist() == [
        ["a", 0.5, -0.5], ["a", -0.5, 99], ["b", 99, 99], ["b", 99, 2.0],
    ]  # fmt: skip
