"""Likert statistics: hand-computed means, distributions and agreement; properties."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as s

from reports.statistics.likert import (
    SHARE_COLUMNS,
    bootstrap_mean,
    likert_agreement,
    likert_by_category,
    likert_groups,
)

# (comparison, prompt, chat model, categories, score)
SMALL = [
    (1, 1, "m", ["code"], 7),
    (1, 1, "m", ["code"], 6),
    (1, 1, "m", ["code"], 4),
    (2, 2, "m", ["code", "math"], 2),
    (2, 2, "m", ["code", "math"], 2),
    (2, 2, "m", ["code", "math"], 3),
    (3, 1, "n", ["code"], 5),
    (3, 1, "n", ["code"], 5),
]


def _frame(rows=SMALL) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["comparison_id", "prompt_id", "candidate", "categories", "score"]
    )


def test_means_counts_and_distribution_per_chat_model_by_hand():
    table = likert_groups(_frame(), ["candidate"]).set_index("candidate")
    m, n = table.loc["m"], table.loc["n"]
    assert (m["n"], m["n_prompts"], m["mean"]) == (6, 2, 4.0)  # 24 / 6
    assert [m[c] for c in SHARE_COLUMNS] == pytest.approx(
        [0, 2 / 6, 1 / 6, 1 / 6, 0, 1 / 6, 1 / 6]
    )
    assert (n["n"], n["n_prompts"], n["mean"]) == (2, 1, 5.0)
    assert [n[c] for c in SHARE_COLUMNS] == [0, 0, 0, 0, 1, 0, 0]
    # One prompt: no clustered interval can be estimated.
    assert math.isnan(n["low"])
    assert math.isnan(n["high"])
    # Two prompts with means 17/3 and 7/3: the resampled means lie between them.
    assert 7 / 3 <= m["low"] < m["mean"] < m["high"] <= 17 / 3


def test_a_prompt_in_two_categories_counts_in_both():
    table = likert_by_category(_frame(), ["candidate"])
    got = {
        (row.category, row.candidate): (row.n, row.mean) for row in table.itertuples()
    }
    assert got == {
        ("code", "m"): (6, 4.0),
        ("code", "n"): (2, 5.0),
        ("math", "m"): (3, 7 / 3),
    }


def test_agreement_by_hand():
    result = likert_agreement(_frame())
    # Pairs: unit 1 (7,6) (7,4) (6,4); unit 2 (2,2) (2,3) (2,3); unit 3 (5,5).
    assert result["n_pairs"] == 7
    assert result["n_units"] == 3
    assert result["within_one"] == pytest.approx(5 / 7)
    assert result["exact"] == pytest.approx(2 / 7)


def test_ordinal_alpha_by_hand_on_a_tiny_case():
    # Values 1, 2 | 1, 1: coincidences o(1,2) = o(2,1) = 1, o(1,1) = 2; n1 = 3,
    # n2 = 1; ordinal delta(1,2) = (3/2 + 1/2)^2 = 4. alpha = 1 - (n - 1) *
    # sum(o delta) / sum(n_c n_k delta) = 1 - 3 * 8 / (2 * 3 * 1 * 4) = 0.
    rows = [(1, 1, "m", [], 1), (1, 1, "m", [], 2), (2, 2, "m", [], 1)]
    rows.append((2, 2, "m", [], 1))
    assert likert_agreement(_frame(rows))["alpha"] == pytest.approx(0.0)


def test_ordinal_alpha_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": four
    # observers, twelve units, ordinal alpha = 0.815.
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    rows = [
        (unit, unit, "m", [], value)
        for values in observers
        for unit, value in enumerate(values)
        if value is not None
    ]
    assert likert_agreement(_frame(rows))["alpha"] == pytest.approx(0.815, abs=5e-4)


def test_perfect_agreement_gives_alpha_one_and_every_pair_within_one():
    rows = [(u, u, "m", [], 1 + u % 7) for u in range(10) for _ in range(3)]
    result = likert_agreement(_frame(rows))
    assert result["alpha"] == pytest.approx(1.0)
    assert result["within_one"] == result["exact"] == 1.0


def test_bootstrap_of_two_one_rating_prompts_spans_them():
    # Resampled means are 1, 4 or 7 with chances 1/4, 1/2, 1/4.
    low, high = bootstrap_mean(np.array([1, 2]), np.array([1, 7]), resamples=2000)
    assert (low, high) == (1.0, 7.0)


def test_no_resamples_give_no_interval():
    """The report's options allow ``resamples=0`` (it raised: nothing to concatenate)."""
    low, high = bootstrap_mean(np.array([1, 2]), np.array([1, 7]), resamples=0)
    assert math.isnan(low)
    assert math.isnan(high)


