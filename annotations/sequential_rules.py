"""The stopping rules of a head-to-head evaluation, over its pair outcomes in the
order the pairs completed (-1 loss, 0 tie, 1 win): pure, no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .sequential import current_interval

DECIDED, WIDTH = "decided", "width"


@dataclass(frozen=True)
class SequenceNow:
    """The always-valid 95 % intervals after the last complete pair: of the win
    rate (over ``pairs``) and of win / (win + loss) (over ``decisive`` pairs)."""

    pairs: int
    decisive: int
    win: tuple[float, float]
    win_no_ties: tuple[float, float]


def sequence_now(outcomes: Sequence[int] | np.ndarray) -> SequenceNow:
    """The current intervals of both shares for outcomes in completion order."""
    values = np.asarray(outcomes, dtype=int)
    decisive = values[values != 0]
    return SequenceNow(
        pairs=len(values),
        decisive=len(decisive),
        win=current_interval((values == 1).astype(float)),
        win_no_ties=current_interval((decisive == 1).astype(float)),
    )


def stop_reason(
    now: SequenceNow, *, rule: str, width: float | None, min_pairs: int
) -> str:
    """Why the evaluation stops now, as a sentence; "" while it goes on.

    ``decided``: the win / (win + loss) interval excludes 50 %; ``width``: the
    win-rate interval is narrower than ``width``. Never before ``min_pairs``
    complete pairs (nor before the first).
    """
    if now.pairs < max(min_pairs, 1):
        return ""
    if rule == DECIDED:
        low, high = now.win_no_ties
        if low > 0.5 or high < 0.5:
            side = "the candidate" if low > 0.5 else "the baseline"
            return (
                f"Stopped after {now.pairs} pairs: the always-valid 95 % sequence "
                f"for win / (win + loss), {low:.2f} to {high:.2f}, excludes 50 % "
                f"({side} is preferred)."
            )
    elif rule == WIDTH and width is not None:
        low, high = now.win
        if high - low < width:
            return (
                f"Stopped after {now.pairs} pairs: the always-valid 95 % sequence "
                f"for the win rate, {low:.2f} to {high:.2f}, is narrower than "
                f"{width:.2f}."
            )
    return ""
