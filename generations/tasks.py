"""Celery tasks of the generations app: thin wrappers around the services."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from .backends import TransientBackendError
from .services import execution

SOFT_TIME_LIMIT = settings.EVALSITE_GENERATION_SOFT_TIME_LIMIT
# The hard limit of every inference task: its worker is killed then.
TIME_LIMIT = SOFT_TIME_LIMIT + 60
PUBLISH_BATCH = 200


logger = logging.getLogger(__name__)


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with jitter: half fixed, half random, capped."""
    ceiling = min(
        settings.EVALSITE_GENERATION_BACKOFF_MAX,
        settings.EVALSITE_GENERATION_BACKOFF * 2**retries,
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def attempt_with_retries(task, *, execute, release) -> str:
    """One delivery of an idempotent inference task (a generation, a judgement).

    ``execute(final_attempt=, retry_in=)`` does the work; a transient error is
    retried with backoff; a soft time limit has ``release(error=, final_attempt=,
    retry_in=)`` record the interruption, then retries, or fails on the last attempt.
    """
    final = task.request.retries >= settings.EVALSITE_GENERATION_MAX_RETRIES
    # Drawn before the attempt so that the item records when it is tried next.
    countdown = None if final else backoff_seconds(task.request.retries)
    try:
        return execute(final_attempt=final, retry_in=countdown)
    except TransientBackendError as exc:
        raise task.retry(countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        release(
            error=f"soft time limit of {SOFT_TIME_LIMIT}s exceeded",
            final_attempt=final,
            retry_in=countdown,
        )
        if final:
            return "failed"
        raise task.retry(countdown=countdown) from None
    except Exception as exc:
        # Neither the backend's error nor a time limit: a defect, or an outage
        # nothing named. Left uncaught it ended the task with its item still
        # "running", and its job never finished. Recorded like an interruption:
        # retried with backoff, failed with the error on the last attempt.
        logger.exception("unexpected error in %s", task.name)
        release(
            error=f"unexpected error: {exc!r}", final_attempt=final, retry_in=countdown
        )
        if final:
            return "failed"
        raise task.retry(countdown=countdown) from exc


def publish_all(task, arguments: Iterable[tuple]) -> int:
    """Enqueue ``task`` once per argument tuple; returns how many.

    One producer with kombu's publish batches: on Redis, messages go out in pipelines
    of ``PUBLISH_BATCH`` commands, half the CPU of one round trip each.
    """
    count = 0
    with (
        task.app.producer_or_acquire() as producer,
        producer.batch(max_size=PUBLISH_BATCH),
    ):
        for args in arguments:
            task.apply_async(args, producer=producer)
            count += 1
    return count


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def generation_generate(self, generation_id: int, job_id: int | None = None) -> str:
    """Generate one response; idempotent, retried on transient errors only."""
    ids = {"generation_id": generation_id, "job_id": job_id}
    return attempt_with_retries(
        self,
        execute=partial(execution.generation_execute, **ids),
        release=partial(execution.generation_release, **ids),
    )


@shared_task(acks_late=True)
def job_dispatch(job_id: int, generation_ids: list[int]) -> int:
    """Enqueue one generation task per id; returns how many."""
    return publish_all(generation_generate, ((g, job_id) for g in generation_ids))


@shared_task(acks_late=True)
def import_job_run(job_id: int) -> str:
    """Import a stored upload (services/import_jobs.py); a job that ended returns."""
    from .services import import_jobs

    return import_jobs.import_job_run(job_id=job_id)
