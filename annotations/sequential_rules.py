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


def majority_outcome(scores: Sequence[float], *, threshold: float = 1) -> int:
    """A pair's outcome by the reports' default rule (``majority``, threshold 1):
    each score is a win (>= t), loss (<= -t) or tie; the outcome held by more than
    half of the ratings, a tie when none is. ``reports.statistics.pair_outcomes``
    is the same rule over frames (a test checks they agree)."""
    wins = sum(score >= threshold for score in scores)
    losses = sum(score <= -threshold for score in scores)
    if 2 * wins > len(scores):
        return 1
    if 2 * losses > len(scores):
        return -1
    return 0


def completion_ordered(
    ratings: Sequence[tuple[int, int, float]], *, per_pair: int
) -> list[int]:
    """Outcomes of the complete pairs in the order they completed.

    ``ratings``: (comparison id, rating id, score) rows. A pair is complete with
    ``per_pair`` ratings, and completed when its ``per_pair``-th rating was stored:
    rating ids follow the order ratings were stored (an imported rating's
    ``created_at`` may be older than the ones stored before it), so pairs come in
    the order of that rating's id. The report orders its pairs the same way.
    """
    by_pair: dict[int, list[tuple[int, float]]] = {}
    for comparison_id, rating_id, score in ratings:
        by_pair.setdefault(comparison_id, []).append((rating_id, score))
    complete = []
    for rows in by_pair.values():
        if len(rows) >= per_pair:
            rows.sort()
            outcome = majority_outcome([score for _, score in rows])
            complete.append((rows[per_pair - 1][0], outcome))
    complete.sort()
    return [outcome for _, outcome in complete]
