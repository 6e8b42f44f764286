"""Recording the annotators' answers (rate, skip, flag) and expiring leases.

Locking protocol, the same on every path that can add an occupied slot to a pair:
lock the comparison row first (``SELECT ... FOR NO KEY UPDATE``, which leaves
foreign-key inserts free; ``SKIP LOCKED`` when looking for work), then count its
ratings and live leases in a fresh statement (the write's own statement, which
writes only when the count leaves room), then write. Under PostgreSQL's READ
COMMITTED each statement sees the latest commits, so the count under the lock is
exact; the unique constraints on (comparison, annotator) back the rule. SQLite runs
every transaction with BEGIN IMMEDIATE, so they serialize.

Every change to an assignment is made holding its comparison's row lock: answers lock
it before they read the assignment, leases hold it from the window, and expiry locks
the pairs it expires (skipping pairs locked by others, whose leases wait for the next
run). Answers and leases of one annotator in one evaluation take their pool
membership row after any comparison lock; whoever holds a membership row only ever
waits for comparison rows with ``SKIP LOCKED``, so these locks cannot deadlock. Nor
does anyone sleep waiting for pairs while holding one another may wait for: an
answer that finds every open pair locked commits, then leases in a second
transaction (answering.py), and an import takes all its pairs at once with
``SKIP LOCKED``, letting go while some are busy (import_slots.py).

An annotator holds at most one live lease per evaluation: asking for work again
returns the same lease (a reload, a second tab). A lease that expired may be taken
again by the same annotator; their assignment row is reused with its first side order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import scales
from ..models import Assignment, Evaluation, Rating
from . import answer_queries, stages
from .answer_values import choice_clean, safety_labels_clean, seconds_clean
from .assignment_errors import (
    AssignmentEnded,
    AssignmentError,
    EvaluationClosed,
    EvaluationStopped,
    InvalidAnswer,
    LeaseLost,
    NotInPool,
    PairsBusy,
    Paused,
    QuotaDone,
)
from .leasing import PAUSED, assignment_next

__all__ = [
    "Action",
    "AssignmentEnded",
    "AssignmentError",
    "EvaluationClosed",
    "EvaluationStopped",
    "InvalidAnswer",
    "LeaseLost",
    "NotInPool",
    "PairsBusy",
    "Paused",
    "QuotaDone",
    "Recorded",
    "SubmitResult",
    "answer_record",
    "assignment_flag",
    "assignment_next",
    "assignment_skip",
    "assignments_expire",
    "rating_submit",
]

State = Assignment.State
_DONE_STATES = (State.SUBMITTED, State.SKIPPED, State.FLAGGED)
MAX_COMMENT = 2000
LEASE_LOST = (
    "Your time on this pair ran out and it went to another annotator, "
    "so this answer was not recorded. Please continue with the next pair."
)
ALREADY_IMPORTED = (
    "A rating of yours for this pair was already recorded (imported), "
    "so this answer was not recorded. Please continue with the next pair."
)
NO_LONGER_IN_POOL = (
    "You are no longer in this evaluation's annotator pool, "
    "so this answer was not recorded."
)
CLOSED = "This evaluation is closed, so this answer was not recorded."


class Action(StrEnum):
    """The three answers an annotator can give to a pair."""

    RATE = "rate"
    SKIP = "skip"
    FLAG = "flag"


_ENDS = {Action.SKIP: State.SKIPPED, Action.FLAG: State.FLAGGED}


@dataclass(frozen=True)
class SubmitResult:
    rating: Rating
    created: bool


@dataclass(frozen=True)
class Recorded:
    """An answer as stored: ``created`` is False when the assignment already had this
    answer (the first one stands); ``refusal`` says why nothing was stored:
    LeaseLost, AssignmentEnded, or NotInPool and EvaluationClosed, after which the
    annotator gets no next pair."""

    assignment: Assignment
    rating: Rating | None = None
    created: bool = False
    refusal: AssignmentError | None = None


def answer_record(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    action: Action,
    choice: object = None,
    seconds: object = None,
    comment: str = "",
    safety_a: object = None,
    safety_b: object = None,
    now: datetime,
) -> Recorded:
    """Store one answer inside the caller's transaction, which then refreshes the
    pair's stage. Loads the assignment once, with its comparison (locked) and
    evaluation. Raises Assignment.DoesNotExist for another annotator's assignment
    and InvalidAnswer for a bad choice or time, having written nothing.

    An answer that would store something is refused (NotInPool, EvaluationClosed,
    Paused) when the annotator has left the pool, the evaluation is closed or they
    are paused in it; their lease
    is then released (expired), so its slot returns to the pair. Answers already
    stored are reported as before.
    """
    assignment = answer_queries.assignment_answered(
        assignment_id=assignment_id, user_id=annotator.pk
    )
    if assignment.state not in _DONE_STATES:
        refusal = _barred(assignment)
        if refusal is not None:
            return _released(assignment, refusal=refusal, now=now)
    if action == Action.RATE:
        return _rate(
            assignment,
            choice=choice,
            seconds=seconds,
            comment=comment,
            safety=(safety_a, safety_b),
            now=now,
        )
    return _end(assignment, state=_ENDS[action], comment=comment, now=now)


def _rate(
    assignment: Assignment,
    *,
    choice: object,
    seconds: object,
    comment: str,
    safety: tuple[object, object],
    now,
) -> Recorded:
    comparison = assignment.comparison
    evaluation = comparison.evaluation
    # The answer is checked first: a bad one re-sent for a pair already answered is
    # refused as the first would have been, not taken for a repeat.
    value = choice_clean(evaluation.scale, choice)
    safety_a, safety_b = safety_labels_clean(
        evaluation, safety_a=safety[0], safety_b=safety[1]
    )
    spent = seconds_clean(seconds, leased_at=assignment.leased_at, now=now)
    if assignment.state == State.SUBMITTED:
        return _already_rated(assignment)
    if assignment.state in _DONE_STATES:
        return Recorded(assignment, refusal=_ended(assignment.state))
    room = (comparison.pk, assignment.annotator_id, evaluation.annotators_per_pair)
    if not answer_queries.assignment_end(
        assignment_id=assignment.pk, state=State.SUBMITTED, now=now, room=room
    ):
        # The assignment was answered meanwhile (read before our lock was granted),
        # an import stored the annotator's rating of the pair, or others fill it.
        state, rated = answer_queries.assignment_state(assignment_id=assignment.pk)
        if state == State.SUBMITTED:
            return _already_rated(assignment)
        if state in _DONE_STATES:
            return Recorded(assignment, refusal=_ended(state))
        if rated:
            assignment.state = state
            return _released(
                assignment, refusal=AssignmentEnded(ALREADY_IMPORTED), now=now
            )
        return Recorded(assignment, refusal=LeaseLost(LEASE_LOST))
    rating = answer_queries.rating_insert(
        comparison_id=comparison.pk,
        annotator_id=assignment.annotator_id,
        assignment_id=assignment.pk,
        scale=evaluation.scale,
        choice=value,
        candidate_on_left=assignment.candidate_on_left,
        score=scales.candidate_score(
            value, candidate_on_left=assignment.candidate_on_left
        ),
        safety_a=safety_a,
        safety_b=safety_b,
        seconds=spent,
        comment=(comment or "")[:MAX_COMMENT],
        created_at=now,
    )
    assignment.state = State.SUBMITTED
    assignment.ended_at = now
    return Recorded(assignment, rating=rating, created=True)


def _already_rated(assignment: Assignment) -> Recorded:
    rating = Rating.objects.filter(
        comparison_id=assignment.comparison_id, annotator_id=assignment.annotator_id
    ).first()
    if rating is None:  # deleted since, by a researcher
        return Recorded(assignment, refusal=_ended(State.SUBMITTED))
    return Recorded(assignment, rating=rating)


def _barred(assignment: Assignment) -> AssignmentError | None:
    """Why the annotator may no longer answer in this evaluation, if they may not."""
    if assignment.comparison.evaluation.status != Evaluation.Status.OPEN:
        return EvaluationClosed(CLOSED)
    if not assignment.in_pool:
        return NotInPool(NO_LONGER_IN_POOL)
    if assignment.paused is not None:
        return Paused(assignment.paused or PAUSED)
    return None


def _released(
    assignment: Assignment, *, refusal: AssignmentError, now: datetime
) -> Recorded:
    """Refuse the answer and end the lease (expired), so its slot returns."""
    if assignment.state == State.LEASED:
        answer_queries.assignment_end(
            assignment_id=assignment.pk, state=State.EXPIRED, now=now
        )
        assignment.state = State.EXPIRED
        assignment.ended_at = now
    return Recorded(assignment, refusal=refusal)


def _ended(state: str) -> AssignmentEnded:
    return AssignmentEnded(f"You already {state} this pair.")


def _end(assignment: Assignment, *, state: str, comment: str, now) -> Recorded:
    if assignment.state == state:
        return Recorded(assignment)
    if assignment.state in _DONE_STATES:
        return Recorded(assignment, refusal=_ended(assignment.state))
    comment = (comment or "")[:MAX_COMMENT]
    if not answer_queries.assignment_end(
        assignment_id=assignment.pk, state=state, now=now, comment=comment
    ):
        current = Assignment.objects.values_list("state", flat=True).get(
            pk=assignment.pk
        )
        return Recorded(
            assignment, refusal=None if current == state else _ended(current)
        )
    assignment.state = state
    assignment.ended_at = now
    assignment.comment = comment
    return Recorded(assignment, created=True)


def _recorded(now: datetime | None, **answer) -> Recorded:
    with transaction.atomic(durable=True):
        recorded = answer_record(**answer, now=now or timezone.now())
        stages.stages_refresh(comparison_ids=[recorded.assignment.comparison_id])
    # Raised once committed: a refusal may have released the lease.
    if recorded.refusal is not None:
        raise recorded.refusal
    return recorded


def rating_submit(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    choice: object,
    seconds: object = None,
    comment: str = "",
    safety_a: object = None,
    safety_b: object = None,
    now: datetime | None = None,
) -> SubmitResult:
    """Record the annotator's answer, as shown and from the candidate's point of view.

    A repeated submit of the same assignment returns the first rating with
    ``created=False``. A late submit is accepted while the pair still has room and
    refused with LeaseLost once its slot went to someone else. Raises
    Assignment.DoesNotExist for another annotator's assignment.
    """
    recorded = _recorded(
        now,
        assignment_id=assignment_id,
        annotator=annotator,
        action=Action.RATE,
        choice=choice,
        seconds=seconds,
        comment=comment,
        safety_a=safety_a,
        safety_b=safety_b,
    )
    return SubmitResult(rating=recorded.rating, created=recorded.created)


def assignment_skip(
    *, assignment_id: int, annotator: AbstractBaseUser, now: datetime | None = None
) -> Assignment:
    """Give the pair back; it is never offered to this annotator again."""
    return _recorded(
        now, assignment_id=assignment_id, annotator=annotator, action=Action.SKIP
    ).assignment


def assignment_flag(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    comment: str = "",
    now: datetime | None = None,
) -> Assignment:
    """Report a broken pair with an optional comment; the slot goes back to the pool."""
    return _recorded(
        now,
        assignment_id=assignment_id,
        annotator=annotator,
        action=Action.FLAG,
        comment=comment,
    ).assignment


def assignments_expire(*, now: datetime | None = None) -> int:
    """Mark leases past their expiry as expired; returns how many. Housekeeping only:
    an expired lease already frees its slot whether or not this has run."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        comparison_ids = answer_queries.leases_expire(now=now)
        stages.stages_refresh(comparison_ids=comparison_ids)
    return len(comparison_ids)
