"""Flag review: the queue of flagged pairs and the exclude / keep / reopen service."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from annotations import flag_queue
from annotations.models import Comparison, FlagReview, Rating
from annotations.services.assignments import (
    assignment_flag,
    assignment_next,
    rating_submit,
)
from annotations.services.flag_reviews import FlagReviewRefused, flag_review_record
from reports import selectors as report_selectors

from .conftest import build_evaluation

pytestmark = pytest.mark.django_db
Action = FlagReview.Action


def _flag(evaluation, user, comment="Model B is empty", now=None):
    lease = assignment_next(evaluation=evaluation, annotator=user, now=now)
    assignment_flag(assignment_id=lease.pk, annotator=user, comment=comment, now=now)
    return lease.comparison_id


def _rate(evaluation, user, now=None):
    lease = assignment_next(evaluation=evaluation, annotator=user, now=now)
    if lease is None:
        return None
    rating_submit(assignment_id=lease.pk, annotator=user, choice=1, now=now)
    return lease.comparison_id


def test_exclude_records_the_review_and_closes_the_pair(admin_user):
    evaluation, (first, second), users = build_evaluation(
        pairs=2, annotators=4, per_pair=3
    )
    flagged = _flag(evaluation, users[0])
    assert flagged == first.pk

    review = flag_review_record(
        comparison_id=first.pk,
        action="exclude",
        note="  empty response  ",
        reviewer=admin_user,
    ).review

    stored = FlagReview.objects.get()
    assert stored == review
    assert (stored.action, stored.note, stored.reviewed_by) == (
        "exclude",
        "empty response",
        admin_user,
    )
    first.refresh_from_db()
    assert first.excluded
    assert first.stage == Comparison.Stage.COMPLETE  # closed to leasing
    # The others are given the second pair only; the excluded one is never offered.
    for user in users[1:]:
        assert _rate(evaluation, user) == second.pk
    assert not Rating.objects.filter(comparison=first).exists()


def test_the_latest_review_decides_and_history_is_kept(admin_user):
    evaluation, (pair,), users = build_evaluation(pairs=1, annotators=2)
    _flag(evaluation, users[0])
    start = timezone.now()
    steps = [
        (Action.EXCLUDE, True),
        (Action.KEEP, False),
        (Action.EXCLUDE, True),
        (Action.REOPEN, False),
    ]
    for minute, (action, excluded) in enumerate(steps):
        flag_review_record(
            comparison_id=pair.pk,
            action=action,
            reviewer=admin_user,
            now=start + timedelta(minutes=minute),
        )
        pair.refresh_from_db()
        assert pair.excluded is excluded, action
    assert list(pair.flag_reviews.values_list("action", flat=True)) == [
        "reopen",
        "exclude",
        "keep",
        "exclude",
    ]  # newest first
    assert report_selectors.flag_reviews(evaluation.pk).reopened == 1


def test_the_same_decision_again_records_nothing_new(admin_user):
    """A second click on Exclude stored a second identical record (a new-user
    pass); another note, or another decision, is a new record."""
    evaluation, (pair,), users = build_evaluation(pairs=1, annotators=2)
    _flag(evaluation, users[0])
    first = flag_review_record(
        comparison_id=pair.pk, action=Action.EXCLUDE, reviewer=admin_user, note="bad"
    )
    again = flag_review_record(
        comparison_id=pair.pk, action=Action.EXCLUDE, reviewer=admin_user, note="bad"
    )
    assert (first.created, again.created) == (True, False)
    assert again.review.pk == first.review.pk
    assert pair.flag_reviews.count() == 1
    flag_review_record(
        comparison_id=pair.pk, action=Action.EXCLUDE, reviewer=admin_user, note="worse"
    )
    assert pair.flag_reviews.count() == 2


def test_reopen_makes_the_pair_leasable_again_and_never_past_n(admin_user):
    """N = 2. A flags (their place returns to the pool), B rates: 1 rating. Excluded,
    C gets nothing; reopened, C rates: 2 ratings, complete; D gets nothing."""
    evaluation, (pair,), (a, b, c, d) = build_evaluation(
        pairs=1, annotators=4, per_pair=2
    )
    _flag(evaluation, a)
    assert _rate(evaluation, b) == pair.pk
    flag_review_record(comparison_id=pair.pk, action="exclude", reviewer=admin_user)
    assert assignment_next(evaluation=evaluation, annotator=c) is None

    flag_review_record(comparison_id=pair.pk, action="reopen", reviewer=admin_user)
    pair.refresh_from_db()
    assert (pair.excluded, pair.stage) == (False, Comparison.Stage.STARTED)
    assert _rate(evaluation, c) == pair.pk
    assert _rate(evaluation, d) is None
    assert assignment_next(evaluation=evaluation, annotator=a) is None  # flagged it
    assert pair.ratings.count() == 2
    pair.refresh_from_db()
    assert pair.stage == Comparison.Stage.COMPLETE


def test_queue_holds_pairs_with_a_flag_newer_than_their_last_review(admin_user):
    evaluation, (first, _), users = build_evaluation(pairs=2, annotators=3, per_pair=3)
    start = timezone.now()
    _flag(evaluation, users[0], "garbled", now=start)
    assert list(flag_queue.pending_pairs(evaluation_id=evaluation.pk)) == [first]

    flag_review_record(
        comparison_id=first.pk,
        action="keep",
        reviewer=admin_user,
        now=start + timedelta(minutes=1),
    )
    assert not flag_queue.pending_pairs(evaluation_id=evaluation.pk).exists()

    _flag(evaluation, users[1], "still garbled", now=start + timedelta(minutes=2))
    assert list(flag_queue.pending_pairs()) == [first]
    (shown,) = flag_queue.flagged_pairs([first.pk])
    assert [(f.annotator, f.comment, f.reviewed) for f in shown.flags] == [
        (users[0].username, "garbled", True),
        (users[1].username, "still garbled", False),
    ]
    assert shown.pending == 1
    assert [r.action for r in shown.reviews] == ["keep"]
    assert len(shown.responses) == 2
    assert shown.turns[0]["content"] == first.prompt.turns[0]["content"]


@pytest.mark.parametrize(
    ("action", "note", "field"),
    [
        ("delete", "", "action"),
        (None, "", "action"),
        ("exclude", "x" * 2001, "note"),
        ("exclude", 5, "note"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(admin_user, action, note, field):
    evaluation, (pair,), users = build_evaluation(pairs=1, annotators=1)
    _flag(evaluation, users[0])
    with pytest.raises(FlagReviewRefused) as refused:
        flag_review_record(
            comparison_id=pair.pk, action=action, note=note, reviewer=admin_user
        )
    assert refused.value.field == field
    assert not FlagReview.objects.exists()


def test_a_pair_nobody_flagged_cannot_be_reviewed(admin_user):
    evaluation, (pair,), _ = build_evaluation(pairs=1, annotators=1)
    with pytest.raises(FlagReviewRefused) as refused:
        flag_review_record(comparison_id=pair.pk, action="exclude", reviewer=admin_user)
    assert refused.value.field == "comparison"
    pair.refresh_from_db()
    assert not pair.excluded
    assert not FlagReview.objects.exists()
    with pytest.raises(Comparison.DoesNotExist):
        flag_review_record(
            comparison_id=pair.pk,
            action="exclude",
            reviewer=admin_user,
            evaluation_id=evaluation.pk + 1,
        )


def test_a_review_invalidates_the_cached_report_on_commit(
    admin_user, django_capture_on_commit_callbacks
):
    evaluation, (pair,), users = build_evaluation(pairs=1, annotators=1)
    _flag(evaluation, users[0])
    before = report_selectors.report_version(evaluation.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        flag_review_record(comparison_id=pair.pk, action="keep", reviewer=admin_user)
    assert report_selectors.report_version(evaluation.pk) == before  # not yet
    for callback in callbacks:
        callback()
    assert report_selectors.report_version(evaluation.pk) != before


def test_the_review_is_a_durable_transaction(admin_user):
    evaluation, (pair,), users = build_evaluation(pairs=1, annotators=1)
    _flag(evaluation, users[0])
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        flag_review_record(comparison_id=pair.pk, action="keep", reviewer=admin_user)
