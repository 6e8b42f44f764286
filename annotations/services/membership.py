"""Pausing and resuming an annotator in an evaluation's pool.

Stand-in with the signatures the lead's module has (issue 15): take the lead's
version of this file when merging."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Assignment, Evaluation, PoolMember, QualityTask
from . import stages


def annotator_pause(
    *, evaluation: Evaluation, annotator, message: str, now: datetime | None = None
) -> None:
    """Pause the annotator: no new pairs; their unfinished leases are released."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        PoolMember.objects.filter(evaluation=evaluation, user=annotator).update(
            paused_at=now, pause_message=message
        )
        leased = Assignment.objects.filter(
            comparison__evaluation=evaluation,
            annotator=annotator,
            state=Assignment.State.LEASED,
        )
        comparison_ids = list(leased.values_list("comparison_id", flat=True))
        leased.update(state=Assignment.State.EXPIRED, ended_at=now)
        QualityTask.objects.filter(
            evaluation=evaluation, annotator=annotator, state=QualityTask.State.LEASED
        ).update(state=QualityTask.State.EXPIRED)
        if comparison_ids:
            stages.stages_refresh(comparison_ids=comparison_ids)


def annotator_resume(*, evaluation: Evaluation, annotator) -> None:
    with transaction.atomic(durable=True):
        PoolMember.objects.filter(evaluation=evaluation, user=annotator).update(
            paused_at=None, pause_message=""
        )
