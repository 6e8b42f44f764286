"""Celery tasks of the judges app: thin wrappers around the services, with the
generation tasks' retries, time limits and publish batches (generations/tasks.py)."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.utils import timezone

from generations.tasks import (
    SOFT_TIME_LIMIT,
    TIME_LIMIT,
    attempt_with_retries,
    publish_all,
)

from .services import execution, rows


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def judgement_judge(self, judgement_id: int, run_id: int | None = None) -> str:
    """Judge one pair in one order; idempotent, retried on transient errors only."""
    ids = {"judgement_id": judgement_id, "run_id": run_id}
    status = attempt_with_retries(
        self,
        execute=partial(execution.judgement_execute, **ids),
        release=partial(execution.judgement_release, **ids),
    )
    if status == execution.IN_FLIGHT and not self.request.is_eager:
        # Held by another delivery (a resume's, a racing start's: it is not sent
        # twice) or by a worker killed mid-request, whose redelivered task lands
        # here: look again once the claim runs out, when a dead worker's is taken
        # over. (Eagerly, nothing runs elsewhere to wait for.)
        left = rows.claim_remaining(judgement_id=judgement_id, now=timezone.now())
        self.apply_async((judgement_id, run_id), countdown=(left or 0) + 1)
    return status


@shared_task(acks_late=True)
def run_dispatch(run_id: int, judgement_ids: list[int]) -> int:
    """Enqueue one judging task per id, in publish batches; returns how many."""
    return publish_all(judgement_judge, ((j, run_id) for j in judgement_ids))
