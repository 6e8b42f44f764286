"""Celery tasks of the annotations app: thin wrappers around its services."""

from __future__ import annotations

import logging

from celery import shared_task

from .services.stopping import evaluation_stop_check

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def evaluation_stop(evaluation_id: int, comparison_id: int | None = None) -> bool:
    """Check an evaluation's stopping rule; idempotent."""
    return evaluation_stop_check(
        evaluation_id=evaluation_id, comparison_id=comparison_id
    )


def stop_check_queue(*, evaluation_id: int, comparison_id: int | None = None) -> None:
    """Queue the stopping check after a rating was committed (to ``comparison_id``);
    a broker outage is logged, not raised (the rating is stored; the next pair
    completed queues the check again)."""
    try:
        evaluation_stop.delay(evaluation_id, comparison_id)
    except Exception as error:
        logger.warning("stopping check not queued: %r", error)
