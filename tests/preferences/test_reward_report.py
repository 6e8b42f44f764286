"""The reward-model report of an evaluation: hand-computed Tables 28 and 29,
Figures 27 and 29, and a property (swapping every rating's sides changes nothing)."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from annotations.models import Evaluation, Rating
from generations.models import RewardScore
from reports import preference_rows as pr
from reports.reward_accuracy import reward_options, reward_report
from reports.values.reward import MAJORITY, PER_RATING, RewardOptions
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    RatingFactory,
)


def _rate(pair, choice, *, on_left=True, safety=("", ""), scale="preference"):
    return RatingFactory(
        comparison=pair,
        scale=scale,
        choice=choice,
        candidate_on_left=on_left,
        safety_a=safety[0],
        safety_b=safety[1],
    )


def _score(generation, score, *, reward_model="rm", kind="logit"):
    RewardScore.objects.create(
        generation=generation, reward_model=reward_model, score=score, kind=kind
    )


def _scored_pair(evaluation, candidate, baseline, reward_model="rm", kind="logit"):
    pair = ComparisonFactory(evaluation=evaluation)
    for generation, score in ((pair.candidate_generation, candidate),
                              (pair.baseline_generation, baseline)):  # fmt: skip
        if score is not None:
            _score(generation, score, reward_model=reward_model, kind=kind)
    return pair


def _cells(row):
    return [(c.group, c.n, c.correct, c.accuracy, c.missing) for c in row.cells]


@pytest.mark.django_db
def test_accuracy_by_strength_per_rating_and_by_majority():
    evaluation = EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    first = _scored_pair(evaluation, 2.0, -1.0)
    _rate(first, 4)  # candidate chosen, strength 4: correct
    _rate(first, -3)  # baseline chosen, strength 3: wrong
    _rate(first, 2)  # candidate, strength 2: correct
    tied = _scored_pair(evaluation, 0.5, 0.5)
    _rate(tied, 1)  # equal scores: not correct
    _rate(tied, 4)
    missing = _scored_pair(evaluation, 1.0, None)
    _rate(missing, -4)  # the chosen baseline has no score: left out, counted
    fourth = _scored_pair(evaluation, -0.5, 1.5)
    _rate(fourth, -2)  # baseline chosen, strength 2: correct
    _rate(fourth, 2, on_left=False)  # A (the baseline, on the left): correct
    report = reward_report(evaluation, RewardOptions())
    per_rating, majority = report.accuracy
    assert (per_rating.reward_model, per_rating.basis) == ("rm", PER_RATING)
    assert _cells(per_rating) == [
        ("significantly better", 2, 1, 0.5, 1),
        ("better", 1, 0, 0.0, 0),
        ("slightly better", 3, 3, 1.0, 0),
        ("negligibly better / unsure", 1, 0, 0.0, 0),
        ("average", 7, 4, 4 / 7, 1),
    ]
    # Majorities: the first pair's candidate (strengths 4 and 2: lower median 2),
    # the tied pair's candidate (1 and 4: 1), the missing pair's baseline (4), the
    # fourth pair's baseline (2 and 2: 2).
    assert majority.basis == MAJORITY
    assert _cells(majority) == [
        ("significantly better", 0, 0, None, 1),
        ("better", 0, 0, None, 0),
        ("slightly better", 2, 2, 1.0, 0),
        ("negligibly better / unsure", 1, 0, 0.0, 0),
        ("average", 3, 2, 2 / 3, 1),
    ]
    assert (report.ratings, report.pairs) == (8, 4)
    assert report.safety == ()
    assert report.recall == ()


@pytest.fixture
def safety_evaluation(db):
    evaluation = EvaluationFactory(
        scale=Evaluation.Scale.PREFERENCE, safety_labels=True
    )
    first = _scored_pair(evaluation, 0.9, 0.2, "safety-rm", "probability")
    _rate(first, 3, safety=("safe", "unsafe"))  # safe > unsafe, correct
    _rate(first, 1, safety=("safe", "safe"))  # both safe, correct
    _rate(first, -2, safety=("safe", "unsafe"))  # unsafe > safe, wrong
    second = _scored_pair(evaluation, 0.4, 0.6, "safety-rm", "probability")
    _rate(second, 4, safety=("unsafe", "unsafe"))  # both unsafe, wrong
    _rate(second, -4, safety=("unsafe", "unsafe"))  # both unsafe, correct
    _rate(second, 2)  # no labels: not in Table 29
    return evaluation


def test_accuracy_by_safety_category_and_recall(safety_evaluation):
    report = reward_report(safety_evaluation, RewardOptions())
    per_rating, majority = report.safety
    assert _cells(per_rating) == [
        (pr.SAFE_CHOSEN_UNSAFE_REJECTED, 1, 1, 1.0, 0),
        (pr.BOTH_SAFE, 1, 1, 1.0, 0),
        (pr.BOTH_UNSAFE, 2, 1, 0.5, 0),
        (pr.UNSAFE_CHOSEN_SAFE_REJECTED, 1, 0, 0.0, 0),
        ("average", 5, 3, 0.6, 0),
    ]
    # By majority: the first pair's candidate (safe) over the baseline (unsafe in 2
    # of 3 labels), correct; the second pair's candidate (2 of 3 votes), both
    # unsafe, wrong.
    assert _cells(majority) == [
        (pr.SAFE_CHOSEN_UNSAFE_REJECTED, 1, 1, 1.0, 0),
        (pr.BOTH_SAFE, 0, 0, None, 0),
        (pr.BOTH_UNSAFE, 1, 0, 0.0, 0),
        (pr.UNSAFE_CHOSEN_SAFE_REJECTED, 0, 0, None, 0),
        ("average", 2, 1, 0.5, 0),
    ]
    # Unsafe labels per rating: 0.2 (twice), then 0.4, 0.6, 0.6, 0.4; below 0.5: 4.
    recall_rating, recall_majority = report.recall
    assert (recall_rating.unsafe, recall_rating.flagged) == (6, 4)
    assert recall_rating.recall == pytest.approx(4 / 6)
    # By majority: the unsafe responses 0.2, 0.4 and 0.6.
    assert (recall_majority.unsafe, recall_majority.flagged) == (3, 2)
    stricter = reward_report(safety_evaluation, RewardOptions(threshold=0.3))
    assert stricter.recall[0].flagged == 2


def test_histograms_overall_and_by_strength(safety_evaluation):
    report = reward_report(safety_evaluation, RewardOptions(bins=2))
    # Four responses: 0.9, 0.2, 0.4, 0.6 over [0, 0.5) and [0.5, 1].
    assert [(b.group, b.low, b.count) for b in report.histogram] == [
        ("all", 0.0, 2), ("all", 0.5, 2),
    ]  # fmt: skip
    split = reward_report(safety_evaluation, RewardOptions(bins=2, split=True))
    counts = {(b.group, b.low): b.count for b in split.histogram}
    assert list(dict.fromkeys(b.group for b in split.histogram)) == [
        "significantly better", "better", "slightly better",
        "negligibly better / unsure",
    ]  # fmt: skip
    # Significantly better: the second pair (0.4, 0.6); better: the first (0.9, 0.2);
    # slightly better: both pairs; negligibly: the first.
    assert counts == {
        ("better", 0.0): 1, ("better", 0.5): 1,
        ("negligibly better / unsure", 0.0): 1,
        ("negligibly better / unsure", 0.5): 1,
        ("significantly better", 0.0): 1, ("significantly better", 0.5): 1,
        ("slightly better", 0.0): 2, ("slightly better", 0.5): 2,
    }  # fmt: skip


@pytest.mark.django_db
def test_mean_score_per_median_likert_rating():
    evaluation = EvaluationFactory(
        kind="single", scale="likert", candidate=None, baseline=None
    )
    model = ChatModelFactory()
    for choices, score in (((5, 7, 6), 1.0), ((6, 7), 3.0), ((2, 4, 3, 5), -1.0)):
        pair = ComparisonFactory(
            evaluation=evaluation,
            baseline_generation=None,
            candidate_generation__chat_model=model,
        )
        _score(pair.candidate_generation, score)
        for choice in choices:
            _rate(pair, choice, scale="likert")
    report = reward_report(evaluation, RewardOptions())
    # Lower medians 6, 6 and 3.
    low, high = report.likert
    assert (low.rating, low.n, low.mean, low.sd) == (3, 1, -1.0, None)
    assert (high.rating, high.n, high.mean) == (6, 2, 2.0)
    assert high.sd == pytest.approx(math.sqrt(2))
    assert report.accuracy == ()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"threshold": "1"}, "threshold"),
        ({"threshold": "x"}, "threshold"),
        ({"bins": "1"}, "bins"),
        ({"bins": "-3"}, "bins"),
        ({"split": "maybe"}, "split"),
    ],
)
def test_bad_options_name_the_parameter(query, message):
    with pytest.raises(ValueError, match=message):
        reward_options(query)


def test_options_from_a_query():
    assert reward_options({"threshold": "0.25", "split": "true", "bins": "5"}) == (
        RewardOptions(threshold=0.25, split=True, bins=5)
    )
    assert reward_options({}) == RewardOptions()


# A rating: its choice on the preference scale, which side the candidate was shown,
# and its safety labels as shown (A, B).
RATING = s.tuples(
    s.sampled_from([-4, -3, -2, -1, 1, 2, 3, 4]),
    s.booleans(),
    s.sampled_from([("", ""), ("safe", "unsafe"), ("unsafe", "unsafe"),
                    ("safe", "safe"), ("unsafe", "safe")]),
)  # fmt: skip
SCORE = s.one_of(s.none(), s.sampled_from([-1.0, 0.0, 0.5, 2.0]))
PAIR = s.tuples(SCORE, SCORE, s.lists(RATING, min_size=1, max_size=3))


def _tables(report):
    return [row.to_json() for row in (*report.accuracy, *report.safety,
                                      *report.recall)]  # fmt: skip


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(s.lists(PAIR, min_size=1, max_size=4))
def test_swapping_every_ratings_sides_leaves_accuracy_unchanged(pairs):
    evaluation = EvaluationFactory(
        scale=Evaluation.Scale.PREFERENCE, safety_labels=True
    )
    for candidate, baseline, ratings in pairs:
        pair = _scored_pair(evaluation, candidate, baseline)
        for choice, on_left, safety in ratings:
            _rate(pair, choice, on_left=on_left, safety=safety)
    before = reward_report(evaluation, RewardOptions())
    # Show every rating the other way round: A and B exchange (with their safety
    # labels), so the choice flips its sign; the chosen response stays the same.
    for rating in Rating.objects.filter(comparison__evaluation=evaluation):
        rating.candidate_on_left = not rating.candidate_on_left
        rating.choice = -rating.choice
        rating.safety_a, rating.safety_b = rating.safety_b, rating.safety_a
        rating.save(
            update_fields=["candidate_on_left", "choice", "safety_a", "safety_b"]
        )
    after = reward_report(evaluation, RewardOptions())
    assert _tables(after) == _tables(before)


@pytest.mark.django_db
def test_scores_near_the_largest_floats_still_make_a_report(client):
    """Scores of -1e308 and 1e308 (finite, so imported): their range overflows to
    infinity, which made the histogram's bins fail (a 500)."""
    from rest_framework.test import APIClient

    from tests.conftest import make_user

    evaluation = EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    _rate(_scored_pair(evaluation, 1e308, -1e308), 3)
    _rate(_scored_pair(evaluation, -1e308, 1e308), -2)
    report = reward_report(evaluation, RewardOptions(bins=4))
    assert [b.count for b in report.histogram] == [2, 0, 0, 2]
    assert report.histogram[0].low == -1e308
    assert report.histogram[-1].high == 1e308
    reader = make_user("reader", "researcher")
    api = APIClient()
    api.force_authenticate(reader)
    response = api.get(f"/api/reports/{evaluation.pk}/reward/")
    assert response.status_code == 200, response.content
    client.force_login(reader)
    assert client.get(f"/reports/{evaluation.pk}/reward/").status_code == 200
