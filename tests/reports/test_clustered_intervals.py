"""Cluster-robust Wilson intervals under the rating aggregation; no database.

Checked against a hand computation (a loop over prompts for the ratio estimator's
variance, Wilson's bounds found as the roots of the score equation with
scipy.optimize), a worked example, and a simulation of clustered ratings.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as s
from scipy import optimize, stats

from reports import statistics as st
from reports.report_builder import build_report
from reports.report_options import ReportOptions

from .test_properties import EVALUATION, _frame

Z = stats.norm.ppf(0.975)


def wilson_by_roots(share: float, n: float) -> tuple[float, float]:
    """Wilson's bounds: the p0 with |share - p0| = z sqrt(p0 (1 - p0) / n)."""

    def gap(p0):
        return (share - p0) ** 2 - Z * Z * p0 * (1 - p0) / n

    low = 0.0 if share == 0 else optimize.brentq(gap, 0, share)
    high = 1.0 if share == 1 else optimize.brentq(gap, share, 1)
    return low, high


def by_hand(successes: list[float], sizes: list[float]) -> dict[str, float]:
    """The ratio estimator's cluster-robust variance, prompt by prompt."""
    k = len(sizes)
    n = sum(sizes)
    p = sum(successes) / n
    squares = 0.0
    for y, m in zip(successes, sizes, strict=True):
        squares += (y - p * m) ** 2
    robust = k / (k - 1) * squares / (n * n)
    binomial = p * (1 - p) / n
    deff = max(1.0, robust / binomial)
    low, high = wilson_by_roots(p, n / deff)
    return {"deff": deff, "n_eff": n / deff, "low": low, "high": high}


def test_worked_example_two_unanimous_prompts_each_way():
    # Four prompts, three ratings each: two won 3 of 3, two lost 3 of 3 (no ties).
    # p = 6/12; residuals 1.5, 1.5, -1.5, -1.5; robust variance 4/3 * 9 / 144 =
    # 1/12; binomial 0.25 / 12 = 1/48; design effect 4; effective n 12 / 4 = 3.
    counts = np.array([[0, 0, 3], [0, 0, 3], [3, 0, 0], [3, 0, 0]])
    win = st.clustered_wilson_shares(counts)["win"]
    assert win.design_effect == pytest.approx(4)
    assert win.n_effective == pytest.approx(3)
    assert (win.low, win.high) == pytest.approx(wilson_by_roots(0.5, 3), abs=1e-9)
    assert (win.low, win.high) == pytest.approx(st.wilson(1.5, 3))


def test_every_share_matches_the_hand_computation():
    # Five prompts, uneven numbers of ratings: (loss, tie, win) per prompt.
    counts = np.array([[0, 1, 2], [1, 0, 2], [2, 1, 0], [0, 0, 3], [1, 2, 1]])
    losses, ties, wins = (counts[:, j].tolist() for j in range(3))
    sizes = counts.sum(axis=1).tolist()
    expected = {
        "win": by_hand(wins, sizes),
        "tie": by_hand(ties, sizes),
        "loss": by_hand(losses, sizes),
        "win_no_ties": by_hand(
            wins, [w + x for w, x in zip(wins, losses, strict=True)]
        ),
    }
    got = st.clustered_wilson_shares(counts)
    for name, hand in expected.items():
        item = got[name]
        assert item.design_effect == pytest.approx(hand["deff"]), name
        assert item.n_effective == pytest.approx(hand["n_eff"]), name
        assert (item.low, item.high) == pytest.approx(
            (hand["low"], hand["high"]), abs=1e-9
        ), name


def test_design_effect_is_one_where_it_cannot_be_estimated():
    assert st.design_effect(np.array([2.0]), np.array([3.0])) == 1  # one prompt
    assert st.design_effect(np.array([0.0, 0.0]), np.array([3.0, 3.0])) == 1
    assert math.isnan(st.design_effect(np.array([0.0]), np.array([0.0])))
    empty = st.clustered_wilson_shares(np.zeros((0, 3)))
    assert all(math.isnan(value) for value in empty["win"])


