"""Leasing pairs to annotators and recording their answers (DESIGN.md sections 4 and 7).

Locking protocol, the same on every path that can add an occupied slot to a pair:
lock the comparison row first (``SELECT ... FOR NO KEY UPDATE``, which leaves
foreign-key inserts free; ``SKIP LOCKED`` when looking for work), then count its ratings and live leases in a fresh statement, then
write. Under PostgreSQL's READ COMMITTED each statement sees the latest commits, so
the count under the lock is exact; the unique constraints on (comparison, annotator)
back the rule. SQLite runs every transaction with BEGIN IMMEDIATE, so they serialize.

An annotator holds at most one live lease per evaluation: asking for work again
returns the same lease (a reload, a second tab). A lease that expired may be taken
again by the same annotator; their assignment row is reused with its first side order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import allocation, scales
from ..models import Assignment, Comparison, Rating
from . import pair_queries
from .assignment_errors import (
    AssignmentEnded,
    AssignmentError,
    EvaluationClosed,
    InvalidAnswer,
    LeaseLost,
    NotInPool,
)
from .leasing import assignment_next

__all__ = [
    "AssignmentEnded",
    "AssignmentError",
    "EvaluationClosed",
    "InvalidAnswer",
    "LeaseLost",
    "NotInPool",
    "SubmitResult",
    "assignment_flag",
    "assignment_next",
    "assignment_skip",
    "assignments_expire",
    "rating_submit",
]

State = Assignment.State
_DONE_STATES = (State.SUBMITTED, State.SKIPPED, State.FLAGGED)
MAX_SECONDS = 24 * 3600
MAX_COMMENT = 2000


@dataclass(frozen=True)
class SubmitResult:
    rating: Rating
    created: bool


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _locked_assignment(*, assignment_id: int, annotator: AbstractBaseUser):
    try:
        comparison = (
            Comparison.objects.select_for_update(of=("self",), no_key=True)
            .select_related("evaluation")
            .get(assignments__pk=assignment_id, assignments__annotator=annotator)
        )
    except Comparison.DoesNotExist:
        raise Assignment.DoesNotExist(assignment_id) from None
    assignment = Assignment.objects.select_for_update(no_key=True).get(pk=assignment_id)
    return comparison, assignment


def _clean_seconds(seconds: object, assignment: Assignment, now: datetime) -> float:
    if seconds is None or seconds == "":
        return max(0.0, (now - assignment.leased_at).total_seconds())
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise InvalidAnswer(f"seconds: {seconds!r} is not a number") from None
    if not 0 <= value <= MAX_SECONDS:
        raise InvalidAnswer(f"seconds: {value} is outside 0 to {MAX_SECONDS}")
    return value


def rating_submit(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    choice: object,
    seconds: object = None,
    comment: str = "",
    now: datetime | None = None,
) -> SubmitResult:
    """Record the annotator's answer, as shown and from the candidate's point of view.

    A repeated submit of the same assignment returns the first rating with
    ``created=False``. A late submit is accepted while the pair still has room and
    refused with LeaseLost once its slot went to someone else. Raises
    Assignment.DoesNotExist for another annotator's assignment.
    """
    now = _now(now)
    with transaction.atomic():
        comparison, assignment = _locked_assignment(
            assignment_id=assignment_id, annotator=annotator
        )
        if assignment.state == State.SUBMITTED:
            return SubmitResult(
                rating=Rating.objects.get(assignment=assignment), created=False
            )
        if assignment.state in (State.SKIPPED, State.FLAGGED):
            raise AssignmentEnded(f"You already {assignment.state} this pair.")
        evaluation = comparison.evaluation
        try:
            value = scales.parse_choice(evaluation.scale, choice)
        except ValueError as error:
            raise InvalidAnswer(f"choice: {error}") from None
        spent = _clean_seconds(seconds, assignment, now)
        ratings, leases = pair_queries.occupied_by_others(
            comparison_id=comparison.pk, user_id=annotator.pk, now=now
        )
        if not allocation.has_room(
            occupied_by_others=ratings + leases, per_pair=evaluation.annotators_per_pair
        ):
            raise LeaseLost(
                "Your time on this pair ran out and it went to another annotator, "
                "so this answer was not recorded. Please continue with the next pair."
            )
        rating = Rating.objects.create(
            comparison=comparison,
            annotator=annotator,
            assignment=assignment,
            scale=evaluation.scale,
            choice=value,
            candidate_on_left=assignment.candidate_on_left,
            score=scales.candidate_score(
                value, candidate_on_left=assignment.candidate_on_left
            ),
            seconds=spent,
            comment=(comment or "")[:MAX_COMMENT],
            created_at=now,
        )
        assignment.state = State.SUBMITTED
        assignment.ended_at = now
        assignment.save(update_fields=["state", "ended_at"])
        if ratings + 1 >= evaluation.annotators_per_pair:
            comparison.stage = Comparison.Stage.COMPLETE
            comparison.save(update_fields=["stage"])
    return SubmitResult(rating=rating, created=True)


def _end(
    *, assignment_id: int, annotator, state: str, comment: str, now: datetime | None
) -> Assignment:
    now = _now(now)
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update(no_key=True).get(
            pk=assignment_id, annotator=annotator
        )
        if assignment.state == state:
            return assignment
        if assignment.state in _DONE_STATES:
            raise AssignmentEnded(f"You already {assignment.state} this pair.")
        assignment.state = state
        assignment.ended_at = now
        assignment.comment = (comment or "")[:MAX_COMMENT]
        assignment.save(update_fields=["state", "ended_at", "comment"])
    return assignment


def assignment_skip(
    *, assignment_id: int, annotator: AbstractBaseUser, now: datetime | None = None
) -> Assignment:
    """Give the pair back; it is never offered to this annotator again."""
    return _end(
        assignment_id=assignment_id,
        annotator=annotator,
        state=State.SKIPPED,
        comment="",
        now=now,
    )


def assignment_flag(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    comment: str = "",
    now: datetime | None = None,
) -> Assignment:
    """Report a broken pair with an optional comment; the slot goes back to the pool."""
    return _end(
        assignment_id=assignment_id,
        annotator=annotator,
        state=State.FLAGGED,
        comment=comment,
        now=now,
    )


def assignments_expire(*, now: datetime | None = None) -> int:
    """Mark leases past their expiry as expired; returns how many. Housekeeping only:
    an expired lease already frees its slot whether or not this has run."""
    now = _now(now)
    with transaction.atomic():
        return Assignment.objects.filter(
            state=State.LEASED, expires_at__lte=now
        ).update(state=State.EXPIRED, ended_at=now)
