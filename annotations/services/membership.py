"""An annotator's standing in an evaluation's pool: pausing and resuming them, and
what their quota and completion are.

A pause takes effect at once: the loop reads the membership row under its lock
(leasing.py), so no new pair is leased after the pause commits, and answers to
pairs leased before it are refused (assignments.py). Their unfinished leases are
then released, each under its pair's row lock as the locking protocol asks
(assignments.py), so the pairs return to the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..models import Assignment, Comparison, Evaluation, PoolMember, QualityTask
from . import stages

State = Assignment.State


@dataclass(frozen=True)
class Completion:
    """What an annotator whose quota is done is given: a code to paste back into a
    crowd platform, or an address to be sent to (either may be empty)."""

    code: str
    url: str


def annotator_pause(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    message: str = "",
    now: datetime | None = None,
) -> int:
    """Pause the annotator in the evaluation (no new pairs; ``message`` is shown to
    them) and release their unfinished leases; returns how many were released.
    Raises PoolMember.DoesNotExist when they are not in the pool. Pausing a paused
    annotator keeps the first pause's time and takes the new message."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        member = PoolMember.objects.select_for_update().get(
            evaluation=evaluation, user=annotator
        )
        member.paused_at = member.paused_at or now
        member.pause_message = message
        member.save(update_fields=["paused_at", "pause_message"])
    # Committed: from here on the loop refuses them, so the leases read below are
    # all they will ever hold until resumed.
    with transaction.atomic(durable=True):
        return _leases_release(evaluation=evaluation, annotator=annotator, now=now)


def annotator_resume(*, evaluation: Evaluation, annotator: AbstractBaseUser) -> None:
    """Let a paused annotator take pairs again. Raises PoolMember.DoesNotExist when
    they are not in the pool."""
    with transaction.atomic(durable=True):
        member = PoolMember.objects.select_for_update().get(
            evaluation=evaluation, user=annotator
        )
        member.paused_at = None
        member.pause_message = ""
        member.save(update_fields=["paused_at", "pause_message"])


def _leases_release(
    *, evaluation: Evaluation, annotator: AbstractBaseUser, now: datetime
) -> int:
    leases = Assignment.objects.filter(
        comparison__evaluation=evaluation, annotator=annotator, state=State.LEASED
    )
    comparison_ids = sorted(set(leases.values_list("comparison_id", flat=True)))
    # The pairs' row locks first, in id order, as every path of the loop takes them.
    list(
        Comparison.objects.select_for_update(no_key=True)
        .filter(pk__in=comparison_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    released = leases.filter(comparison_id__in=comparison_ids).update(
        state=State.EXPIRED, ended_at=now
    )
    stages.stages_refresh(comparison_ids=comparison_ids)
    QualityTask.objects.filter(
        evaluation=evaluation, annotator=annotator, state=QualityTask.State.LEASED
    ).update(state=QualityTask.State.EXPIRED)
    return released


def completion_for(
    *, evaluation: Evaluation, annotator: AbstractBaseUser
) -> Completion | None:
    """The completion of an annotator whose quota is done, None otherwise. The code
    and address come from the invitation they joined by, else the evaluation."""
    member = (
        PoolMember.objects.select_related("invitation")
        .filter(evaluation=evaluation, user=annotator, completed_at__isnull=False)
        .first()
    )
    if member is None:
        return None
    invitation = member.invitation
    return Completion(
        code=(invitation and invitation.completion_code) or evaluation.completion_code,
        url=(invitation and invitation.completion_url) or evaluation.completion_url,
    )