@settings(max_examples=80, deadline=None)
@given(s.lists(s.tuples(*[s.integers(0, 4)] * 3), min_size=1, max_size=30))
def test_clustered_interval_holds_the_plain_wilson_and_the_estimate(rows):
    counts = np.array(rows, dtype=float)
    if counts.sum() == 0:
        return
    robust = st.clustered_wilson_shares(counts)
    totals = counts.sum(axis=0)
    n = totals.sum()
    plain = {
        "win": st.wilson(totals[2], n),
        "loss": st.wilson(totals[0], n),
        "win_no_ties": st.wilson(totals[2], totals[2] + totals[0]),
    }
    shares = {"win": totals[2] / n, "loss": totals[0] / n}
    for name, (low, high) in plain.items():
        item = robust[name]
        if math.isnan(low):
            continue
        assert item.design_effect >= 1
        assert item.low <= low + 1e-12
        assert item.high >= high - 1e-12
        if name in shares:
            assert item.low - 1e-12 <= shares[name] <= item.high + 1e-12


def _clustered_ratings(rng, n_prompts: int, per_prompt: int) -> np.ndarray:
    """Per prompt (loss, tie, win): each prompt has its own win probability."""
    p = rng.beta(0.6, 0.6, size=n_prompts)  # mean 0.5, strongly prompt-dependent
    wins = rng.binomial(per_prompt, p)
    return np.column_stack([per_prompt - wins, np.zeros(n_prompts), wins])


def test_simulation_clustering_widens_the_interval_and_restores_coverage():
    rng = np.random.default_rng(11)
    truth, runs = 0.5, 400
    plain_hits = robust_hits = 0
    plain_width = robust_width = 0.0
    for _ in range(runs):
        counts = _clustered_ratings(rng, n_prompts=40, per_prompt=3)
        wins, n = counts[:, 2].sum(), counts.sum()
        low, high = st.wilson(wins, n)
        item = st.clustered_wilson_shares(counts)["win"]
        plain_hits += low <= truth <= high
        robust_hits += item.low <= truth <= item.high
        plain_width += high - low
        robust_width += item.high - item.low
    # Ratings of a prompt agree: the plain interval misses the truth far too often.
    assert plain_hits / runs < 0.85
    assert robust_hits / runs >= 0.91
    assert robust_width > 1.3 * plain_width


def test_independent_ratings_keep_a_design_effect_near_one():
    rng = np.random.default_rng(12)
    wins = rng.binomial(3, 0.5, size=400)
    counts = np.column_stack([3 - wins, np.zeros(400), wins])
    assert st.clustered_wilson_shares(counts)["win"].design_effect < 1.2


def test_report_under_rating_uses_the_clustered_wilson_everywhere():
    frame = _frame(3, n_prompts=40)
    options = ReportOptions(aggregation="rating", interval="wilson", resamples=50)
    report = build_report(frame, EVALUATION, options)
    outcomes = st.pair_outcomes(frame, rule="rating")
    expected = st.clustered_wilson_shares(st.prompt_counts(outcomes))
    head = report.headline
    for name, item in expected.items():
        assert getattr(head.wilson, name) == pytest.approx((item.low, item.high))
        design = getattr(head.wilson_design_effects, name)
        assert design.design_effect == pytest.approx(item.design_effect)
        assert design.n_effective == pytest.approx(item.n_effective)
    assert head.interval == head.wilson
    # A breakdown row: its group's prompts only (even ones are in "recommendations").
    row = next(r for r in report.breakdowns.category if r.group == "recommendations")
    mask = outcomes["prompt_id"] % 2 == 0
    group = st.clustered_wilson_shares(st.prompt_counts(outcomes[mask]))["win"]
    assert (row.win_low, row.win_high) == pytest.approx((group.low, group.high))
    assert row.win_design_effect == pytest.approx(group.design_effect)
    assert row.win_n_effective == pytest.approx(group.n_effective)
    assert "cluster-robust" in report.metadata.definitions.interval


@pytest.mark.parametrize("rule", ["majority", "median", "mean"])
def test_wilson_under_other_aggregations_is_unchanged(rule):
    frame = _frame(4, n_prompts=30)
    options = ReportOptions(aggregation=rule, interval="wilson", resamples=50)
    report = build_report(frame, EVALUATION, options)
    outcomes = st.pair_outcomes(frame, rule=rule)
    plain = st.wilson_shares(outcomes["outcome"])
    for name, bounds in plain.items():
        assert getattr(report.headline.wilson, name) == pytest.approx(bounds)
    assert report.headline.wilson_design_effects is None
    rows = pd.DataFrame([row.to_json() for row in report.breakdowns.turns])
    assert rows["win_design_effect"].isna().all()
    assert "cluster-robust" not in report.metadata.definitions.interval
