"""Shares of outcomes: the headline, the breakdowns and their groups."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .base import Bounds, Value


@dataclass(frozen=True)
class ShareBounds(Value):
    """An interval (low, high) for each share."""

    win: Bounds
    tie: Bounds
    loss: Bounds
    win_no_ties: Bounds


@dataclass(frozen=True)
class DesignEffect(Value):
    """What a cluster-robust Wilson interval was taken at: the design effect over
    prompts and the effective sample size, n / design effect."""

    design_effect: float | None
    n_effective: float | None


@dataclass(frozen=True)
class ShareDesignEffects(Value):
    """A ``DesignEffect`` for each share."""

    win: DesignEffect
    tie: DesignEffect
    loss: DesignEffect
    win_no_ties: DesignEffect


@dataclass(frozen=True)
class SequenceBounds(Value):
    """The always-valid 95 % confidence sequence now (``Definitions.sequence``
    names it): its interval of the win rate over the ``pairs`` complete pairs and
    of win / (win + loss) over the ``decisive`` ones, taken in the order the pairs
    completed. Valid however often it is looked at, so wider than ``interval``."""

    win: Bounds
    win_no_ties: Bounds
    pairs: int
    decisive: int


@dataclass(frozen=True)
class Headline(Value):
    """Win, tie and loss shares over all outcomes, with both kinds of interval.

    ``interval`` is the one the options chose. Shares are None without outcomes;
    the counts are None then too (and left out of the JSON, as they always were).
    Under the ``rating`` aggregation ``wilson`` is cluster-robust and
    ``wilson_design_effects`` says what it was taken at (None otherwise).
    ``reliable`` is False with fewer than ``MIN_GROUP_PROMPTS`` prompts.
    """

    OMIT_NONE = frozenset({"wins", "ties", "losses"})

    win: float | None
    tie: float | None
    loss: float | None
    win_no_ties: float | None
    n: int
    wins: int | None
    ties: int | None
    losses: int | None
    bootstrap: ShareBounds
    wilson: ShareBounds
    interval: ShareBounds
    n_prompts: int
    n_pairs: int
    n_ratings: int
    rule: str
    reliable: bool
    wilson_design_effects: ShareDesignEffects | None = None
    sequence: SequenceBounds | None = None

    def bounds(self, share: str) -> Bounds:
        """The chosen interval of one share ("win", "tie", "loss", "win_no_ties")."""
        return getattr(self.interval, share)


@dataclass(frozen=True)
class BreakdownRow(Value):
    """Shares and interval bounds of one group of a breakdown (a category, ...).

    ``reliable`` is False with fewer than ``MIN_GROUP_PROMPTS`` prompts: its
    interval is not drawn. The design effects and effective sizes are those of a
    cluster-robust Wilson interval (the ``rating`` aggregation), None otherwise.
    """

    group: str | int
    n_prompts: int
    win: float | None
    tie: float | None
    loss: float | None
    win_no_ties: float | None
    n: int
    wins: int
    ties: int
    losses: int
    win_low: float | None
    win_high: float | None
    tie_low: float | None
    tie_high: float | None
    loss_low: float | None
    loss_high: float | None
    win_no_ties_low: float | None
    win_no_ties_high: float | None
    reliable: bool
    win_design_effect: float | None = None
    win_n_effective: float | None = None
    tie_design_effect: float | None = None
    tie_n_effective: float | None = None
    loss_design_effect: float | None = None
    loss_n_effective: float | None = None
    win_no_ties_design_effect: float | None = None
    win_no_ties_n_effective: float | None = None

    def bounds(self, share: str) -> Bounds:
        return (getattr(self, f"{share}_low"), getattr(self, f"{share}_high"))


@dataclass(frozen=True)
class Breakdowns(Value):
    """The breakdowns of a head-to-head report, one table each."""

    category: tuple[BreakdownRow, ...]
    turns: tuple[BreakdownRow, ...]
    turn_kind: tuple[BreakdownRow, ...]
    quintile: tuple[BreakdownRow, ...]
    collection_method: tuple[BreakdownRow, ...]

    def sections(self) -> list[tuple[str, tuple[BreakdownRow, ...]]]:
        """(name, rows) of every breakdown, in order."""
        return [(item.name, getattr(self, item.name)) for item in fields(self)]

    def section(self, name: str) -> tuple[BreakdownRow, ...]:
        """The rows of one breakdown; KeyError for an unknown name."""
        if name not in {item.name for item in fields(self)}:
            raise KeyError(name)
        return getattr(self, name)


@dataclass(frozen=True)
class QuintileEdge(Value):
    """The words of the shortest and longest pair in one word-count quintile."""

    quintile: int
    min_words: int
    max_words: int
    n: int


@dataclass(frozen=True)
class PromptCounts(Value):
    prompts: int
    single_turn: int
    multi_turn: int
