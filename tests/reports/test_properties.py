"""Hypothesis properties of outcomes, shares, intervals and whole reports."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as s

from reports import statistics as st
from reports.report_builder import build_report
from reports.report_options import ReportOptions
from reports.values import EvaluationSummary

RULES = ["majority", "median", "mean", "rating"]


@s.composite
def rating_frames(draw):
    n_pairs = draw(s.integers(1, 12))
    rows = []
    for pair in range(n_pairs):
        for _ in range(draw(s.integers(1, 4))):
            rows.append((pair, pair // 2, draw(s.integers(-3, 3))))
    return pd.DataFrame(rows, columns=["comparison_id", "prompt_id", "score"])


@settings(max_examples=60, deadline=None)
@given(rating_frames(), s.sampled_from(RULES), s.sampled_from([1, 2]))
def test_shares_sum_to_one(frame, rule, threshold):
    out = st.pair_outcomes(frame, rule=rule, threshold=threshold)
    shares = st.shares(out["outcome"])
    assert shares["win"] + shares["tie"] + shares["loss"] == pytest.approx(1)


@settings(max_examples=60, deadline=None)
@given(rating_frames(), s.sampled_from(RULES), s.sampled_from([1, 2]))
def test_swapping_candidate_and_baseline_swaps_wins_and_losses(frame, rule, threshold):
    before = st.shares(
        st.pair_outcomes(frame, rule=rule, threshold=threshold)["outcome"]
    )
    swapped = frame.assign(score=-frame["score"])
    after = st.shares(
        st.pair_outcomes(swapped, rule=rule, threshold=threshold)["outcome"]
    )
    assert after["win"] == pytest.approx(before["loss"])
    assert after["loss"] == pytest.approx(before["win"])
    assert after["tie"] == pytest.approx(before["tie"])


@settings(max_examples=60, deadline=None)
@given(rating_frames(), s.sampled_from(RULES), s.integers(0, 2**31))
def test_intervals_contain_the_estimate(frame, rule, seed):
    out = st.pair_outcomes(frame, rule=rule)
    shares = st.shares(out["outcome"])
    boot = st.bootstrap_shares(out, resamples=200, seed=seed)
    wilson = st.wilson_shares(out["outcome"])
    for name in ("win", "tie", "loss", "win_no_ties"):
        if np.isnan(shares[name]):
            continue
        for low, high in (boot[name], wilson[name]):
            assert low - 1e-12 <= shares[name] <= high + 1e-12


def _frame(seed: int, n_prompts: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_prompts * 3
    comparison = np.repeat(np.arange(n_prompts), 3)
    choice = rng.integers(-3, 4, n)
    left = rng.random(n) < 0.5
    return pd.DataFrame(
        {
            "rating_id": np.arange(n),
            "evaluation_id": 1,
            "comparison_id": comparison,
            "comparison_external_id": "",
            "prompt_id": comparison,
            "prompt_external_id": comparison.astype(str),
            "candidate": "cand",
            "baseline": "base",
            "annotator": [f"a{i % 4}" for i in range(n)],
            "scale": "seven",
            "choice": choice,
            "candidate_on_left": left,
            "score": np.where(left, choice, -choice),
            "seconds": rng.random(n) * 30,
            "source": "native",
            "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
            "categories": [["dialogue"] if c % 2 else ["dialogue", "recommendations"]
                           for c in comparison],
            "num_turns": 1 + comparison % 3,
            "prompt_words": 5,
            "word_count": 5 + comparison * 7,
            "collection_method": np.where(comparison % 3, "chatgpt", ""),
        }
    )  # fmt: skip


EVALUATION = EvaluationSummary(
    id=1, name="e", kind="head_to_head", scale="seven", prompt_set="p",
    candidate="cand", baseline="base", annotators_per_pair=3, source="native",
    left_out={},
)  # fmt: skip


def _json(report) -> dict:
    data = report.to_json()
    data["metadata"].pop("generated_at")
    return data


@settings(max_examples=10, deadline=None)
@given(s.integers(0, 1000), s.sampled_from(RULES), s.integers(0, 10_000))
def test_one_seed_gives_identical_reports(data_seed, rule, seed):
    frame = _frame(data_seed)
    options = ReportOptions(aggregation=rule, seed=seed, resamples=200)
    first = build_report(frame, EVALUATION, options)
    second = build_report(frame, EVALUATION, options)
    assert _json(first) == _json(second)
    other = build_report(frame, EVALUATION, ReportOptions(aggregation=rule,
                         seed=seed + 1, resamples=200))  # fmt: skip
    assert other.headline.bootstrap != first.headline.bootstrap
