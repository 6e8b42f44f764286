"""Answering a quality-control item (a gold pair or a repeat) and leasing the
annotator's next item, in one transaction: the check's counterpart of
answering.answer_submit. A check's answer is stored on its QualityTask only: never a
Rating, and no comparison, assignment or slot is touched.

Locks: the annotator's pool membership row, then the task's row. Leasing takes the
membership row before any task row, and pair answers take it after their pair's row
only, so these cannot deadlock (assignments.py, locking protocol).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import scales
from ..models import Evaluation, QualityTask
from . import pair_queries, stages
from .answer_values import choice_clean, seconds_clean
from .assignment_errors import (
    AssignmentEnded,
    AssignmentError,
    EvaluationClosed,
    LeaseLost,
    NotInPool,
    PairsBusy,
    Paused,
    QuotaDone,
)
from .assignments import CLOSED, LEASE_LOST, NO_LONGER_IN_POOL, Action
from .leasing import PAUSED
from .quality import pause_message, quality_check_annotator
from .quality_serving import item_lease, item_next

TaskState = QualityTask.State
_STOPS = (NotInPool, EvaluationClosed, Paused, QuotaDone)
_NOTICES = {
    Action.SKIP: "Skipped.",
    Action.FLAG: "Flagged; thank you for reporting it.",
}
ALREADY = "That pair was already submitted; your first answer stands."


@dataclass(frozen=True)
class CheckOutcome:
    """What one click on a check did, as answering.AnswerOutcome says it for a pair:
    ``task`` as stored now, ``created`` when this click stored the answer,
    ``refusal`` why it stored nothing, ``following`` the next item (Assignment or
    QualityTask) or None, ``notice`` for the annotator, ``stopped`` why no next
    item came although pairs may be left."""

    task: QualityTask
    evaluation: Evaluation
    created: bool
    refusal: AssignmentError | None
    following: object | None
    notice: str
    stopped: AssignmentError | None = None


def after_answer(
    *, evaluation: Evaluation, annotator: AbstractBaseUser
) -> Paused | None:
    """Runs after every answer an annotator gives (pair or check), once committed:
    where the evaluation pauses on quality warnings, their figures are checked and
    they are paused when they cross a threshold (services/quality.py). Costs
    nothing otherwise.

    Returns the pause when this answer caused it: the item leased with the answer
    went back to the pool with the annotator's other leases, so the caller hands out
    the pause's message instead of that item."""
    if not evaluation.qc_pause:
        return None
    check = quality_check_annotator(evaluation=evaluation, annotator=annotator)
    if not check.paused:
        return None
    return Paused(pause_message(check.quality))


def check_answer_submit(
    *,
    task_id: int,
    annotator: AbstractBaseUser,
    action: Action | str,
    choice: object = None,
    seconds: object = None,
    comment: str = "",
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> CheckOutcome:
    """Answer a check (rate with ``choice`` and ``seconds``; skip; flag, which on a
    check ends it as skipped, keeping ``comment`` for the admins) and lease the
    annotator's next item.

    Raises QualityTask.DoesNotExist for another annotator's task and InvalidAnswer
    for a bad choice or time, having stored nothing. An answer after the annotator
    left the pool, was paused or the evaluation closed is refused, the task expired,
    and nothing is leased; one after the task expired is refused (LeaseLost) and
    the next item leased all the same.
    """
    action = Action(action)
    now = now or timezone.now()
    evaluation_id = (
        QualityTask.objects.filter(pk=task_id, annotator=annotator)
        .values_list("evaluation_id", flat=True)
        .get()
    )
    with transaction.atomic(durable=True):
        member = pair_queries.membership_lock(
            evaluation_id=evaluation_id, user_id=annotator.pk
        )
        task = (
            QualityTask.objects.select_for_update(of=("self",))
            .select_related("evaluation")
            .get(pk=task_id, annotator=annotator)
        )
        evaluation = task.evaluation
        refusal, created, notes = _barred(evaluation, member), False, []
        if refusal is not None:
            if task.state == TaskState.LEASED:
                task.state = TaskState.EXPIRED
                task.save(update_fields=["state"])
            return CheckOutcome(task, evaluation, False, refusal, None, "")
        # The answer is checked first: a bad one re-sent for a check already
        # answered is refused as the first would have been.
        answer = None
        if action == Action.RATE:
            answer = (
                choice_clean(evaluation.scale, choice),
                seconds_clean(seconds, leased_at=task.leased_at, now=now),
            )
        if task.state == TaskState.ANSWERED:
            notes.append(ALREADY)
        elif task.state == TaskState.SKIPPED:
            if action == Action.RATE:
                refusal = AssignmentEnded("You already skipped this pair.")
        elif task.state == TaskState.EXPIRED:
            refusal = LeaseLost(LEASE_LOST)
        else:
            _store(task, action=action, answer=answer, comment=comment, now=now)
            created = True
            notes.append(_NOTICES.get(action, ""))
        if refusal is not None:
            notes.append(refusal.message)
        following, new, busy, stopped = None, False, False, None
        try:
            following, new = item_lease(
                evaluation=evaluation, annotator=annotator, now=now, rng=rng, wait=False
            )
        except _STOPS as error:
            notes.append(error.message)
            stopped = error
        except PairsBusy:
            busy = True
        if new and not isinstance(following, QualityTask):
            stages.stages_refresh(comparison_ids=[following.comparison_id])
    if busy:
        try:
            following = item_next(
                evaluation=evaluation, annotator=annotator, now=now, rng=rng
            )
        except (*_STOPS, PairsBusy) as error:
            notes.append(error.message)
            stopped = error if isinstance(error, _STOPS) else None
    if created and (paused := after_answer(evaluation=evaluation, annotator=annotator)):
        following, stopped = None, paused
        notes.append(paused.message)
    return CheckOutcome(
        task=task,
        evaluation=evaluation,
        created=created,
        refusal=refusal,
        following=following,
        notice=" ".join(note for note in notes if note),
        stopped=stopped,
    )


def _barred(
    evaluation: Evaluation, member: pair_queries.Member | None
) -> AssignmentError | None:
    if evaluation.status != Evaluation.Status.OPEN:
        return EvaluationClosed(CLOSED)
    if member is None:
        return NotInPool(NO_LONGER_IN_POOL)
    if member.paused:
        return Paused(member.pause_message or PAUSED)
    return None


def _store(
    task: QualityTask,
    *,
    action: Action,
    answer: tuple[int, float] | None,
    comment: str,
    now,
) -> None:
    """Store the answer on the task: a rate's ``answer`` is its checked (choice,
    seconds). The score is from the candidate's view: the gold pair's candidate
    generation, or the repeated pair's candidate."""
    if action != Action.RATE:  # a flag on a check ends it as a skip, kept flagged
        task.state = TaskState.SKIPPED
        task.answered_at = now
        # Its note was thrown away while the annotator read "thank you for
        # reporting it" (a new-user pass): the admins find it on the check.
        task.flagged = action == Action.FLAG
        task.comment = comment if task.flagged else ""
        task.save(update_fields=["state", "answered_at", "flagged", "comment"])
        return
    value, spent = answer
    task.state = TaskState.ANSWERED
    task.choice = value
    task.score = scales.candidate_score(value, candidate_on_left=task.candidate_on_left)
    task.seconds = spent
    task.answered_at = now
    task.save(update_fields=["state", "choice", "score", "seconds", "answered_at"])
