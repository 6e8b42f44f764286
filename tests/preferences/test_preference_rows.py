"""Ratings as chosen / rejected rows, and the majority of a pair: hand-computed cases."""

import pandas as pd
import pytest

from annotations.models import Evaluation
from reports import preference_rows
from tests.factories import (
    ComparisonFactory,
    EvaluationFactory,
    RatingFactory,
    UserFactory,
)


def _rate(comparison, choice, *, on_left=True, safety=("", ""), scale="preference"):
    return RatingFactory(
        comparison=comparison,
        annotator=UserFactory(),
        scale=scale,
        choice=choice,
        candidate_on_left=on_left,
        safety_a=safety[0],
        safety_b=safety[1],
    )


@pytest.mark.django_db
def test_ratings_become_chosen_and_rejected_with_strength_and_safety():
    evaluation = EvaluationFactory(
        scale=Evaluation.Scale.PREFERENCE, safety_labels=True
    )
    pair = ComparisonFactory(evaluation=evaluation)
    cand, base = pair.candidate_generation_id, pair.baseline_generation_id
    # A (the candidate, on the left) significantly better; A safe, B unsafe.
    _rate(pair, 4, on_left=True, safety=("safe", "unsafe"))
    # B (the candidate, on the right) slightly better; A (baseline) safe, B unsafe.
    _rate(pair, -2, on_left=False, safety=("safe", "unsafe"))
    # A (the baseline, on the left) negligibly better; both safe.
    _rate(pair, 1, on_left=False, safety=("safe", "safe"))
    rows = preference_rows.preference_ratings([evaluation.pk])
    got = rows[["strength", "chosen_generation_id", "rejected_generation_id",
                "chosen_safety", "rejected_safety"]].values.tolist()  # fmt: skip
    assert got == [
        [4, cand, base, "safe", "unsafe"],
        [2, cand, base, "unsafe", "safe"],
        [1, base, cand, "safe", "safe"],
    ]
    categories = preference_rows.safety_categories(
        rows["chosen_safety"], rows["rejected_safety"]
    )
    assert categories.tolist() == [
        preference_rows.SAFE_CHOSEN_UNSAFE_REJECTED,
        preference_rows.UNSAFE_CHOSEN_SAFE_REJECTED,
        preference_rows.BOTH_SAFE,
    ]
    majority = preference_rows.pair_majority(rows)
    # Two of three chose the candidate, with strengths 4 and 2: lower median 2.
    assert majority[
        ["chosen_generation_id", "strength", "ratings", "votes"]
    ].values.tolist() == [[cand, 2, 3, 2]]
    # The candidate: unsafe in 1 of 3 labels -> safe; the baseline unsafe in 1 of 3.
    assert majority[["chosen_safety", "rejected_safety"]].values.tolist() == [
        ["safe", "safe"]
    ]


@pytest.mark.django_db
def test_seven_point_ratings_map_to_strengths_and_about_the_same_is_left_out():
    evaluation = EvaluationFactory(scale=Evaluation.Scale.SEVEN)
    pair = ComparisonFactory(evaluation=evaluation)
    for choice in (3, -2, 1, 0):
        _rate(pair, choice, scale="seven")
    rows = preference_rows.preference_ratings([evaluation.pk])
    assert rows["strength"].tolist() == [4, 3, 2]
    everything = preference_rows.preference_ratings(
        [evaluation.pk], include_about_same=True
    )
    assert everything["strength"].tolist() == [4, 3, 2, 0]
    # Two chose the candidate, one the baseline.
    majority = preference_rows.pair_majority(rows)
    assert majority["chosen_generation_id"].tolist() == [pair.candidate_generation_id]


@pytest.mark.django_db
def test_an_even_split_has_no_majority():
    evaluation = EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    pair = ComparisonFactory(evaluation=evaluation)
    _rate(pair, 3)
    _rate(pair, -3)
    rows = preference_rows.preference_ratings([evaluation.pk])
    assert len(rows) == 2
    assert preference_rows.pair_majority(rows).empty


def test_no_ratings_give_empty_frames_with_the_columns():
    empty = pd.DataFrame({c: [] for c in preference_rows.COLUMNS})
    assert "chosen_generation_id" in preference_rows.pair_majority(empty).columns


@pytest.mark.django_db
def test_a_pair_rated_about_the_same_only_has_no_majority():
    """Its ratings are counted but none chooses: no row (it raised ValueError)."""
    evaluation = EvaluationFactory(scale=Evaluation.Scale.SEVEN)
    pair = ComparisonFactory(evaluation=evaluation)
    for _ in range(3):
        _rate(pair, 0, scale="seven")
    rows = preference_rows.preference_ratings([evaluation.pk], include_about_same=True)
    majority = preference_rows.pair_majority(rows)
    assert majority.empty
    assert "chosen_generation_id" in majority.columns
