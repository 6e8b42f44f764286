"""The assignment services against the real database (SQLite or PostgreSQL)."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import selectors
from annotations.models import Assignment, Comparison, Evaluation, Rating
from annotations.services import assignments as services
from tests.factories import RatingFactory, UserFactory

from .conftest import build_evaluation, shared_order


def rate_all(evaluation, users, choice=1):
    """Every annotator rates until nothing is left for them."""
    for user in users:
        while lease := services.assignment_next(evaluation=evaluation, annotator=user):
            services.rating_submit(
                assignment_id=lease.pk, annotator=user, choice=choice, seconds=3
            )


def test_every_pair_gets_exactly_n_ratings_from_distinct_annotators(small_evaluation):
    evaluation, comparisons, users = small_evaluation
    rate_all(evaluation, users)
    per_pair = Counter(Rating.objects.values_list("comparison_id", flat=True))
    assert per_pair == {c.pk: 3 for c in comparisons}
    pairs = list(Rating.objects.values_list("comparison_id", "annotator_id"))
    assert len(pairs) == len(set(pairs)) == 12
    for user in users:
        assert services.assignment_next(evaluation=evaluation, annotator=user) is None


def test_asking_again_returns_the_lease_already_held(small_evaluation):
    evaluation, _, users = small_evaluation
    first = services.assignment_next(evaluation=evaluation, annotator=users[0])
    again = services.assignment_next(evaluation=evaluation, annotator=users[0])
    assert first.pk == again.pk
    assert Assignment.objects.filter(annotator=users[0]).count() == 1


def test_partly_rated_pairs_are_finished_before_untouched_ones_start(
    small_evaluation,
):
    evaluation, comparisons, users = small_evaluation
    comparisons = shared_order(evaluation, comparisons)
    leases = [
        services.assignment_next(evaluation=evaluation, annotator=u) for u in users[:3]
    ]
    assert {lease.comparison_id for lease in leases} == {comparisons[0].pk}
    fourth = services.assignment_next(evaluation=evaluation, annotator=users[3])
    assert fourth.comparison_id == comparisons[1].pk


def test_only_pool_members_get_work_and_closed_evaluations_give_none(
    small_evaluation,
):
    evaluation, _, _ = small_evaluation
    outsider = UserFactory(username="outsider")
    with pytest.raises(services.NotInPool):
        services.assignment_next(evaluation=evaluation, annotator=outsider)
    evaluation.status = Evaluation.Status.CLOSED
    evaluation.save(update_fields=["status"])
    member = evaluation.pool.first()
    with pytest.raises(services.EvaluationClosed):
        services.assignment_next(evaluation=evaluation, annotator=member)


def test_side_order_is_drawn_per_assignment_and_rating_kept_both_ways(db):
    evaluation, _comparisons, users = build_evaluation(pairs=30, annotators=2)
    rng = random.Random(3)
    sides = []
    for user in users:
        while lease := services.assignment_next(
            evaluation=evaluation, annotator=user, rng=rng
        ):
            view = selectors.pair_view(lease, with_counts=False)
            generation = lease.comparison.candidate_generation
            assert (view.response_a == generation.text) == lease.candidate_on_left
            result = services.rating_submit(
                assignment_id=lease.pk, annotator=user, choice=3, seconds=1.5
            )
            rating = result.rating
            assert rating.choice == 3
            assert rating.candidate_on_left == lease.candidate_on_left
            assert rating.score == (3 if lease.candidate_on_left else -3)
            sides.append(lease.candidate_on_left)
    assert len(sides) == 60
    assert 10 < sum(sides) < 50  # both orders occur, per assignment


def test_double_submit_yields_one_rating(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    first = services.rating_submit(
        assignment_id=lease.pk, annotator=users[0], choice=2, seconds=4
    )
    second = services.rating_submit(
        assignment_id=lease.pk, annotator=users[0], choice=-3, seconds=9
    )
    assert first.created
    assert not second.created
    assert second.rating.pk == first.rating.pk
    assert Rating.objects.get().choice == 2


def test_late_submit_is_refused_once_the_slot_went_to_someone_else(db):
    evaluation, (comparison,), users = build_evaluation(
        pairs=1, annotators=3, per_pair=1
    )
    now = timezone.now()
    late = services.assignment_next(evaluation=evaluation, annotator=users[0], now=now)
    after = now + timedelta(minutes=31)
    taker = services.assignment_next(
        evaluation=evaluation, annotator=users[1], now=after
    )
    assert taker.comparison_id == comparison.pk
    with pytest.raises(services.LeaseLost, match="went to another annotator"):
        services.rating_submit(
            assignment_id=late.pk, annotator=users[0], choice=1, now=after
        )
    assert not Rating.objects.exists()
    services.rating_submit(
        assignment_id=taker.pk, annotator=users[1], choice=1, now=after
    )
    assert Rating.objects.get().annotator == users[1]


def test_late_submit_is_accepted_while_the_pair_still_has_room(db):
    evaluation, _, users = build_evaluation(pairs=1, annotators=2, per_pair=1)
    now = timezone.now()
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0], now=now)
    services.assignments_expire(now=now + timedelta(minutes=31))
    lease.refresh_from_db()
    assert lease.state == Assignment.State.EXPIRED
    result = services.rating_submit(
        assignment_id=lease.pk,
        annotator=users[0],
        choice=-1,
        now=now + timedelta(minutes=40),
    )
    assert result.created
    assert result.rating.score == (-1 if lease.candidate_on_left else 1)
    assert services.assignment_next(evaluation=evaluation, annotator=users[1]) is None


def test_expired_lease_returns_the_pair_and_its_holder_gets_the_same_row_back(db):
    evaluation, (_comparison,), users = build_evaluation(
        pairs=1, annotators=2, per_pair=1
    )
    now = timezone.now()
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0], now=now)
    assert (
        services.assignment_next(evaluation=evaluation, annotator=users[1], now=now)
        is None
    )
    later = now + timedelta(minutes=45)
    again = services.assignment_next(
        evaluation=evaluation, annotator=users[0], now=later
    )
    assert again.pk == lease.pk
    assert again.candidate_on_left == lease.candidate_on_left
    assert again.expires_at == later + timedelta(minutes=30)


def test_skip_frees_the_slot_and_is_never_offered_again(db):
    evaluation, (comparison,), users = build_evaluation(
        pairs=1, annotators=2, per_pair=1
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    services.assignment_skip(assignment_id=lease.pk, annotator=users[0])
    assert services.assignment_next(evaluation=evaluation, annotator=users[0]) is None
    other = services.assignment_next(evaluation=evaluation, annotator=users[1])
    assert other.comparison_id == comparison.pk
    with pytest.raises(services.AssignmentEnded):
        services.rating_submit(assignment_id=lease.pk, annotator=users[0], choice=1)


def test_flag_keeps_the_comment_and_shows_on_the_progress(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    services.assignment_flag(
        assignment_id=lease.pk, annotator=users[0], comment="Model B is cut off"
    )
    lease.refresh_from_db()
    assert (lease.state, lease.comment) == ("flagged", "Model B is cut off")
    progress = selectors.evaluation_progress(evaluation=evaluation)
    assert [f.comment for f in progress["flags"]] == ["Model B is cut off"]


def test_progress_counts_complete_partly_and_untouched(small_evaluation):
    evaluation, _comparisons, users = small_evaluation
    for user in users[:3]:
        lease = services.assignment_next(evaluation=evaluation, annotator=user)
        services.rating_submit(assignment_id=lease.pk, annotator=user, choice=0)
    services.assignment_next(evaluation=evaluation, annotator=users[3])
    progress = selectors.evaluation_progress(evaluation=evaluation)
    assert (progress["complete"], progress["partly"], progress["untouched"]) == (
        1,
        1,
        2,
    )
    assert progress["leases_live"] == 1
    assert [row["ratings"] for row in progress["per_annotator"]] == [1, 1, 1]


def test_another_annotators_assignment_is_not_found(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    with pytest.raises(Assignment.DoesNotExist):
        services.rating_submit(assignment_id=lease.pk, annotator=users[1], choice=1)
    with pytest.raises(Assignment.DoesNotExist):
        services.assignment_skip(assignment_id=lease.pk, annotator=users[1])


@pytest.mark.parametrize(
    ("choice", "seconds", "field"),
    [
        (4, 1, "choice"),
        ("much", 1, "choice"),
        (1, -2, "seconds"),
        (1, "x", "seconds"),
        (1, 10**400, "seconds"),  # too large for a float: was a 500
    ],
)
def test_bad_answers_name_the_field_and_store_nothing(
    small_evaluation, choice, seconds, field
):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    with pytest.raises(services.InvalidAnswer, match=f"^{field}:"):
        services.rating_submit(
            assignment_id=lease.pk, annotator=users[0], choice=choice, seconds=seconds
        )
    assert not Rating.objects.exists()
    lease.refresh_from_db()
    assert lease.state == "leased"


def test_pairs_rated_elsewhere_are_not_offered_and_stages_follow_the_loop(db):
    evaluation, (imported, fresh), users = build_evaluation(
        pairs=2, annotators=1, per_pair=1
    )
    RatingFactory(comparison=imported, annotator=UserFactory(username="crowd-1"))
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    assert lease.comparison_id == fresh.pk
    fresh.refresh_from_db()
    assert fresh.stage == Comparison.Stage.STARTED
    services.rating_submit(assignment_id=lease.pk, annotator=users[0], choice=0)
    fresh.refresh_from_db()
    assert fresh.stage == Comparison.Stage.COMPLETE
