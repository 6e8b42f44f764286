"""A judgement's writes: claim it, record its outcome, finish its run.

As for generations (generations/services/rows.py), each write is one UPDATE in
autocommit and idempotent: a judgement that is done or unparseable is never claimed
or written again, so a redelivered or duplicated task is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from generations.models import ChatModel

from ..models import Judgement, JudgeRun, JudgeTemplate

FINAL = (Judgement.Status.DONE, Judgement.Status.UNPARSEABLE)
OPEN = (Judgement.Status.PENDING, Judgement.Status.RUNNING)


@dataclass(frozen=True)
class Claimed:
    """What one judgement needs, read fresh when it is claimed."""

    chat_model: ChatModel | None
    template: JudgeTemplate | None
    scale: str
    candidate_on_left: bool
    turns: list[dict]
    candidate_text: str
    baseline_text: str

    @property
    def response_a(self) -> str:
        return self.candidate_text if self.candidate_on_left else self.baseline_text

    @property
    def response_b(self) -> str:
        return self.baseline_text if self.candidate_on_left else self.candidate_text


def judgement_claim(
    *, judgement_id: int, run_id: int | None, now: datetime
) -> Claimed | None:
    """Mark a judgement running (attempts + 1) and read what it needs.

    None when there is nothing to do: it is done or unparseable, or the run that
    sent the task is cancelled. The template is the judgement's own version, set
    when its run started or resumed (``runs.run_start``): one run, one version.
    """
    claimable = Judgement.objects.filter(pk=judgement_id).exclude(status__in=FINAL)
    if run_id is not None:
        cancelled = JudgeRun.objects.filter(pk=run_id, status=JudgeRun.Status.CANCELLED)
        claimable = claimable.exclude(Exists(cancelled))
    claimed = claimable.update(
        status=Judgement.Status.RUNNING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    judgement = Judgement.objects.select_related(
        "judge__chat_model",
        "template",
        "comparison__prompt",
        "comparison__candidate_generation",
        "comparison__baseline_generation",
    ).get(pk=judgement_id)
    comparison = judgement.comparison
    baseline = comparison.baseline_generation
    return Claimed(
        chat_model=judgement.judge.chat_model,
        template=judgement.template,
        scale=judgement.scale,
        candidate_on_left=judgement.candidate_on_left,
        turns=comparison.prompt.turns,
        candidate_text=comparison.candidate_generation.text,
        baseline_text=baseline.text if baseline else "",
    )


def judgement_record(*, judgement_id: int, fields: dict[str, Any]) -> bool:
    """Write ``fields`` unless the judgement is already done or unparseable.

    Returns whether the row was written (False: another delivery finished it first).
    """
    written = (
        Judgement.objects.filter(pk=judgement_id)
        .exclude(status__in=FINAL)
        .update(**fields)
    )
    return written == 1


def run_finish_if_complete(*, run_id: int) -> bool:
    """Finish the run if it is running and none of its judgements is open.

    One UPDATE (the run's open judgements are found by the (run, status) index);
    safe when its last judgements end at once.
    """
    open_left = Judgement.objects.filter(run=OuterRef("pk"), status__in=OPEN)
    finished = (
        JudgeRun.objects.filter(pk=run_id, status=JudgeRun.Status.RUNNING)
        .exclude(Exists(open_left))
        .update(status=JudgeRun.Status.FINISHED, finished_at=timezone.now())
    )
    return finished == 1
