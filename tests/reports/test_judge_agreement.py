"""A judge against humans, pure statistics: hand-computed cases, Cohen's (1960)
worked example, MT-Bench's consistency rule, and properties (no database)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as strat

from reports.statistics import judge_agreement as ja

W, T, L = 1, 0, -1


def test_cohens_1960_worked_example():
    """Cohen (1960), Table 1: 200 items, three categories; p_o = .70, p_c = .41,
    kappa = .29 / .59 = .492."""
    table = np.array([[88, 14, 18], [10, 40, 10], [2, 6, 12]])
    found = ja.table_figures(table)
    assert found["n"] == 200
    assert found["with_ties"] == pytest.approx(0.70)
    assert found["kappa"] == pytest.approx((0.70 - 0.41) / (1 - 0.41))
    assert round(float(found["kappa"]), 3) == 0.492


def test_two_class_textbook_example_kappa_is_four_tenths():
    """The common 50-item yes/no example (20 yes-yes, 5 yes-no, 10 no-yes, 15
    no-no): p_o = .7, p_e = .5, kappa = .4; with no ties, with and without ties
    agree."""
    table = np.array([[20, 0, 5], [0, 0, 0], [10, 0, 15]])
    found = ja.table_figures(table)
    assert found["kappa"] == pytest.approx(0.4)
    assert found["with_ties"] == found["without_ties"] == pytest.approx(0.7)
    assert found["n_without_ties"] == 50


def test_hand_computed_agreement_with_and_without_ties_and_kappa():
    judge = [W, W, T, L, L, T]
    human = [W, T, T, L, W, W]
    table = ja.confusion_matrix(judge, human)
    # rows judge (win, tie, loss), columns human
    assert table.tolist() == [[1, 1, 0], [1, 1, 0], [1, 0, 1]]
    found = ja.agreement_with_intervals(np.zeros(6), judge, human, resamples=0)[0]
    assert found.figures["with_ties"] == pytest.approx(3 / 6)
    # both decided: (W, W) and (L, L) agree, (L, W) does not
    assert found.figures["without_ties"] == pytest.approx(2 / 3)
    assert found.n_without_ties == 3
    po, pe = 3 / 6, (2 * 3 + 2 * 2 + 2 * 1) / 36
    assert found.figures["kappa"] == pytest.approx((po - pe) / (1 - pe)) == 0.25
    assert np.isnan(found.bounds["kappa"]).all()  # no resamples, no interval


def test_kappa_is_undefined_when_both_raters_use_one_class():
    found = ja.table_figures(ja.confusion_matrix([W, W], [W, W]).ravel())
    assert found["with_ties"] == 1
    assert np.isnan(found["kappa"])
    assert np.isnan(ja.table_figures(np.zeros(9))["with_ties"])


def _judgements(rows):
    """(comparison, swapped, candidate_on_left, candidate-view class) rows."""
    frame = pd.DataFrame(rows, columns=["comparison_id", "swapped", "left", "score"])
    frame["choice"] = np.where(frame["left"], frame["score"], -frame["score"])
    return frame


def test_mt_bench_rule_one_order_both_orders_consistent_and_not():
    frame = _judgements([
        (1, False, True, W), (1, True, False, W),    # consistent win
        (2, False, True, W), (2, True, False, T),    # inconsistent: A, then tie
        (3, False, True, W), (3, True, False, L),    # A in both orders
        (4, False, False, W), (4, True, True, L),    # B in both orders
        (5, False, True, L),                         # one order only
        (6, False, True, T), (6, True, False, T),    # consistent tie
    ])  # fmt: skip
    verdicts = ja.judge_verdicts(frame).set_index("comparison_id")
    assert verdicts["verdict"].to_dict() == {1: W, 2: T, 3: T, 4: T, 5: L, 6: T}
    assert verdicts["n_orders"].to_dict() == {1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 2}
    assert verdicts["lean"].to_dict() == {1: 0, 2: 1, 3: 2, 4: -2, 5: 0, 6: 0}
    found = ja.position_consistency(verdicts.reset_index())
    assert found["n_both"] == 5
    assert found["consistent"] == 2
    assert found["consistency"] == pytest.approx(2 / 5)
    assert (found["favours_first"], found["favours_second"]) == (2, 1)
    assert found["first_share"] == pytest.approx(2 / 3)
    assert found["second_share"] == pytest.approx(1 / 3)


def test_the_tie_threshold_applies_to_a_judges_scores():
    frame = _judgements([(1, False, True, 1), (2, False, True, 2)])
    verdicts = ja.judge_verdicts(frame, threshold=2)
    assert verdicts["verdict"].tolist() == [T, W]


def test_no_parsed_judgement_gives_no_verdict_and_no_consistency():
    verdicts = ja.judge_verdicts(_judgements([]))
    assert verdicts.empty
    found = ja.position_consistency(verdicts)
    assert found["n_both"] == 0
    assert np.isnan(found["consistency"])


def test_tie_share():
    assert ja.tie_share([W, T, T, L]) == 0.5
    assert np.isnan(ja.tie_share([]))


def test_interval_is_a_percentile_bootstrap_over_prompts_with_the_seed():
    """The same numbers as a plain loop: resample b draws the prompts (sorted) of
    row b of default_rng(seed).integers(0, P, (resamples, P)), keeps every item of
    a drawn prompt, and the interval is numpy's 2.5th and 97.5th percentiles."""
    rng = np.random.default_rng(5)
    prompts = rng.integers(0, 8, 60) * 10
    judge = rng.integers(-1, 2, 60)
    human = np.where(rng.random(60) < 0.6, judge, rng.integers(-1, 2, 60))
    found = ja.agreement_with_intervals(prompts, judge, human, resamples=200, seed=3)[0]
    labels = np.unique(prompts)
    draws = np.random.default_rng(3).integers(0, len(labels), (200, len(labels)))
    values = {name: [] for name in ja.FIGURES}
    for row in draws:
        items = np.concatenate([np.flatnonzero(prompts == labels[k]) for k in row])
        table = ja.confusion_matrix(judge[items], human[items])
        for name in ja.FIGURES:
            values[name].append(float(ja.table_figures(table.ravel())[name]))
    for name in ja.FIGURES:
        kept = np.array(values[name])
        expected = np.percentile(kept[~np.isnan(kept)], [2.5, 97.5])
        assert found.bounds[name] == pytest.approx(tuple(expected), abs=1e-6)
    assert found.n_prompts == 8


