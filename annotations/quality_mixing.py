"""Which kind of item an annotator is served next: a normal pair, a gold pair or a
repeat of one of their own rated pairs. A pure rule (no Django), reproducible from
the annotator's order seed and how many items they have been served."""

from __future__ import annotations

import random
from enum import StrEnum


class ItemKind(StrEnum):
    PAIR = "pair"
    GOLD = "gold"
    REPEAT = "repeat"


REPEAT_GAP = 3
"""A rating is repeated only once the annotator has rated at least this many pairs
after it, so the repeat is not recognised from memory of the last click."""


def item_rng(order_seed: int, served: int) -> random.Random:
    """The random stream of the annotator's ``served``-th item (0-based)."""
    return random.Random(f"{order_seed}:{served}")


def item_kind(
    *, order_seed: int, served: int, gold_rate: float, repeat_rate: float
) -> ItemKind:
    """The kind of the annotator's ``served``-th item: gold with probability
    ``gold_rate``, repeat with ``repeat_rate``, else a normal pair. The same
    arguments always give the same kind. The caller falls back to a normal pair when
    no item of the drawn kind is available."""
    if gold_rate <= 0 and repeat_rate <= 0:
        return ItemKind.PAIR
    draw = item_rng(order_seed, served).random()
    if draw < gold_rate:
        return ItemKind.GOLD
    if draw < gold_rate + repeat_rate:
        return ItemKind.REPEAT
    return ItemKind.PAIR
