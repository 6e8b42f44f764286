"""An admin's decision on a flagged pair: exclude it from reports, keep it, or reopen
it for rating; each decision stored as a ``FlagReview`` (who, when, note).

The latest review of a pair decides: after ``exclude`` the pair is excluded
(``Comparison.excluded``) and closed to leasing (its stage is complete); after
``keep`` or ``reopen`` it is neither, and its stage follows its ratings again. A
flag never occupies one of the pair's N places (the flagging annotator's place went
back to the pool when they flagged, and they are never offered the pair again), so
reopening gives the pair exactly the places its ratings and live leases leave:
leasing's room check keeps it at N ratings at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from generations.signals import rows_changed

from .. import flag_queue
from ..models import Comparison, FlagReview
from . import stages

Action = FlagReview.Action
MAX_NOTE = 2000


class FlagReviewRefused(ValueError):
    """Bad input to a review; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _clean(action: object, note: object) -> tuple[str, str]:
    if action not in Action.values:
        choices = ", ".join(Action.values)
        raise FlagReviewRefused("action", f"{action!r} is not one of {choices}")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise FlagReviewRefused("note", "must be text")
    if len(note) > MAX_NOTE:
        raise FlagReviewRefused("note", f"longer than {MAX_NOTE} characters")
    if "\x00" in note:  # PostgreSQL text cannot hold it
        raise FlagReviewRefused("note", "contains a NUL character")
    return str(action), note.strip()


@dataclass(frozen=True)
class Decision:
    """A review as ``flag_review_record`` left it: ``created`` is False when it was
    the reviewer's repeat of the pair's latest decision, and nothing was stored."""

    review: FlagReview
    created: bool


def flag_review_record(
    *,
    comparison_id: int,
    action: object,
    reviewer: AbstractBaseUser,
    note: object = "",
    evaluation_id: int | None = None,
    now: datetime | None = None,
) -> Decision:
    """Record the review and apply it, under the pair's row lock.

    ``exclude`` sets ``Comparison.excluded``; ``keep`` and ``reopen`` clear it; the
    pair's stage is refreshed in the same transaction and, once it commits, the
    evaluation's cached reports are invalidated. Raises ``Comparison.DoesNotExist``
    for an unknown pair (or one outside ``evaluation_id``) and
    ``FlagReviewRefused`` naming the field (``action``, ``note``, or
    ``comparison`` for a pair no annotator flagged), having stored nothing.
    The reviewer's repeat of the pair's latest decision (same action and note)
    records nothing new and returns that decision, not created.
    """
    action, note = _clean(action, note)
    with transaction.atomic(durable=True):
        pairs = Comparison.objects.select_for_update(no_key=True)
        if evaluation_id is not None:
            pairs = pairs.filter(evaluation_id=evaluation_id)
        comparison = pairs.get(pk=comparison_id)
        if not flag_queue.is_flagged(comparison_id=comparison.pk):
            raise FlagReviewRefused("comparison", "no annotator flagged this pair")
        latest = (
            FlagReview.objects.filter(comparison=comparison)
            .order_by("-reviewed_at", "-pk")
            .first()
        )
        if latest is not None and (
            latest.action,
            latest.note,
            latest.reviewed_by_id,
        ) == (
            action,
            note,
            reviewer.pk,
        ):
            # The same decision again (a second click): nothing new.
            return Decision(review=latest, created=False)
        review = FlagReview(
            comparison=comparison,
            action=action,
            note=note,
            reviewed_by=reviewer,
            reviewed_at=now or timezone.now(),
        )
        review.full_clean()
        review.save()
        excluded = action == Action.EXCLUDE
        if comparison.excluded != excluded:
            Comparison.objects.filter(pk=comparison.pk).update(excluded=excluded)
        stages.stages_refresh(comparison_ids=[comparison.pk])
        # Reports show the reviews (and leave excluded pairs out): a fresh version
        # once this commits (reports.invalidation listens; annotations can't import
        # reports).
        rows_changed.send(sender=Comparison, pks=[comparison.pk])
    return Decision(review=review, created=True)