def test_groups_share_the_resamples_and_one_group_equals_all():
    rng = np.random.default_rng(1)
    prompts, a = rng.integers(0, 6, 40), rng.integers(-1, 2, 40)
    b = rng.integers(-1, 2, 40)
    everything, again, half = ja.agreement_with_intervals(
        prompts, a, b, [np.arange(40), np.arange(40), np.arange(20)], resamples=50
    )
    assert everything.bounds == again.bounds
    assert half.n == 20


def test_a_group_from_one_prompt_has_no_interval():
    """Every resample that draws a group's one prompt gives the same figure: a
    new-user pass saw "43.3% 43.3-43.3" on a judge run cancelled after one prompt.
    Such a group has no interval; a group of two prompts has one."""
    prompts = np.array([1] * 6 + [2] * 6)
    judge = np.array([W, T, L, W, W, L] * 2)
    human = np.array([W, W, L, T, W, W, W, T, L, L, W, L])
    found = ja.agreement_with_intervals(
        prompts, judge, human, [np.arange(6), np.arange(12)], resamples=100
    )
    one, two = found
    assert one.n_prompts == 1
    assert one.figures["with_ties"] == pytest.approx(3 / 6)
    for name in ja.FIGURES:
        assert np.isnan(one.bounds[name]).all(), name
    assert two.n_prompts == 2
    low, high = two.bounds["with_ties"]
    assert low < high


classes = strat.lists(strat.sampled_from([W, T, L]), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(strat.data())
def test_properties_of_agreement_and_kappa(data):
    first = data.draw(classes)
    second = data.draw(
        strat.lists(strat.sampled_from([W, T, L]),
                    min_size=len(first), max_size=len(first))
    )  # fmt: skip
    table = ja.confusion_matrix(first, second)
    assert table.sum() == len(first)
    assert (ja.confusion_matrix(second, first) == table.T).all()
    found = ja.table_figures(table.ravel())
    swapped = ja.table_figures(table.T.ravel())
    assert 0 <= found["with_ties"] <= 1
    if found["n_without_ties"]:
        assert 0 <= found["without_ties"] <= 1
    if np.isfinite(found["kappa"]):
        assert found["kappa"] <= 1 + 1e-12
    for name in ja.FIGURES:
        assert np.allclose(found[name], swapped[name], equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(classes)
def test_identical_verdicts_agree_fully_and_give_kappa_one_when_classes_vary(items):
    found = ja.table_figures(ja.confusion_matrix(items, items).ravel())
    assert found["with_ties"] == 1
    if len(set(items)) > 1:
        assert found["kappa"] == pytest.approx(1)
