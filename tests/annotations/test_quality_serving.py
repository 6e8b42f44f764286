"""Serving quality-control items: gold pairs and repeats mixed into an annotator's
pairs, answered as QualityTasks and never as ratings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.item_selectors import item_view
from annotations.models import Assignment, PoolMember, QualityTask, Rating
from annotations.quality_mixing import REPEAT_GAP
from annotations.services import assignments as services
from annotations.services.answering import answer_submit
from annotations.services.membership import annotator_pause
from annotations.services.quality_answers import check_answer_submit
from annotations.services.quality_serving import item_next

from .serving_support import checked_evaluation

pytestmark = pytest.mark.django_db


def test_gold_pairs_are_served_answered_once_each_and_never_rated():
    evaluation, _, users, golds = checked_evaluation(gold_rate=1.0)
    user = users[0]
    first = item_next(evaluation=evaluation, annotator=user)
    assert isinstance(first, QualityTask)
    assert first.kind == QualityTask.Kind.GOLD
    # A reload gets the same item back.
    assert item_next(evaluation=evaluation, annotator=user).pk == first.pk
    outcome = check_answer_submit(
        task_id=first.pk, annotator=user, action="rate", choice=2, seconds=3
    )
    first.refresh_from_db()
    assert first.state == QualityTask.State.ANSWERED
    assert (first.choice, first.seconds) == (2, 3.0)
    # From the candidate's view: the gold pair's candidate generation.
    assert first.score == (2 if first.candidate_on_left else -2)
    second = outcome.following
    assert isinstance(second, QualityTask)
    assert second.gold_id != first.gold_id
    outcome = check_answer_submit(
        task_id=second.pk, annotator=user, action="rate", choice=-1
    )
    # Every gold pair answered: the rate falls back to a normal pair.
    assert isinstance(outcome.following, Assignment)
    assert {task.gold_id for task in QualityTask.objects.all()} == {
        gold.pk for gold in golds
    }
    assert not Rating.objects.exists()
    assert Assignment.objects.count() == 1  # the pair after the checks only


def test_a_repeat_comes_after_the_gap_with_the_sides_swapped():
    evaluation, _, users, _ = checked_evaluation(pairs=8, golds=0, repeat_rate=1.0)
    user = users[0]
    item = item_next(evaluation=evaluation, annotator=user)
    rated = []
    # Repeats need a rating at least REPEAT_GAP ratings back: pairs until then.
    for _ in range(REPEAT_GAP + 1):
        assert isinstance(item, Assignment)
        rated.append(item)
        item = answer_submit(
            assignment_id=item.pk, annotator=user, action="rate", choice=3
        ).following
    assert isinstance(item, QualityTask)
    assert item.kind == QualityTask.Kind.REPEAT
    original = item.repeat_of
    assert original.assignment_id == rated[0].pk  # the only one past the gap
    assert item.candidate_on_left is not rated[0].candidate_on_left
    shown, first = item_view(item), item_view(rated[0])
    assert (shown.response_a, shown.response_b) == (
        first.response_b,
        first.response_a,
    )
    outcome = check_answer_submit(
        task_id=item.pk, annotator=user, action="rate", choice=3
    )
    item.refresh_from_db()
    # The same side shown as A again, so the opposite side of the pair.
    assert item.score == -original.score
    assert Rating.objects.filter(annotator=user).count() == REPEAT_GAP + 1
    # That rating is repeated once; the next ones wait for their own gap.
    assert isinstance(outcome.following, Assignment)


@pytest.mark.parametrize(
    ("answer", "field"),
    [({"choice": 5}, "choice"), ({"choice": 1, "seconds": "x"}, "seconds")],
)
def test_a_bad_answer_re_sent_for_an_answered_check_is_refused(answer, field):
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    user = users[0]
    task = item_next(evaluation=evaluation, annotator=user)
    check_answer_submit(task_id=task.pk, annotator=user, action="rate", choice=2)

    with pytest.raises(services.InvalidAnswer) as refused:
        check_answer_submit(task_id=task.pk, annotator=user, action="rate", **answer)

    assert refused.value.field == field
    task.refresh_from_db()
    assert (task.state, task.choice) == (QualityTask.State.ANSWERED, 2)


def test_a_check_lease_expires_and_the_check_is_served_again():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    user, now = users[0], timezone.now()
    task = item_next(evaluation=evaluation, annotator=user, now=now)
    later = now + timedelta(minutes=evaluation.lease_minutes + 1)
    again = item_next(evaluation=evaluation, annotator=user, now=later)
    assert again.pk == task.pk  # one row per gold pair and annotator, leased anew
    assert again.state == QualityTask.State.LEASED
    assert again.leased_at == later
    assert QualityTask.objects.count() == 1


def test_pausing_releases_a_held_check_and_refuses_its_answer():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    user = users[0]
    task = item_next(evaluation=evaluation, annotator=user)
    annotator_pause(evaluation=evaluation, annotator=user, message="Wait, please.")
    task.refresh_from_db()
    assert task.state == QualityTask.State.EXPIRED
    outcome = check_answer_submit(
        task_id=task.pk, annotator=user, action="rate", choice=1
    )
    assert isinstance(outcome.refusal, services.Paused)
    assert outcome.following is None
    task.refresh_from_db()
    assert task.choice is None


def test_checks_only_mix_into_real_work():
    """The last pair rated, gold pairs left: the annotator is done."""
    evaluation, _, users, _ = checked_evaluation(pairs=1, golds=3, gold_rate=0.5)
    user = users[0]
    item = item_next(evaluation=evaluation, annotator=user)
    while isinstance(item, QualityTask):
        item = check_answer_submit(
            task_id=item.pk, annotator=user, action="skip"
        ).following
    outcome = answer_submit(
        assignment_id=item.pk, annotator=user, action="rate", choice=1
    )
    assert outcome.following is None


def test_a_check_does_not_count_toward_the_quota():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0, quota=1)
    user = users[0]
    task = item_next(evaluation=evaluation, annotator=user)
    assert isinstance(task, QualityTask)
    pair = check_answer_submit(
        task_id=task.pk, annotator=user, action="rate", choice=1
    ).following
    assert isinstance(pair, Assignment)
    outcome = answer_submit(
        assignment_id=pair.pk, annotator=user, action="rate", choice=1
    )
    assert isinstance(outcome.stopped, services.QuotaDone)
    # Asking again is refused, and the completion is recorded (committed).
    member = PoolMember.objects.get(evaluation=evaluation, user=user)
    PoolMember.objects.filter(pk=member.pk).update(completed_at=None)
    with pytest.raises(services.QuotaDone):
        item_next(evaluation=evaluation, annotator=user)
    member.refresh_from_db()
    assert member.completed_at is not None


def test_a_flag_on_a_check_ends_it_as_skipped_and_bad_input_stores_nothing():
    evaluation, _, users, _ = checked_evaluation(golds=2, gold_rate=1.0)
    user = users[0]
    task = item_next(evaluation=evaluation, annotator=user)
    with pytest.raises(services.InvalidAnswer, match="choice"):
        check_answer_submit(task_id=task.pk, annotator=user, action="rate", choice=9)
    with pytest.raises(services.InvalidAnswer, match="seconds"):
        check_answer_submit(
            task_id=task.pk, annotator=user, action="rate", choice=1, seconds=-1
        )
    task.refresh_from_db()
    assert task.state == QualityTask.State.LEASED
    check_answer_submit(
        task_id=task.pk, annotator=user, action="flag", comment="B is cut off"
    )
    task.refresh_from_db()
    assert (task.state, task.choice) == (QualityTask.State.SKIPPED, None)
    # Kept for the admins (a new-user pass's note went nowhere while the page said
    # "thank you for reporting it").
    assert (task.flagged, task.comment) == (True, "B is cut off")
    with pytest.raises(QualityTask.DoesNotExist):
        check_answer_submit(task_id=task.pk, annotator=users[1], action="skip")


def test_with_quality_control_off_no_check_is_ever_served():
    evaluation, _, users, _ = checked_evaluation(golds=2)
    user = users[0]
    item = item_next(evaluation=evaluation, annotator=user)
    while item is not None:
        assert isinstance(item, Assignment)
        item = answer_submit(
            assignment_id=item.pk, annotator=user, action="rate", choice=0
        ).following
    assert not QualityTask.objects.exists()


def test_a_flag_on_a_check_through_the_page_keeps_its_note(client):
    evaluation, _, users, _ = checked_evaluation(golds=2, gold_rate=1.0)
    user = users[0]
    task = item_next(evaluation=evaluation, annotator=user)
    client.force_login(user)
    url = item_view(task).answer_url
    response = client.post(url, {"action": "flag", "comment": "Empty answer"})
    assert response.status_code in (200, 302)
    task.refresh_from_db()
    assert (task.state, task.flagged, task.comment) == (
        QualityTask.State.SKIPPED,
        True,
        "Empty answer",
    )
