"""Word counts of prompts and responses, stored when their text is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def count_words(text: str) -> int:
    """Words of one text: runs of non-whitespace, as ``str.split()`` finds them."""
    return len(text.split())


def count_turn_words(turns: Iterable[Mapping[str, str]]) -> int:
    """Words of a dialogue: every turn's content, system turns included."""
    return sum(count_words(turn["content"]) for turn in turns)
