"""The consistency report's arithmetic: pure functions over plain data, no Django.

A reply's verdict is the answer given by more than half of its N answers (a strict
majority); without one it has no verdict. A reply *respects* the instruction when its
verdict is yes; a reply whose verdict is no does not; replies whose verdict is
not applicable, and replies without a majority, are left out of the share (and
counted). The share at a turn is respecting / (respecting + not respecting).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

YES, NO, NOT_APPLICABLE = "yes", "no", "not_applicable"
NO_MAJORITY = "no_majority"


def verdict(answers: Sequence[str]) -> str:
    """The answer held by more than half of ``answers``, else NO_MAJORITY."""
    if not answers:
        return NO_MAJORITY
    answer, count = Counter(answers).most_common(1)[0]
    return answer if 2 * count > len(answers) else NO_MAJORITY


@dataclass(frozen=True)
class TurnCounts:
    """Replies at one turn of one chat model, by verdict."""

    turn: int
    respecting: int = 0
    not_respecting: int = 0
    not_applicable: int = 0
    no_majority: int = 0

    @property
    def decided(self) -> int:
        return self.respecting + self.not_respecting

    @property
    def share(self) -> float | None:
        return self.respecting / self.decided if self.decided else None


def cluster_matrices(
    verdicts: Sequence[tuple[str, int, str]], turns: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(instruction ids, respecting, decided) from (instruction, turn, verdict) rows
    of complete replies: two (instructions x turns) count matrices."""
    ids = sorted({instruction for instruction, _, _ in verdicts})
    index = {instruction: row for row, instruction in enumerate(ids)}
    respecting = np.zeros((len(ids), turns))
    decided = np.zeros((len(ids), turns))
    for instruction, turn, value in verdicts:
        if value in (YES, NO):
            decided[index[instruction], turn - 1] += 1
            respecting[index[instruction], turn - 1] += value == YES
    return ids, respecting, decided


def clustered_bootstrap(
    respecting: np.ndarray, decided: np.ndarray, *, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile intervals (low, high) of the share at each turn.

    The rows of ``respecting`` and ``decided`` (instructions x turns) are the
    clusters: each resample draws as many instructions with replacement and keeps
    all replies of a drawn one. A turn with no decided reply in a resample is left
    out of that turn's percentiles; a turn with none at all gets NaN.
    """
    clusters, turns = respecting.shape
    if clusters == 0:
        empty = np.full(turns, np.nan)
        return empty, empty.copy()
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(clusters, np.full(clusters, 1 / clusters), resamples)
    num, den = weights @ respecting, weights @ decided
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(den > 0, num / den, np.nan)
    low, high = np.full(turns, np.nan), np.full(turns, np.nan)
    for turn in range(turns):
        column = shares[:, turn]
        column = column[~np.isnan(column)]
        if column.size:
            low[turn], high[turn] = np.percentile(column, [2.5, 97.5])
    return low, high
