"""A tournament's leaderboard, per-pair results, win matrix and how they were fitted."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Value

TIE_TEXT = {
    "half": "Bradley-Terry, a tie counting as half a win for each model",
    "davidson": "Bradley-Terry with Davidson's tie parameter nu (fitted)",
}


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
class PairResult(Value):
    """The votes between two models, from ``model``'s side, with 95% intervals."""

    model: str
    opponent: str
    n: int
    wins: int
    ties: int
    losses: int
    win: float | None
    tie: float | None
    loss: float | None
    win_low: float | None
    win_high: float | None
    tie_low: float | None
    tie_high: float | None
    loss_low: float | None
    loss_high: float | None

    def bounds(self, share: str) -> tuple[float | None, float | None]:
        """The interval of ``share`` ("win", "tie" or "loss")."""
        return getattr(self, f"{share}_low"), getattr(self, f"{share}_high")


@dataclass(frozen=True)
class TournamentMethod(Value):
    """Exactly what a tournament's numbers were computed with (as they ran)."""

    ties: str  # "half" or "davidson"
    tie_parameter: float | None  # Davidson's nu; None for ties as half wins
    tie_parameter_low: float | None
    tie_parameter_high: float | None
    resamples: int  # prompt draws made (0: no intervals)
    seed: int
    level: float
    cluster: str  # what a resample draws: "prompt"
    n_clusters: int

    @property
    def model_text(self) -> str:
        text = TIE_TEXT[self.ties]
        if self.tie_parameter is not None:
            text += f", nu = {self.tie_parameter:.3f}"
        return text

    @property
    def interval_text(self) -> str:
        if self.resamples == 0:
            return "no intervals (0 resamples)"
        return (
            f"{self.level:.0%} percentile bootstrap over {self.cluster}s (all of a "
            f"{self.cluster}'s votes drawn together; {self.n_clusters} "
            f"{self.cluster}s), {self.resamples} resamples, seed {self.seed}; "
            "the model refitted on each resample"
        )


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
    fitted: TournamentMethod
    pairs: tuple[PairResult, ...]
