"""The adaptive pair rule as pure functions over counts: hand-worked cases."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.allocation_adaptive import (
    PairTally,
    fit,
    model_pairs_by_priority,
    neighbour_contrasts,
    reductions,
    top_contrasts,
)

THREE = np.array([[0, 1], [0, 2], [1, 2]])


def _rank(tallies, prior=1.0, per_comparison=4):
    return model_pairs_by_priority(
        tallies, per_comparison=per_comparison, prior_precision=prior
    )


def test_with_no_outcomes_the_pairs_of_neighbours_come_first_smaller_ids_first():
    """Prior precision 1, no outcomes: theta = 0, S = I, order 1, 2, 3 (ids break the
    tie), contrasts c1 = e1 - e2 and c2 = e2 - e3. a = 4 * 1/4 = 1 for every pair.
    Reduction a |C S u|^2 / (1 + a u^T S u) = |C u|^2 / 3:
    (1, 2): C u = (2, -1) -> 5/3; (2, 3): C u = (-1, 2) -> 5/3; (1, 3): (1, 1) -> 2/3.
    (1, 2) and (2, 3) tie: the smaller pair first."""
    tallies = [PairTally(1, 2, untouched=1), PairTally(1, 3, untouched=1)]
    tallies.append(PairTally(3, 2, untouched=1))  # either orientation
    assert _rank(tallies) == [(1, 2), (2, 3), (1, 3)]


def test_after_ties_between_two_models_the_third_is_compared_with_its_neighbour():
    """(1, 2) has 4 ties: theta stays 0 and H = I + u u^T (u = e1 - e2; n q = 1), so
    S = I - u u^T / 3. Reductions (a = 1):
    (1, 2): S u = u / 3, C S u = (2/3, -1/3), u^T S u = 2/3 -> (5/9) / (5/3) = 1/3;
    (2, 3): S u = (1/3, 2/3, -1), C S u = (-1/3, 5/3), u^T S u = 5/3
            -> (26/9) / (8/3) = 13/12;
    (1, 3): S u = (2/3, 1/3, -1), C S u = (1/3, 4/3) -> (17/9) / (8/3) = 17/24."""
    pairs = THREE
    fitted = fit(
        3, pairs, np.array([2.0, 0, 0]), np.array([4.0, 0, 0]), prior_precision=1.0
    )
    gain = reductions(fitted, pairs, per_comparison=4)
    np.testing.assert_allclose(gain, [1 / 3, 17 / 24, 13 / 12])
    tallies = [
        PairTally(1, 2, ties=4, untouched=1),
        PairTally(1, 3, untouched=1),
        PairTally(2, 3, untouched=1),
    ]
    assert _rank(tallies) == [(2, 3), (1, 3), (1, 2)]


def test_a_comparison_in_progress_counts_as_its_planned_information():
    """One (1, 2) comparison in progress, no outcome: its planned information is
    a u u^T = u u^T, the same matrix as the four ties above, so the same order."""
    tallies = [
        PairTally(1, 2, in_progress=1, untouched=1),
        PairTally(1, 3, untouched=1),
        PairTally(2, 3, untouched=1),
    ]
    assert _rank(tallies) == [(2, 3), (1, 3), (1, 2)]


def test_only_pairs_with_an_untouched_comparison_are_offered():
    tallies = [
        PairTally(1, 2, ties=4, untouched=0),
        PairTally(1, 3, untouched=2),
        PairTally(2, 3, untouched=0),
    ]
    assert _rank(tallies) == [(1, 3)]
    assert _rank([]) == []


def test_the_fit_is_bradley_terry_with_ties_as_half_wins():
    """Two models, 2 wins, 1 loss and 2 ties: 3 of 5 to the first, so with a
    vanishing prior theta_1 - theta_2 = log(3 / 2); the log-scores sum to 0."""
    fitted = fit(
        2, np.array([[0, 1]]), np.array([3.0]), np.array([5.0]), prior_precision=1e-12
    )
    assert np.isclose(fitted.theta[0] - fitted.theta[1], np.log(1.5))
    assert np.isclose(fitted.theta.sum(), 0)


def test_a_model_that_only_won_keeps_a_finite_score():
    fitted = fit(2, np.array([[0, 1]]), np.array([5.0]), np.array([5.0]))
    assert np.isfinite(fitted.theta).all()
    assert fitted.theta[0] > fitted.theta[1]


def test_neighbours_follow_the_scores_best_first():
    contrasts = neighbour_contrasts(np.array([0.0, 2.0, 1.0]))
    np.testing.assert_array_equal(contrasts, [[0, 1, -1], [-1, 0, 1]])


@settings(max_examples=40, deadline=None)
@given(
    wins=st.lists(st.integers(0, 6), min_size=6, max_size=6),
    losses=st.lists(st.integers(0, 6), min_size=6, max_size=6),
    planned=st.lists(st.integers(0, 2), min_size=6, max_size=6),
    per_comparison=st.integers(1, 5),
)
def test_the_sherman_morrison_reduction_equals_the_covariance_recomputed(
    wins, losses, planned, per_comparison
):
    """For 4 models and all 6 pairs: tr(W S) - tr(W S') with S' the inverse of the
    information plus one more comparison, computed from scratch."""
    pairs = np.array([(i, j) for i in range(4) for j in range(i + 1, 4)])
    wins, losses = np.array(wins, float), np.array(losses, float)
    planned = np.array(planned, float)
    fitted = fit(4, pairs, wins, wins + losses)
    gain = reductions(fitted, pairs, per_comparison=per_comparison, in_progress=planned)
    theta = fitted.theta
    contrasts = neighbour_contrasts(theta)
    weight = contrasts.T @ contrasts

    def information_plus(extra):
        matrix = fitted.information.copy()
        for (i, j), count in zip(pairs, extra, strict=True):
            p = 1 / (1 + np.exp(theta[j] - theta[i]))
            u = np.zeros(4)
            u[i], u[j] = 1, -1
            matrix += count * per_comparison * p * (1 - p) * np.outer(u, u)
        return matrix

    before = np.trace(weight @ np.linalg.inv(information_plus(planned)))
    for k in range(len(pairs)):
        one_more = planned.copy()
        one_more[k] += 1
        after = np.trace(weight @ np.linalg.inv(information_plus(one_more)))
        assert np.isclose(gain[k], before - after, rtol=1e-7, atol=1e-10)


def test_the_top_weighted_variant_weighs_the_chance_of_being_in_the_top():
    """No outcomes, prior precision 1: theta = 0, S = I, centred covariance
    P = I - 1/3, sd = sqrt(2/3), so each model's 95 % interval is
    2 * 1.96 * 0.816 = 3.2 wide. Top 1: the cut is 0, every model is at it, so each
    weight is 1/2. Models narrower than the width asked for keep no row."""
    pairs = THREE
    fitted = fit(3, pairs, np.zeros(3), np.zeros(3), prior_precision=1.0)
    centre = np.eye(3) - 1 / 3
    np.testing.assert_allclose(
        top_contrasts(fitted, 1, wider_than=3.0), np.sqrt(0.5) * centre, atol=1e-7
    )
    np.testing.assert_allclose(top_contrasts(fitted, 1, wider_than=3.3), 0)
    np.testing.assert_allclose(top_contrasts(fitted, 3), centre)


def test_the_leasing_rule_narrows_the_top_models_then_the_whole_ranking():
    """The rule leasing uses (``top``, ``width``; docs/adaptive-allocation.md), on
    the four-ties case above (prior precision 1, a = 1, S = I - u u^T / 3). Top 3 of
    three models: every weight is 1, C = I - 1/3 (centred scores); C S u = S u (its
    entries sum to 0). Reductions a |S u|^2 / (1 + a u^T S u):
    (1, 2): |(1/3, -1/3, 0)|^2 = 2/9, u^T S u = 2/3 -> (2/9) / (5/3) = 2/15;
    (1, 3): |(2/3, 1/3, -1)|^2 = 14/9, u^T S u = 5/3 -> (14/9) / (8/3) = 7/12;
    (2, 3): the same as (1, 3) by symmetry, 7/12; the tie goes to (1, 3).
    So (1, 3) comes first where the neighbouring ranks' rule picks (2, 3). With a
    width no model's interval exceeds, no top model is left to narrow and the
    neighbouring ranks' order returns."""
    pairs = THREE
    fitted = fit(
        3, pairs, np.array([2.0, 0, 0]), np.array([4.0, 0, 0]), prior_precision=1.0
    )
    gain = reductions(
        fitted, pairs, per_comparison=4, contrasts=top_contrasts(fitted, 3)
    )
    np.testing.assert_allclose(gain, [2 / 15, 7 / 12, 7 / 12])
    tallies = [
        PairTally(1, 2, ties=4, untouched=1),
        PairTally(1, 3, untouched=1),
        PairTally(2, 3, untouched=1),
    ]

    def ranked(**focus):
        return model_pairs_by_priority(
            tallies, per_comparison=4, prior_precision=1.0, **focus
        )

    assert ranked(top=3) == [(1, 3), (2, 3), (1, 2)]
    assert ranked(top=3, width=1.0) == [(1, 3), (2, 3), (1, 2)]  # all still wide
    assert ranked(top=3, width=100.0) == ranked() == [(2, 3), (1, 3), (1, 2)]
