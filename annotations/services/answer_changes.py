"""The annotator's own controls over answers already given: change one of their last
ratings while its pair is not complete, and undo a skip within a few seconds. Every
change is written down as AnswerChange rows (old and new value).

Both follow the locking protocol of assignments.py: the pair's row is locked
(``FOR NO KEY UPDATE``) before anything about it is read, so "not complete" and "has
room" are read exactly, as the answers and leases that fill pairs see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import scales, selectors
from ..models import (
    AnswerChange,
    Assignment,
    Comparison,
    Evaluation,
    PoolMember,
    Rating,
)
from . import stages
from .answer_values import choice_clean, safety_label_clean
from .assignment_errors import (
    AssignmentError,
    EvaluationClosed,
    InvalidAnswer,
    NotInPool,
    Paused,
)
from .assignments import MAX_COMMENT, NO_LONGER_IN_POOL
from .leasing import PAUSED

# How long after a skip the annotator may take it back.
UNDO_SECONDS = 10
State = Assignment.State
UNCHANGED = object()


class NotEditable(AssignmentError):
    """The rating is no longer among those the annotator may change."""

    code = "not_editable"


class UndoRefused(AssignmentError):
    """The skip can no longer be taken back."""

    code = "undo_refused"


OUTSIDE_WINDOW = (
    "Only your last {n} ratings in this evaluation can be changed; this one is older."
)
PAIR_COMPLETE = (
    "This pair has all its ratings now, so your rating of it can no longer be changed."
)
CLOSED = "This evaluation is closed, so answers can no longer be changed."
NO_LONGER_IN_POOL_CHANGE = (
    "You are no longer in this evaluation's annotator pool, so your answers there "
    "can no longer be changed."
)
UNDO_TOO_LATE = f"A skip can only be undone within {UNDO_SECONDS} seconds."
UNDO_NOT_SKIPPED = "That pair is not skipped, so there is nothing to undo."
UNDO_FULL = (
    "Other annotators took the last place on that pair meanwhile, so the skip "
    "cannot be undone."
)


@dataclass(frozen=True)
class Revision:
    """A rating as stored after ``rating_revise``, and the changes written (none
    when nothing differed)."""

    rating: Rating
    changes: list[AnswerChange]


def comment_clean(comment: object, *, field: str = "comment") -> str:
    """A rationale or flag comment as stored: text of at most MAX_COMMENT characters
    without NUL (PostgreSQL text cannot hold it). InvalidAnswer names ``field``."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise InvalidAnswer(field, "expected text")
    if len(comment) > MAX_COMMENT:
        raise InvalidAnswer(
            field, f"at most {MAX_COMMENT} characters (got {len(comment)})"
        )
    if "\x00" in comment:
        raise InvalidAnswer(field, "contains a NUL character")
    return comment


def _pair_lock(comparison_id: int) -> Comparison:
    return Comparison.objects.select_for_update(no_key=True).get(pk=comparison_id)


def _own_rating(rating_id: int, annotator: AbstractBaseUser) -> Rating:
    return Rating.objects.select_related("comparison__evaluation").get(
        pk=rating_id, annotator=annotator, source=Rating.Source.NATIVE
    )


