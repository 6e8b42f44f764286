"""Celery tasks of the annotations app: thin wrappers around its services."""

from __future__ import annotations

import logging

from celery import shared_task

from .services.stopping import evaluation_stop_check

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def evaluation_stop(evaluation_id: int) -> bool:
    """Check an evaluation's stopping rule; idempotent."""
    return evaluation_stop_check(evaluation_id=evaluation_id)


def stop_check_queue(*, evaluation_id: int) -> None:
    """Queue the stopping check after an answer was committed; a broker outage is
    logged, not raised (the annotator's answer is stored; the next answer queues
    the check again)."""
    try:
        evaluation_stop.delay(evaluation_id)
    except Exception as error:
        logger.warning("stopping check not queued: %r", error)
