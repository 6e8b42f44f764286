"""A tournament's leaderboard and pairwise win matrix."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Value


@dataclass(frozen=True)
class LeaderboardRow(Value):
    model: str
    score: float | None
    low: float | None
    high: float | None
    rank: int
    wins: int
    ties: int
    losses: int
    matches: int


@dataclass(frozen=True)
class WinMatrix(Value):
    """Share of the row model's matches against the column model that it won."""

    columns: tuple[str, ...]
    index: tuple[str, ...]
    data: tuple[tuple[float | None, ...], ...]

    def rows(self) -> list[tuple[str, tuple[float | None, ...]]]:
        """(row model, its shares against every column model)."""
        return list(zip(self.index, self.data, strict=True))


@dataclass(frozen=True)
class Tournament(Value):
    leaderboard: tuple[LeaderboardRow, ...]
    method: str
    win_matrix: WinMatrix
    n_outcomes: int
