"""The consistency report: share of replies respecting the instruction at each turn,
per chat model, with instruction-clustered bootstrap intervals (statistics.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import selectors, statistics
from .models import MAX_PROBES, ConsistencyEvaluation

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
MAX_RESAMPLES = 10_000
MAX_SEED = 2**32 - 1
RULES = (
    "A reply's verdict is the answer of more than half of its N annotators. It "
    "respects the instruction when that verdict is yes, and does not when it is no. "
    "Replies whose majority says not applicable, and replies without a majority, are "
    "left out of the share and counted. Only replies with all N answers count. "
    "Share = respecting / (respecting + not respecting). 95% interval: percentile "
    "bootstrap resampling instructions with replacement."
)


@dataclass(frozen=True)
class TurnRow:
    chat_model: str
    turn: int
    replies: int
    complete: int
    respecting: int
    not_respecting: int
    not_applicable: int
    no_majority: int
    share: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class ConsistencyReport:
    evaluation: str
    chat_models: tuple[str, ...]
    turns: int
    annotators_per_reply: int
    resamples: int
    seed: int
    rules: str
    rows: tuple[TurnRow, ...]

    def rows_of(self, chat_model: str) -> list[TurnRow]:
        return [row for row in self.rows if row.chat_model == chat_model]

    def by_turn(self) -> list[tuple[int, list[TurnRow]]]:
        """Table 30's layout: one line per turn, one cell per chat model."""
        return [
            (turn, [r for r in self.rows if r.turn == turn])
            for turn in range(1, self.turns + 1)
        ]


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def consistency_report(
    *,
    evaluation: ConsistencyEvaluation,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> ConsistencyReport:
    """The report of ``evaluation`` (only replies with all N answers are judged)."""
    per_reply = evaluation.annotators_per_reply
    models = tuple(m.name for m in evaluation.chat_models.order_by("name"))
    probes = evaluation.instructions.values_list("probes", flat=True)
    turns = min(MAX_PROBES, max((len(p) for p in probes), default=0))
    stored = selectors.replies_per_turn(evaluation=evaluation)
    answered = selectors.reply_answers(evaluation=evaluation)
    rows = []
    for model in models:
        verdicts = [
            (r.instruction, r.turn, statistics.verdict(r.answers))
            for r in answered
            if r.chat_model == model and len(r.answers) >= per_reply
        ]
        _, respecting, decided = statistics.cluster_matrices(verdicts, turns)
        low, high = statistics.clustered_bootstrap(
            respecting, decided, resamples=resamples, seed=seed
        )
        for turn in range(1, turns + 1):
            at = [v for _, t, v in verdicts if t == turn]
            counts = statistics.TurnCounts(
                turn=turn,
                respecting=at.count(statistics.YES),
                not_respecting=at.count(statistics.NO),
                not_applicable=at.count(statistics.NOT_APPLICABLE),
                no_majority=at.count(statistics.NO_MAJORITY),
            )
            rows.append(
                TurnRow(
                    chat_model=model,
                    turn=turn,
                    replies=stored.get((model, turn), 0),
                    complete=len(at),
                    respecting=counts.respecting,
                    not_respecting=counts.not_respecting,
                    not_applicable=counts.not_applicable,
                    no_majority=counts.no_majority,
                    share=counts.share,
                    low=_num(low[turn - 1]) if counts.share is not None else None,
                    high=_num(high[turn - 1]) if counts.share is not None else None,
                )
            )
    return ConsistencyReport(
        evaluation=evaluation.name,
        chat_models=models,
        turns=turns,
        annotators_per_reply=per_reply,
        resamples=resamples,
        seed=seed,
        rules=RULES,
        rows=tuple(rows),
    )
