"""The report's rules by hand: majority verdicts, shares, the clustered bootstrap."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consistency import statistics as s
from consistency.conversation import context_note, dialogue_messages


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["yes", "yes", "no"], "yes"),
        (["no", "no", "yes"], "no"),
        (["yes", "not_applicable", "not_applicable"], "not_applicable"),
        (["yes", "no", "not_applicable"], s.NO_MAJORITY),
        (["yes", "no"], s.NO_MAJORITY),
        (["yes"], "yes"),
        ([], s.NO_MAJORITY),
        (["yes", "yes", "no", "no"], s.NO_MAJORITY),
        (["yes", "yes", "yes", "no"], "yes"),
    ],
)
def test_verdict_is_a_strict_majority(answers, expected):
    assert s.verdict(answers) == expected


def test_share_leaves_out_not_applicable_and_ties():
    counts = s.TurnCounts(
        turn=1, respecting=3, not_respecting=1, not_applicable=5, no_majority=2
    )
    assert counts.decided == 4
    assert counts.share == 0.75
    assert s.TurnCounts(turn=2, not_applicable=3).share is None


def test_cluster_matrices_count_per_instruction_and_turn():
    ids, respecting, decided = s.cluster_matrices(
        [
            ("b", 1, "yes"),
            ("a", 1, "no"),
            ("a", 2, "yes"),
            ("a", 2, "not_applicable"),
            ("b", 2, s.NO_MAJORITY),
        ],
        turns=2,
    )
    assert ids == ["a", "b"]
    assert respecting.tolist() == [[0, 1], [1, 0]]
    assert decided.tolist() == [[1, 1], [1, 0]]


def test_identical_instructions_give_a_zero_width_interval():
    respecting = np.array([[1, 0], [1, 0], [1, 0]], dtype=float)
    decided = np.array([[2, 1], [2, 1], [2, 1]], dtype=float)
    low, high = s.clustered_bootstrap(respecting, decided, resamples=200, seed=3)
    assert low.tolist() == high.tolist() == [0.5, 0.0]


def test_two_instructions_known_case():
    """Instruction A always respects, B never (one reply each): a resample's share
    is the share of draws that are A, so 0, 1/2 or 1 with chances 1/4, 1/2, 1/4;
    the 2.5th and 97.5th percentiles are 0 and 1, and the mean near 1/2."""
    respecting = np.array([[1.0], [0.0]])
    decided = np.array([[1.0], [1.0]])
    low, high = s.clustered_bootstrap(respecting, decided, resamples=4000, seed=1)
    assert (low[0], high[0]) == (0.0, 1.0)


def test_a_turn_with_no_decided_reply_has_no_interval():
    low, high = s.clustered_bootstrap(
        np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), resamples=10, seed=0
    )
    assert low[0] == high[0] == 1.0
    assert np.isnan(low[1])
    assert np.isnan(high[1])


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(5)
    respecting = rng.integers(0, 3, size=(6, 4)).astype(float)
    decided = respecting + rng.integers(0, 3, size=(6, 4))
    first = s.clustered_bootstrap(respecting, decided, resamples=300, seed=9)
    again = s.clustered_bootstrap(respecting, decided, resamples=300, seed=9)
    assert np.array_equal(first[0], again[0], equal_nan=True)
    assert np.array_equal(first[1], again[1], equal_nan=True)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=8)
)
def test_interval_brackets_lie_within_the_instruction_shares(cells):
    """Every resample's share is a weighted mean of the instructions' shares, so the
    interval lies between the smallest and the largest of them."""
    respecting = np.array([[min(r, d)] for r, d in cells], dtype=float)
    decided = np.array([[d] for _, d in cells], dtype=float)
    low, high = s.clustered_bootstrap(respecting, decided, resamples=50, seed=0)
    shares = [r / d for r, d in zip(respecting[:, 0], decided[:, 0], strict=True) if d]
    if not shares:
        assert np.isnan(low[0])
        assert np.isnan(high[0])
    else:
        assert min(shares) - 1e-12 <= low[0] <= high[0] <= max(shares) + 1e-12


def test_dialogue_messages_feed_each_reply_into_the_next_turn():
    probes = ["Hi", "Tell me about tea", "And coffee?"]
    assert dialogue_messages("Answer in haiku.", probes, ["r1", "r2"], 3) == [
        {"role": "system", "content": "Answer in haiku."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "r1"},
        {"role": "user", "content": "Tell me about tea"},
        {"role": "assistant", "content": "r2"},
        {"role": "user", "content": "And coffee?"},
    ]
    assert dialogue_messages("S", probes, [], 1)[-1] == {
        "role": "user",
        "content": "Hi",
    }
    with pytest.raises(ValueError, match="needs 1 replies"):
        dialogue_messages("S", probes, [], 2)


def test_context_note_says_where_and_why():
    assert context_note(4, 1203, 1000) == (
        "stopped before turn 4: the prompt would need 1203 tokens, over the "
        "context limit 1000"
    )
    assert context_note(2, None, 500).startswith("stopped before turn 2: the server")