def rating_revise(
    *,
    rating_id: int,
    annotator: AbstractBaseUser,
    choice: object = UNCHANGED,
    comment: object = UNCHANGED,
    safety_a: object = UNCHANGED,
    safety_b: object = UNCHANGED,
    now: datetime | None = None,
) -> Revision:
    """Change the choice (as shown, on the evaluation's scale), the rationale and
    the safety labels (safe or unsafe, of the responses shown as A and B; only where
    the evaluation asks for them) of one of the annotator's own ratings; a field
    left UNCHANGED is kept.

    Allowed while the rating is among the annotator's last ``edit_window`` native
    ratings in its evaluation, the evaluation is open, the annotator is in its pool,
    and the pair is not complete (read under the pair's row lock). The score is recomputed from the side order the
    annotator was shown. Writes one AnswerChange per field that differs and nothing
    when none does. Raises Rating.DoesNotExist for another annotator's rating (or an
    imported one), InvalidAnswer naming the field for a bad value, NotEditable,
    EvaluationClosed or NotInPool when the rating may no longer change; having
    written nothing.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        comparison_id = (
            Rating.objects.filter(
                pk=rating_id, annotator=annotator, source=Rating.Source.NATIVE
            )
            .values_list("comparison_id", flat=True)
            .get()
        )
        comparison = _pair_lock(comparison_id)
        rating = _own_rating(rating_id, annotator)
        evaluation = rating.comparison.evaluation
        new = {}
        if choice is not UNCHANGED:
            new["choice"] = choice_clean(evaluation.scale, choice)
        if comment is not UNCHANGED:
            new["comment"] = comment_clean(comment)
        for name, value in (("safety_a", safety_a), ("safety_b", safety_b)):
            if value is not UNCHANGED:
                new[name] = safety_label_clean(evaluation, name, value)
        _check_editable(rating, evaluation, comparison)
        changes = [
            AnswerChange(
                assignment_id=rating.assignment_id,
                rating=rating,
                changed_by=annotator,
                changed_at=now,
                field=field,
                old_value=str(getattr(rating, field)),
                new_value=str(value),
            )
            for field, value in new.items()
            if getattr(rating, field) != value
        ]
        if not changes:
            return Revision(rating=rating, changes=[])
        fields = [change.field for change in changes]
        for field in fields:
            setattr(rating, field, new[field])
        if "choice" in fields:
            rating.score = scales.candidate_score(
                rating.choice, candidate_on_left=rating.candidate_on_left
            )
            fields.append("score")
        rating.full_clean(validate_unique=False)
        rating.save(update_fields=fields)  # post_save: reports see the change
        AnswerChange.objects.bulk_create(changes)
    return Revision(rating=rating, changes=changes)


def _check_editable(
    rating: Rating, evaluation: Evaluation, comparison: Comparison
) -> None:
    if evaluation.status != Evaluation.Status.OPEN:
        raise EvaluationClosed(CLOSED)
    membership = _membership(evaluation, rating.annotator_id)
    if membership is None:
        raise NotInPool(NO_LONGER_IN_POOL_CHANGE)
    if membership[0] is not None:
        raise Paused(membership[1] or PAUSED)
    window = selectors.ratings_window_ids(
        evaluation=evaluation, annotator_id=rating.annotator_id
    )
    if rating.pk not in window or rating.assignment_id is None:
        raise NotEditable(OUTSIDE_WINDOW.format(n=evaluation.edit_window))
    if comparison.stage == Comparison.Stage.COMPLETE:
        raise NotEditable(PAIR_COMPLETE)


def _membership(evaluation: Evaluation, user_id: int) -> tuple | None:
    """The annotator's membership (``(paused_at, pause_message)``), locked after the
    pairs' rows as the loop takes it (assignments.py), so a pause and a change are
    serialized; None when they are not in the pool."""
    return (
        PoolMember.objects.select_for_update(no_key=True)
        .filter(evaluation=evaluation, user_id=user_id)
        .values_list("paused_at", "pause_message")
        .first()
    )


def skip_undo(
    *, assignment_id: int, annotator: AbstractBaseUser, now: datetime | None = None
) -> Assignment:
    """Take back a skip made at most UNDO_SECONDS ago: the pair is leased to the
    annotator again (same side order, a fresh lease) if others still leave it room,
    read under its row lock, so it never gets more than N ratings. Any other live
    lease of the annotator in the evaluation (the pair they got next) is released,
    so they hold one lease. Writes an AnswerChange (state: skipped -> leased).

    The same undo repeated while the lease it made is live returns that lease and
    changes nothing (a client's retry).

    Returns the assignment, leased, with its comparison, evaluation, prompt and
    generations loaded. Raises Assignment.DoesNotExist for another annotator's
    assignment, UndoRefused (too late, not skipped, pair filled meanwhile) or
    EvaluationClosed, having written nothing.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        comparison_id, evaluation_id = (
            Assignment.objects.filter(pk=assignment_id, annotator=annotator)
            .values_list("comparison_id", "comparison__evaluation_id")
            .get()
        )
        live = Assignment.objects.filter(
            annotator=annotator,
            comparison__evaluation_id=evaluation_id,
            state=State.LEASED,
            expires_at__gt=now,
        ).exclude(pk=assignment_id)
        others = list(live.values_list("comparison_id", flat=True))
        # Pairs in id order, as every path that locks several does.
        for pair_id in sorted({comparison_id, *others}):
            _pair_lock(pair_id)
        assignment = selectors.assignment_for_annotator(
            assignment_id=assignment_id, annotator=annotator
        )
        comparison = assignment.comparison
        evaluation = comparison.evaluation
        if evaluation.status != Evaluation.Status.OPEN:
            raise EvaluationClosed(CLOSED)
        if assignment.state == State.LEASED and _undone(assignment, now):
            # The same undo again (a retry after a lost reply): the pair is
            # theirs already, as the first one answered; nothing changes.
            return assignment
        if assignment.state != State.SKIPPED:
            raise UndoRefused(UNDO_NOT_SKIPPED)
        if assignment.ended_at is None or now - assignment.ended_at > timedelta(
            seconds=UNDO_SECONDS
        ):
            raise UndoRefused(UNDO_TOO_LATE)
        membership = _membership(evaluation, annotator.pk)
        if membership is None:
            raise NotInPool(NO_LONGER_IN_POOL)
        if membership[0] is not None:
            raise Paused(membership[1] or PAUSED)
        if not _has_room(comparison, annotator, now):
            raise UndoRefused(UNDO_FULL)
        released = list(live.filter(comparison_id__in=others))
        for lease in released:
            lease.state, lease.ended_at = State.EXPIRED, now
            lease.save(update_fields=["state", "ended_at"])
        assignment.state = State.LEASED
        assignment.leased_at = now
        assignment.expires_at = now + timedelta(minutes=evaluation.lease_minutes)
        assignment.ended_at = None
        assignment.save(update_fields=["state", "leased_at", "expires_at", "ended_at"])
        AnswerChange.objects.create(
            assignment=assignment,
            changed_by=annotator,
            changed_at=now,
            field=AnswerChange.Field.STATE,
            old_value=State.SKIPPED.value,
            new_value=State.LEASED.value,
        )
        stages.stages_refresh(
            comparison_ids=[comparison.pk, *(lease.comparison_id for lease in released)]
        )
    return assignment


def _undone(assignment: Assignment, now: datetime) -> bool:
    """Whether the assignment's live lease is the one an undo of its skip made."""
    return (
        assignment.expires_at > now
        and AnswerChange.objects.filter(
            assignment=assignment,
            field=AnswerChange.Field.STATE,
            old_value=State.SKIPPED.value,
            new_value=State.LEASED.value,
            changed_at=assignment.leased_at,
        ).exists()
    )


def _has_room(
    comparison: Comparison, annotator: AbstractBaseUser, now: datetime
) -> bool:
    """Whether others' ratings and live leases leave the pair a place for the
    annotator, who has no rating of it (an import may have stored one). Read under
    the pair's lock, in fresh statements."""
    ratings = Rating.objects.filter(comparison=comparison)
    if ratings.filter(annotator=annotator).exists():
        return False
    leases = Assignment.objects.filter(
        comparison=comparison, state=State.LEASED, expires_at__gt=now
    ).exclude(annotator=annotator)
    return ratings.count() + leases.count() < comparison.evaluation.annotators_per_pair
