"""A judgement's writes: claim it, record its outcome, finish its run.

As for generations (generations/services/rows.py), each write is one UPDATE in
autocommit and idempotent: a judgement that is done or unparseable is never claimed
or written again, so a redelivered or duplicated task is harmless. Nor is one in
flight (running, claimed within its ``claim_lease``): a resume, or starts racing,
queue the run's open judgements again, and a task for one being judged skips it
instead of sending it a second time. A claim older than its lease is a dead
worker's: it is taken over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from generations.models import ChatModel
from generations.services.execution import CONNECT_TIMEOUT
from generations.tasks import TIME_LIMIT

from ..models import Judgement, JudgeRun, JudgeTemplate

FINAL = (Judgement.Status.DONE, Judgement.Status.UNPARSEABLE)
OPEN = (Judgement.Status.PENDING, Judgement.Status.RUNNING)
# Requests a claim may wait for: the token count's two (a template, then its
# tokens), a server slot (waited for up to one request) and the judging request.
CLAIM_TRIES = 4


@dataclass(frozen=True)
class Claimed:
    """What one judgement needs, read fresh when it is claimed."""

    chat_model: ChatModel | None
    template: JudgeTemplate | None
    run_fingerprint: str  # empty: the run recorded none (or no run)
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


def claim_lease(request_timeout: float | None) -> timedelta:
    """How long a live worker can hold a judgement's claim, given its chat model's
    read timeout (None: no chat model, nothing to wait for): each of its requests
    up to the connect and read timeouts, plus the server slots' grace; never past
    the task's time limit, when its worker is killed."""
    if request_timeout is None:
        return timedelta(0)
    seconds = (
        CLAIM_TRIES * (CONNECT_TIMEOUT + request_timeout)
        + settings.EVALSITE_SERVER_SLOT_GRACE
    )
    return timedelta(seconds=min(seconds, TIME_LIMIT))


def _lease_of(judgement_id: int) -> timedelta:
    """The judgement's ``claim_lease``: by its run's chat model's timeout, or its
    judge's for a run that recorded none."""
    timeouts = (
        Judgement.objects.filter(pk=judgement_id)
        .order_by()
        .values_list(
            "run__chat_model__request_timeout", "judge__chat_model__request_timeout"
        )
        .first()
    )
    return claim_lease(next((t for t in timeouts or () if t is not None), None))


def claim_remaining(*, judgement_id: int, now: datetime) -> float | None:
    """Seconds until a judgement's claim runs out while it is running (in flight);
    None when it is not running or its claim already ran out."""
    claimed_at = (
        Judgement.objects.filter(pk=judgement_id, status=Judgement.Status.RUNNING)
        .values_list("claimed_at", flat=True)
        .first()
    )
    if claimed_at is None:
        return None
    left = (claimed_at + _lease_of(judgement_id) - now).total_seconds()
    return left if left > 0 else None


def judgement_claim(
    *, judgement_id: int, run_id: int | None, now: datetime
) -> Claimed | None:
    """Mark a judgement running (attempts + 1) and read what it needs.

    None when there is nothing to do: it is done or unparseable, in flight (running
    and claimed within its ``claim_lease``), or the run that sent the task is
    cancelled. The chat model is the run's (the judge's for a run that recorded
    none); the template is the judgement's own version, set when its run started or
    resumed (``runs.run_start``): one run, one model, one version.
    """
    lease = _lease_of(judgement_id)
    in_flight = Q(status=Judgement.Status.RUNNING, claimed_at__gt=now - lease)
    claimable = (
        Judgement.objects.filter(pk=judgement_id)
        .exclude(status__in=FINAL)
        .exclude(in_flight)
    )
    if run_id is not None:
        cancelled = JudgeRun.objects.filter(pk=run_id, status=JudgeRun.Status.CANCELLED)
        claimable = claimable.exclude(Exists(cancelled))
    # The next try is now: a running retry no longer waits for its server.
    claimed = claimable.update(
        status=Judgement.Status.RUNNING,
        attempts=F("attempts") + 1,
        claimed_at=now,
        updated_at=now,
        next_attempt_at=None,
    )
    if not claimed:
        return None
    judgement = Judgement.objects.select_related(
        "run__chat_model",
        "judge__chat_model",
        "template",
        "comparison__prompt",
        "comparison__candidate_generation",
        "comparison__baseline_generation",
    ).get(pk=judgement_id)
    run = judgement.run
    comparison = judgement.comparison
    baseline = comparison.baseline_generation
    return Claimed(
        chat_model=(run and run.chat_model) or judgement.judge.chat_model,
        template=judgement.template,
        run_fingerprint=run.chat_model_fingerprint if run else "",
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
