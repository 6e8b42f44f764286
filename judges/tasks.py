"""Celery tasks of the judges app: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from generations.backends import TransientBackendError
from generations.tasks import PUBLISH_BATCH, SOFT_TIME_LIMIT, backoff_seconds

from .services import execution


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 60,
)
def judgement_judge(self, judgement_id: int, run_id: int | None = None) -> str:
    """Judge one pair in one order; idempotent, retried on transient errors only."""
    final = self.request.retries >= settings.EVALSITE_GENERATION_MAX_RETRIES
    countdown = None if final else backoff_seconds(self.request.retries)
    try:
        return execution.judgement_execute(
            judgement_id=judgement_id,
            run_id=run_id,
            final_attempt=final,
            retry_in=countdown,
        )
    except TransientBackendError as exc:
        raise self.retry(countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        execution.judgement_release(
            judgement_id=judgement_id,
            run_id=run_id,
            error=f"soft time limit of {SOFT_TIME_LIMIT}s exceeded",
            final_attempt=final,
            retry_in=countdown,
        )
        if final:
            return "failed"
        raise self.retry(countdown=countdown) from None


@shared_task(acks_late=True)
def run_dispatch(run_id: int, judgement_ids: list[int]) -> int:
    """Enqueue one judging task per id, in publish batches; returns how many."""
    app = judgement_judge.app
    with app.producer_or_acquire() as producer, producer.batch(max_size=PUBLISH_BATCH):
        for judgement_id in judgement_ids:
            judgement_judge.apply_async((judgement_id, run_id), producer=producer)
    return len(judgement_ids)