def test_repeating_every_rating_of_a_prompt_leaves_the_clustered_interval():
    rng = np.random.default_rng(3)
    prompts = np.arange(30)
    scores = rng.integers(1, 8, size=30)
    once = bootstrap_mean(prompts, scores, seed=5)
    thrice = bootstrap_mean(np.repeat(prompts, 3), np.repeat(scores, 3), seed=5)
    assert thrice == pytest.approx(once)


def test_the_same_seed_gives_the_same_interval_and_another_seed_may_not():
    rng = np.random.default_rng(1)
    prompts, scores = np.arange(40) // 2, rng.integers(1, 8, size=40)
    assert bootstrap_mean(prompts, scores, seed=7) == bootstrap_mean(
        prompts, scores, seed=7
    )
    assert bootstrap_mean(prompts, scores, seed=7) != bootstrap_mean(
        prompts, scores, seed=8
    )


@s.composite
def likert_frames(draw):
    rows = []
    for unit in range(draw(s.integers(2, 10))):
        model = draw(s.sampled_from(["m", "n"]))
        for _ in range(draw(s.integers(1, 4))):
            rows.append((unit, unit // 2, model, ["c"], draw(s.integers(1, 6))))
    return _frame(rows)


@settings(max_examples=60, deadline=None)
@given(likert_frames())
def test_adding_one_to_every_rating_shifts_means_and_leaves_agreement(frame):
    shifted = frame.assign(score=frame["score"] + 1)
    before = likert_groups(frame, ["candidate"], resamples=200)
    after = likert_groups(shifted, ["candidate"], resamples=200)
    assert list(after["n"]) == list(before["n"])
    for column in ("mean", "low", "high"):
        assert np.allclose(after[column], before[column] + 1, equal_nan=True)
    # The distribution moves one point up.
    assert np.allclose(after[list(SHARE_COLUMNS[1:])], before[list(SHARE_COLUMNS[:-1])])
    assert (after["share_1"] == 0).all()
    one, two = likert_agreement(frame), likert_agreement(shifted)
    for key in ("alpha", "within_one", "exact"):
        assert one[key] == pytest.approx(two[key], nan_ok=True)
    assert (one["n_pairs"], one["n_units"]) == (two["n_pairs"], two["n_units"])


@settings(max_examples=60, deadline=None)
@given(likert_frames())
def test_shares_sum_to_one_and_intervals_lie_between_prompt_means(frame):
    table = likert_groups(frame, ["candidate"], resamples=200).set_index("candidate")
    assert np.allclose(table[list(SHARE_COLUMNS)].sum(axis=1), 1)
    weighted = (table[list(SHARE_COLUMNS)] * np.arange(1, 8)).sum(axis=1)
    assert np.allclose(weighted, table["mean"])
    # Every resampled mean is a weighted average of the group's prompt means.
    prompt_means = frame.groupby(["candidate", "prompt_id"])["score"].mean()
    for model, row in table.dropna(subset=["low"]).iterrows():
        means = prompt_means.loc[model]
        assert means.min() - 1e-9 <= row["low"] <= row["high"] <= means.max() + 1e-9
