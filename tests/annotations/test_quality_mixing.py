"""The mixing rule of quality-control items and the items' opaque tokens: pure, no
database."""

from collections import Counter

import pytest

from annotations import item_tokens
from annotations.quality_mixing import ItemKind, item_kind


def kinds(seed: int, items: int, gold: float, repeat: float) -> list[ItemKind]:
    return [
        item_kind(order_seed=seed, served=n, gold_rate=gold, repeat_rate=repeat)
        for n in range(items)
    ]


def test_the_draw_is_the_same_for_the_same_seed_and_count():
    assert kinds(7, 200, 0.2, 0.1) == kinds(7, 200, 0.2, 0.1)
    assert kinds(7, 200, 0.2, 0.1) != kinds(8, 200, 0.2, 0.1)


@pytest.mark.parametrize(("gold", "repeat"), [(0.2, 0.1), (0.05, 0.3), (0.5, 0.5)])
def test_the_rates_are_honoured_over_many_items(gold, repeat):
    """Over 20,000 items the shares are within 0.015 of the rates (a binomial share
    at p <= 0.5 has a standard error of at most 0.0035: 0.015 is over 4 of them)."""
    items = 20_000
    counts = Counter(kinds(12345, items, gold, repeat))
    assert abs(counts[ItemKind.GOLD] / items - gold) < 0.015
    assert abs(counts[ItemKind.REPEAT] / items - repeat) < 0.015
    assert abs(counts[ItemKind.PAIR] / items - (1 - gold - repeat)) < 0.015


def test_rates_of_zero_serve_only_pairs_and_one_serves_only_checks():
    assert set(kinds(3, 500, 0, 0)) == {ItemKind.PAIR}
    assert set(kinds(3, 500, 1, 0)) == {ItemKind.GOLD}
    assert set(kinds(3, 500, 0, 1)) == {ItemKind.REPEAT}


def test_a_token_names_its_item_and_tells_nothing_apart():
    key = b"k" * 32
    pair = item_tokens.token_for(key=key, kind=item_tokens.PAIR, pk=41)
    check = item_tokens.token_for(key=key, kind=item_tokens.CHECK, pk=41)
    assert item_tokens.token_read(key=key, token=pair) == (item_tokens.PAIR, 41)
    assert item_tokens.token_read(key=key, token=check) == (item_tokens.CHECK, 41)
    assert len(pair) == len(check) == 16
    assert pair != check
    # Another key reads something else, never the same item.
    assert item_tokens.token_read(key=b"x" * 32, token=pair) != (item_tokens.PAIR, 41)


@pytest.mark.parametrize("token", ["", "zz", "0" * 15, "g" * 16, "0" * 17])
def test_anything_else_is_not_a_token(token):
    assert item_tokens.token_read(key=b"k", token=token) is None
