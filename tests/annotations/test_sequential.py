"""The always-valid confidence sequence (annotations.sequential): hand-checked
capital, a slow reference, properties, and coverage under repeated peeking."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as s

from annotations.sequential import (
    bets,
    confidence_sequence,
    current_interval,
    excluded_from,
    log_capital,
)
from reports.statistics.intervals import wilson

ALPHA = 0.05


def test_capital_of_a_tiny_sequence_by_hand():
    # x = 1, 1, 0 at m = 1/2: every bet is capped at c = 1/2 this early (the
    # plug-in sizes are 4.6 and more), so K+ = 1.25 * 1.25 * 0.75 and
    # K- = 0.75 * 0.75 * 1.25; the hedged capital is max(K+, K-) / 2.
    assert bets([1, 1, 0]).tolist() == [0.5, 0.5, 0.5]
    logs = log_capital(np.array([1.0, 1.0, 0.0]), 0.5)
    assert np.allclose(logs, np.log([1.25 / 2, 1.5625 / 2, 1.171875 / 2]))


def test_the_plug_in_bet_uses_only_earlier_observations():
    # After 1, 1: running mean (1/2 + 1) / 2 = 0.75 at t = 1; the variance
    # (1/4 + (1 - 0.75)^2) / 2 = 0.15625 enters the bet at t = 2.
    x = np.ones(40)
    expected = math.sqrt(2 * math.log(2 / ALPHA) / (0.15625 * 2 * math.log(3)))
    assert bets(x)[1] == min(expected, 0.5)
    assert bets(np.r_[x[:20], np.zeros(20)])[:20].tolist() == bets(x)[:20].tolist()


def _slow(x: list[float], grid: int) -> list[tuple[float, float]]:
    """The sequence by plain loops: products of bets at each grid point."""
    m_values = [i / (grid - 1) for i in range(grid)]
    sizes = bets(np.array(x)).tolist()
    alive = [True] * grid
    out = []
    plus, minus = [1.0] * grid, [1.0] * grid
    for t, value in enumerate(x):
        for j, m in enumerate(m_values):
            up = min(sizes[t], 0.5 / m) if m > 0 else sizes[t]
            down = min(sizes[t], 0.5 / (1 - m)) if m < 1 else sizes[t]
            plus[j] *= 1 + up * (value - m)
            minus[j] *= 1 - down * (value - m)
            if max(plus[j], minus[j]) / 2 >= 1 / ALPHA:
                alive[j] = False
        kept = [m for m, ok in zip(m_values, alive, strict=True) if ok]
        step = 1 / (grid - 1)
        out.append((max(kept[0] - step, 0), min(kept[-1] + step, 1)))
    return out


@settings(max_examples=25, deadline=None)
@given(s.lists(s.sampled_from([0.0, 1.0]), min_size=1, max_size=60))
def test_equals_the_slow_product_of_bets(x):
    lows, highs = confidence_sequence(np.array(x), grid=101)
    slow = _slow(x, 101)
    assert np.allclose(lows, [low for low, _ in slow])
    assert np.allclose(highs, [high for _, high in slow])


@settings(max_examples=40, deadline=None)
@given(
    s.lists(s.floats(0, 1, allow_nan=False), min_size=1, max_size=400),
)
def test_interval_holds_the_running_mean_shrinks_and_is_nested(x):
    values = np.array(x)
    lows, highs = confidence_sequence(values)
    means = np.cumsum(values) / np.arange(1, len(values) + 1)
    assert np.all((lows <= means + 1e-9) & (means <= highs + 1e-9))
    assert np.all(np.diff(lows) >= 0)
    assert np.all(np.diff(highs) <= 0)
    assert np.all(lows <= highs)


def test_width_shrinks_with_more_data():
    rng = np.random.default_rng(3)
    x = (rng.random(2000) < 0.4).astype(float)
    lows, highs = confidence_sequence(x)
    widths = highs - lows
    assert widths[99] > widths[499] > widths[1999]
    assert widths[1999] < 0.1
    assert lows[-1] < 0.4 < highs[-1]


def test_coverage_under_peeking_holds_where_wilson_fails():
    """Over 1,000 simulated streams of 400 outcomes for each of three true win
    rates, the sequence contains the true mean at every one of the 400 times in
    at least 95 % of streams. The report's fixed-sample Wilson interval
    (``reports.statistics.intervals.wilson``, the fast alternative to its prompt
    bootstrap, too slow to peek with) checked at every 4th time from the 10th on
    misses the truth at some time in far more than 5 % of the same streams."""
    rng = np.random.default_rng(17)
    streams, length = 1000, 400
    peeks = range(9, length, 4)
    for truth in (0.2, 0.45, 0.7):
        x = (rng.random((streams, length)) < truth).astype(float)
        always = ~excluded_from(x, truth)[:, -1]
        assert always.mean() >= 0.95
        # The grid interval agrees with the exact check on a few streams.
        for row in range(5):
            lows, highs = confidence_sequence(x[row])
            assert always[row] == bool(np.all((lows <= truth) & (truth <= highs)))
        wins = np.cumsum(x, axis=1)
        covered = np.ones(streams, dtype=bool)
        for t in peeks:
            for row in np.flatnonzero(covered):
                low, high = wilson(wins[row, t], t + 1)
                covered[row] = low <= truth <= high
        assert covered.mean() < 0.95
        assert covered.mean() < always.mean() - 0.15


@settings(max_examples=40, deadline=None)
@given(
    s.lists(s.sampled_from([0.0, 1.0]), min_size=1, max_size=300),
    s.floats(0.05, 0.95),
)
def test_the_current_interval_is_the_last_of_the_sequence(head, p):
    rng = np.random.default_rng(len(head))
    x = np.r_[head, (rng.random(700) < p).astype(float)]
    for length in (1, len(head), len(x)):
        lows, highs = confidence_sequence(x[:length])
        assert current_interval(x[:length]) == (lows[-1], highs[-1])


def test_the_current_interval_of_a_long_stream_has_its_ends_where_the_exact_check_does():
    # 40,000 observations: more than one chunk of times even for a single point,
    # and the points of the first look dropped as they are excluded. Each end is
    # the outermost grid point never excluded (by the exact, chunk-free check
    # ``excluded_from``), widened by one step; the next point out was excluded.
    rng = np.random.default_rng(5)
    step = 1 / 1000
    for x in ((rng.random(40_000) < 0.47).astype(float), rng.random(40_000) ** 2):
        low, high = current_interval(x)
        first, last = round((low + step) * 1000), round((high - step) * 1000)
        for point in (first, last, round(x.mean() * 1000)):
            assert not excluded_from(x, point * step)[-1]
        for point in (first - 1, last + 1):
            assert excluded_from(x, point * step)[-1]
