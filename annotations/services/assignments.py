"""Leasing pairs to annotators and recording their answers (DESIGN.md sections 4 and 7).

Locking protocol, the same on every path that can add an occupied slot to a pair:
lock the comparison row first (``SELECT ... FOR UPDATE``; ``SKIP LOCKED`` when
looking for work), then count its ratings and live leases in a fresh statement, then
write. Under PostgreSQL's READ COMMITTED each statement sees the latest commits, so
the count under the lock is exact; the unique constraints on (comparison, annotator)
back the rule. SQLite runs every transaction with BEGIN IMMEDIATE, so they serialize.

An annotator holds at most one live lease per evaluation: asking for work again
returns the same lease (a reload, a second tab). A lease that expired may be taken
again by the same annotator; their assignment row is reused with its first side order.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import allocation, scales
from ..models import Assignment, Comparison, Evaluation, Rating

State = Assignment.State
_DONE_STATES = (State.SUBMITTED, State.SKIPPED, State.FLAGGED)
_WINDOW = 8
_RETRIES = 50
MAX_SECONDS = 24 * 3600
MAX_COMMENT = 2000


class AssignmentError(Exception):
    """A refused request; ``message`` is meant for the annotator."""

    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotInPool(AssignmentError):
    code = "not_in_pool"


class EvaluationClosed(AssignmentError):
    code = "closed"


class LeaseLost(AssignmentError):
    code = "lease_lost"


class AssignmentEnded(AssignmentError):
    code = "ended"


class InvalidAnswer(AssignmentError):
    code = "invalid"


@dataclass(frozen=True)
class SubmitResult:
    rating: Rating
    created: bool


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _live_leases(now: datetime) -> Q:
    return Q(state=State.LEASED, expires_at__gt=now)


def _count(queryset) -> Subquery:
    counted = queryset.values("comparison").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), Value(0))


def _occupied_by_others(*, comparison_id: int, annotator_id: int, now: datetime) -> int:
    ratings = (
        Rating.objects.filter(comparison_id=comparison_id)
        .exclude(annotator_id=annotator_id)
        .count()
    )
    leases = (
        Assignment.objects.filter(_live_leases(now), comparison_id=comparison_id)
        .exclude(annotator_id=annotator_id)
        .count()
    )
    return ratings + leases


def open_pairs(*, evaluation: Evaluation, annotator: AbstractBaseUser, now: datetime):
    """Comparisons this annotator could still take, annotated with ``occupied``.

    Leaves out pairs the annotator finished, skipped, flagged or holds a live lease on.
    """
    ratings = Rating.objects.filter(comparison=OuterRef("pk"))
    leases = Assignment.objects.filter(_live_leases(now), comparison=OuterRef("pk"))
    mine = Assignment.objects.filter(
        Q(state__in=_DONE_STATES) | _live_leases(now),
        comparison=OuterRef("pk"),
        annotator=annotator,
    )
    mine_rated = Rating.objects.filter(comparison=OuterRef("pk"), annotator=annotator)
    return (
        Comparison.objects.filter(evaluation=evaluation)
        .annotate(occupied=_count(ratings) + _count(leases))
        .filter(occupied__lt=evaluation.annotators_per_pair)
        .exclude(Exists(mine))
        .exclude(Exists(mine_rated))
    )


def _own_states(annotator_id: int, ids: list[int], now: datetime) -> dict:
    own = {}
    rows = Assignment.objects.filter(annotator_id=annotator_id, comparison_id__in=ids)
    for comparison_id, state, expires_at in rows.values_list(
        "comparison_id", "state", "expires_at"
    ):
        if state in _DONE_STATES:
            own[comparison_id] = allocation.OwnState.DONE
        elif allocation.is_live(state=state, expires_at=expires_at, now=now):
            own[comparison_id] = allocation.OwnState.LEASED
        else:
            own[comparison_id] = allocation.OwnState.LEASE_EXPIRED
    return own


def _lease(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    candidate: allocation.Candidate,
    now: datetime,
    rng: random.Random | None,
) -> Assignment:
    expires_at = allocation.lease_expiry(now, minutes=evaluation.lease_minutes)
    if candidate.own == allocation.OwnState.LEASE_EXPIRED:
        assignment = Assignment.objects.select_for_update().get(
            comparison_id=candidate.comparison_id, annotator=annotator
        )
        assignment.state = State.LEASED
        assignment.leased_at = now
        assignment.expires_at = expires_at
        assignment.ended_at = None
        assignment.save(update_fields=["state", "leased_at", "expires_at", "ended_at"])
        return assignment
    return Assignment.objects.create(
        comparison_id=candidate.comparison_id,
        annotator=annotator,
        candidate_on_left=allocation.draw_candidate_on_left(rng),
        state=State.LEASED,
        leased_at=now,
        expires_at=expires_at,
    )


def assignment_next(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Assignment | None:
    """Lease the next pair to ``annotator``; None when nothing is left for them.

    Returns the annotator's live lease in this evaluation if they hold one. Raises
    NotInPool or EvaluationClosed.
    """
    now = _now(now)
    if not evaluation.pool.filter(pk=annotator.pk).exists():
        raise NotInPool("You are not in this evaluation's annotator pool.")
    if evaluation.status != Evaluation.Status.OPEN:
        raise EvaluationClosed("This evaluation is closed.")
    per_pair = evaluation.annotators_per_pair
    with transaction.atomic():
        # Serialize one annotator's own requests (two tabs asking at once).
        list(
            get_user_model()
            .objects.select_for_update()
            .filter(pk=annotator.pk)
            .values_list("pk", flat=True)
        )
        current = (
            Assignment.objects.filter(
                _live_leases(now),
                comparison__evaluation=evaluation,
                annotator=annotator,
            )
            .order_by("leased_at")
            .first()
        )
        if current is not None:
            return current
        for attempt in range(_RETRIES):
            pairs = open_pairs(evaluation=evaluation, annotator=annotator, now=now)
            window = list(
                pairs.order_by("-occupied", "pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "occupied")[:_WINDOW]
            )
            own = _own_states(annotator.pk, [pk for pk, _ in window], now)
            candidates = [
                allocation.Candidate(
                    pk, occupied, own.get(pk, allocation.OwnState.NONE)
                )
                for pk, occupied in window
            ]
            for candidate in allocation.rank(candidates, per_pair=per_pair):
                others = _occupied_by_others(
                    comparison_id=candidate.comparison_id,
                    annotator_id=annotator.pk,
                    now=now,
                )
                if allocation.has_room(occupied_by_others=others, per_pair=per_pair):
                    return _lease(
                        evaluation=evaluation,
                        annotator=annotator,
                        candidate=candidate,
                        now=now,
                        rng=rng,
                    )
            # Nothing free in the window: either the work is done, or every open pair
            # is locked by someone leasing it right now; wait for those to commit.
            if not pairs.exists():
                return None
            time.sleep(0.002 * (attempt + 1))
    return None


def _locked_assignment(*, assignment_id: int, annotator: AbstractBaseUser):
    comparison_id = (
        Assignment.objects.filter(pk=assignment_id, annotator=annotator)
        .values_list("comparison_id", flat=True)
        .first()
    )
    if comparison_id is None:
        raise Assignment.DoesNotExist(assignment_id)
    comparison = (
        Comparison.objects.select_for_update(of=("self",))
        .select_related("evaluation")
        .get(pk=comparison_id)
    )
    assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
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
        others = _occupied_by_others(
            comparison_id=comparison.pk, annotator_id=annotator.pk, now=now
        )
        if not allocation.has_room(
            occupied_by_others=others, per_pair=evaluation.annotators_per_pair
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
    return SubmitResult(rating=rating, created=True)


def _end(
    *, assignment_id: int, annotator, state: str, comment: str, now: datetime | None
) -> Assignment:
    now = _now(now)
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(
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
