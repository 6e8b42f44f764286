"""The annotator's own controls: change one of the last ratings while its pair is not
complete, undo a skip within seconds; every change kept as AnswerChange rows."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotations import selectors
from annotations.models import AnswerChange, Assignment, Comparison, Rating
from annotations.services import assignments as services
from annotations.services.answer_changes import (
    UNDO_SECONDS,
    NotEditable,
    UndoRefused,
    rating_revise,
    skip_undo,
)
from annotations.services.answering import answer_submit
from reports.selectors import report_version

from .conftest import build_evaluation, in_id_order

State = Assignment.State


def _rate_all(evaluation, user, count, *, start=None, choice=1):
    """Rate ``count`` pairs one after another, a second apart; the ratings, oldest
    first."""
    start = start or timezone.now() - timedelta(minutes=5)
    lease = services.assignment_next(evaluation=evaluation, annotator=user, now=start)
    ratings = []
    for i in range(count):
        outcome = answer_submit(
            assignment_id=lease.pk,
            annotator=user,
            action="rate",
            choice=choice,
            now=start + timedelta(seconds=i + 1),
        )
        ratings.append(outcome.rating)
        lease = outcome.following
    return ratings


def test_the_fifth_most_recent_rating_can_change_the_sixth_cannot(
    require_postgres,
):
    evaluation, _, (user, _) = build_evaluation(pairs=7, annotators=2, per_pair=2)
    assert evaluation.edit_window == 5
    ratings = _rate_all(evaluation, user, 6)
    fifth, sixth = ratings[1], ratings[0]

    revision = rating_revise(rating_id=fifth.pk, annotator=user, choice=-2)
    fifth.refresh_from_db()
    assert (fifth.choice, fifth.score) == (-2, -2 if fifth.candidate_on_left else 2)
    assert [c.field for c in revision.changes] == ["choice"]

    with pytest.raises(NotEditable, match="last 5 ratings"):
        rating_revise(rating_id=sixth.pk, annotator=user, choice=-2)
    sixth.refresh_from_db()
    assert sixth.choice == 1
    assert not AnswerChange.objects.filter(rating=sixth).exists()


def test_a_change_records_each_field_with_old_and_new_values(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=2)
    (rating,) = _rate_all(evaluation, user, 1, choice=2)
    now = timezone.now()

    revision = rating_revise(
        rating_id=rating.pk,
        annotator=user,
        choice=-1,
        comment="B cites a source",
        now=now,
    )
    rows = list(AnswerChange.objects.filter(rating=rating).order_by("field"))
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("choice", "2", "-1"),
        ("comment", "", "B cites a source"),
    ]
    assert {r.assignment_id for r in rows} == {rating.assignment_id}
    assert {(r.changed_by_id, r.changed_at) for r in rows} == {(user.pk, now)}
    assert len(revision.changes) == 2
    stored = Rating.objects.get(pk=rating.pk)
    # The sides shown are kept: the score follows the choice through them.
    assert stored.score == (-1 if stored.candidate_on_left else 1)
    assert stored.comment == "B cites a source"

    # The same values again change nothing and write no history.
    again = rating_revise(
        rating_id=rating.pk, annotator=user, choice="-1", comment="B cites a source"
    )
    assert again.changes == []
    assert AnswerChange.objects.filter(rating=rating).count() == 2


def test_a_rating_of_a_complete_pair_cannot_change(db):
    evaluation, (pair,), (first, second) = build_evaluation(
        pairs=1, annotators=2, per_pair=2
    )
    (rating,) = _rate_all(evaluation, first, 1)
    rating_revise(rating_id=rating.pk, annotator=first, comment="while open")
    _rate_all(evaluation, second, 1)
    assert Comparison.objects.get(pk=pair.pk).stage == Comparison.Stage.COMPLETE

    with pytest.raises(NotEditable, match="all its ratings"):
        rating_revise(rating_id=rating.pk, annotator=first, choice=3)
    assert Rating.objects.get(pk=rating.pk).choice == 1


def test_another_annotators_rating_is_not_found(db):
    evaluation, _, (owner, other) = build_evaluation(pairs=2, annotators=2)
    (rating,) = _rate_all(evaluation, owner, 1)
    with pytest.raises(Rating.DoesNotExist):
        rating_revise(rating_id=rating.pk, annotator=other, choice=3)


def test_bad_values_name_the_field_and_store_nothing(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=2)
    (rating,) = _rate_all(evaluation, user, 1)
    with pytest.raises(services.InvalidAnswer, match=r"^choice: "):
        rating_revise(rating_id=rating.pk, annotator=user, choice=9, comment="x")
    with pytest.raises(services.InvalidAnswer, match=r"^comment: at most 2000"):
        rating_revise(rating_id=rating.pk, annotator=user, choice=3, comment="x" * 2001)
    assert Rating.objects.get(pk=rating.pk).choice == 1
    assert not AnswerChange.objects.exists()


def test_the_window_lists_the_last_ratings_and_which_can_change(db):
    evaluation, _, (user, other) = build_evaluation(pairs=7, annotators=2, per_pair=2)
    in_id_order(evaluation)  # the other completes the first pair the user rated
    ratings = _rate_all(evaluation, user, 6)
    _rate_all(evaluation, other, 1)  # completes the first pair only
    recent = selectors.ratings_recent(evaluation=evaluation, annotator_id=user.pk)
    assert [r.rating_id for r in recent] == [r.pk for r in reversed(ratings[1:])]
    assert [r.editable for r in recent] == [True] * 5
    assert recent[0].label == "A is slightly better"


def _skip_first(evaluation, user, now):
    lease = services.assignment_next(evaluation=evaluation, annotator=user, now=now)
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=user, action="skip", now=now
    )
    return lease, outcome.following


def test_an_undo_in_time_gives_the_pair_back_and_releases_the_next(db):
    evaluation, _, (user,) = build_evaluation(pairs=3, annotators=1, per_pair=1)
    now = timezone.now()
    skipped, following = _skip_first(evaluation, user, now)

    back = skip_undo(
        assignment_id=skipped.pk,
        annotator=user,
        now=now + timedelta(seconds=UNDO_SECONDS),
    )
    assert back.pk == skipped.pk
    assert Assignment.objects.get(pk=skipped.pk).state == State.LEASED
    assert Assignment.objects.get(pk=following.pk).state == State.EXPIRED
    change = AnswerChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "state",
        "skipped",
        "leased",
    )
    assert change.rating is None
    # The annotator holds one lease: the pair given back.
    held = services.assignment_next(evaluation=evaluation, annotator=user)
    assert held.pk == skipped.pk
    answer_submit(assignment_id=held.pk, annotator=user, action="rate", choice=2)
    assert Rating.objects.get().comparison_id == skipped.comparison_id


def test_an_undo_too_late_is_refused(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    now = timezone.now()
    skipped, _ = _skip_first(evaluation, user, now)
    with pytest.raises(UndoRefused, match="within 10 seconds"):
        skip_undo(
            assignment_id=skipped.pk,
            annotator=user,
            now=now + timedelta(seconds=UNDO_SECONDS + 1),
        )
    assert Assignment.objects.get(pk=skipped.pk).state == State.SKIPPED
    assert not AnswerChange.objects.exists()


def test_an_undo_after_others_filled_the_pair_is_refused_and_n_holds(
    require_postgres,
):
    evaluation, (pair,), (user, second, third) = build_evaluation(
        pairs=1, annotators=3, per_pair=2
    )
    now = timezone.now()
    skipped, _ = _skip_first(evaluation, user, now)
    for other in (second, third):
        lease = services.assignment_next(
            evaluation=evaluation, annotator=other, now=now
        )
        assert lease.comparison_id == pair.pk
        answer_submit(
            assignment_id=lease.pk, annotator=other, action="rate", choice=1, now=now
        )

    with pytest.raises(UndoRefused, match="took the last place"):
        skip_undo(assignment_id=skipped.pk, annotator=user, now=now)
    assert Assignment.objects.get(pk=skipped.pk).state == State.SKIPPED
    assert Rating.objects.filter(comparison=pair).count() == 2


def test_an_undo_while_another_holds_the_last_place_is_refused(db):
    evaluation, (pair, _), (user, second) = build_evaluation(
        pairs=2, annotators=2, per_pair=1
    )
    in_id_order(evaluation)  # the user is given ``pair`` first, and skips it
    now = timezone.now()
    skipped, _ = _skip_first(evaluation, user, now)
    lease = services.assignment_next(evaluation=evaluation, annotator=second, now=now)
    assert lease.comparison_id == pair.pk
    with pytest.raises(UndoRefused):
        skip_undo(assignment_id=skipped.pk, annotator=user, now=now)
    # The lease holder rates it: still one rating, N = 1.
    answer_submit(assignment_id=lease.pk, annotator=second, action="rate", choice=1)
    assert Rating.objects.filter(comparison=pair).count() == 1


def test_only_a_skip_of_ones_own_can_be_undone(db):
    evaluation, _, (user, other) = build_evaluation(pairs=2, annotators=2)
    now = timezone.now()
    skipped, following = _skip_first(evaluation, user, now)
    with pytest.raises(Assignment.DoesNotExist):
        skip_undo(assignment_id=skipped.pk, annotator=other, now=now)
    with pytest.raises(UndoRefused, match="not skipped"):
        skip_undo(assignment_id=following.pk, annotator=user, now=now)


@pytest.mark.django_db(transaction=True)
def test_an_undo_racing_another_annotators_lease_keeps_exactly_n(require_postgres):
    """An undo and another annotator's lease of the pair's last place, in two threads
    released together, ten times: one of them gets the place, never both."""
    for _ in range(10):
        evaluation, (pair, _), (user, other) = build_evaluation(
            pairs=2, annotators=2, per_pair=1
        )
        in_id_order(evaluation)  # the user is given ``pair`` first, and skips it
        now = timezone.now()
        skipped, _ = _skip_first(evaluation, user, now)
        barrier = threading.Barrier(2)
        results = {}

        def undo(user=user, skipped=skipped, barrier=barrier, results=results):
            barrier.wait()
            try:
                results["undo"] = skip_undo(assignment_id=skipped.pk, annotator=user)
            except UndoRefused:
                results["undo"] = None
            finally:
                connection.close()

        def lease(evaluation=evaluation, other=other, barrier=barrier, results=results):
            barrier.wait()
            try:
                results["lease"] = services.assignment_next(
                    evaluation=evaluation, annotator=other
                )
            finally:
                connection.close()

        threads = [threading.Thread(target=undo), threading.Thread(target=lease)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        holders = set(
            Assignment.objects.filter(comparison=pair, state=State.LEASED).values_list(
                "annotator_id", flat=True
            )
        )
        assert len(holders) == 1
        got_it = results["undo"] is not None
        assert holders == {user.pk if got_it else other.pk}
        # The user holds one lease either way.
        assert (
            Assignment.objects.filter(
                annotator=user, comparison__evaluation=evaluation, state=State.LEASED
            ).count()
            == 1
        )


def test_a_change_gives_the_report_a_new_version(
    db, django_capture_on_commit_callbacks
):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=2)
    (rating,) = _rate_all(evaluation, user, 1)
    before = report_version(evaluation.pk)
    with django_capture_on_commit_callbacks(execute=True):
        rating_revise(rating_id=rating.pk, annotator=user, choice=-3)
    assert report_version(evaluation.pk) != before


def test_no_change_once_closed_or_out_of_the_pool(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=2)
    (rating,) = _rate_all(evaluation, user, 1)
    evaluation.pool.remove(user)
    with pytest.raises(services.NotInPool):
        rating_revise(rating_id=rating.pk, annotator=user, choice=3)
    evaluation.pool.add(user)
    evaluation.status = "closed"
    evaluation.save(update_fields=["status"])
    with pytest.raises(services.EvaluationClosed):
        rating_revise(rating_id=rating.pk, annotator=user, choice=3)
    assert Rating.objects.get(pk=rating.pk).choice == 1
