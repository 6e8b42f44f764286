"""The method assignment rule and the side that answers each turn, by hand."""

import pytest

from generations.authoring_methods import METHODS, method_assign, sides_for_turn


def test_no_dialogues_yet_picks_the_largest_target_share():
    # n = 0: deficits are the shares themselves, 0.1 0.2 0.3 0.4 -> alternating.
    targets = {"chatgpt": 1, "llama2chat": 2, "best_of_both": 3, "alternating": 4}
    assert method_assign(targets=targets, counts={}) == "alternating"


def test_the_method_furthest_behind_its_share():
    """Shares 0.25 each, counts 3 1 2 2 (n = 8, next is the 9th).

    Deficits 0.25 * 9 - count: 2.25-3 = -0.75, 2.25-1 = 1.25, 0.25, 0.25 -> llama2chat.
    """
    counts = {"chatgpt": 3, "llama2chat": 1, "best_of_both": 2, "alternating": 2}
    assert method_assign(targets={}, counts=counts) == "llama2chat"


def test_ties_go_in_the_fixed_order():
    # Equal shares, counts 1 0 0 1 (n = 2): deficits -0.25 0.75 0.75 -0.25.
    counts = {"chatgpt": 1, "alternating": 1}
    assert method_assign(targets={}, counts=counts) == "llama2chat"
    assert method_assign(targets={}, counts={}) == METHODS[0]


def test_uneven_targets_against_counts():
    """Targets 0.5 / 0.5 on a and c, none on b and d; counts a=2, c=1 (n = 3).

    Deficits: a 0.5*4-2 = 0, b 0, c 0.5*4-1 = 1, d 0 -> best_of_both.
    After one more c (c=2, n=4): a 0.5*5-2 = 0.5, b 0, c 0.5, d 0 -> tie a/c -> a.
    """
    targets = {"chatgpt": 0.5, "best_of_both": 0.5}
    assert method_assign(targets=targets, counts={"chatgpt": 2, "best_of_both": 1}) == (
        "best_of_both"
    )
    assert method_assign(targets=targets, counts={"chatgpt": 2, "best_of_both": 2}) == (
        "chatgpt"
    )


def test_a_zero_share_method_is_never_furthest_behind_while_others_lag():
    targets = {"llama2chat": 1}
    for n in range(5):
        assert method_assign(targets=targets, counts={"llama2chat": n}) == "llama2chat"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("chatgpt", [("a",), ("a",), ("a",)]),
        ("llama2chat", [("b",), ("b",), ("b",)]),
        ("best_of_both", [("a", "b")] * 3),
        ("alternating", [("a",), ("b",), ("a",)]),
    ],
)
def test_sides_answering_each_turn(method, expected):
    assert [sides_for_turn(method, turn) for turn in range(3)] == expected


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        sides_for_turn("gpt4", 0)
