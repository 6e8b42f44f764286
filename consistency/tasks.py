"""Celery tasks of the consistency app: thin wrappers around the services, with the
generation tasks' retries and time limits (generations/tasks.py)."""

from __future__ import annotations

from functools import partial

from celery import shared_task

from generations.tasks import (
    SOFT_TIME_LIMIT,
    TIME_LIMIT,
    attempt_with_retries,
    publish_all,
)

from .services import dialogues


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def dialogue_run(self, dialogue_id: int) -> str:
    """Take one dialogue through its turns; idempotent (stored turns are kept)."""
    return attempt_with_retries(
        self,
        execute=partial(dialogues.dialogue_execute, dialogue_id=dialogue_id),
        release=partial(dialogues.dialogue_release, dialogue_id=dialogue_id),
    )


@shared_task(acks_late=True)
def dialogues_dispatch(dialogue_ids: list[int]) -> int:
    """Enqueue one dialogue task per id; returns how many."""
    return publish_all(dialogue_run, ((d,) for d in dialogue_ids))
