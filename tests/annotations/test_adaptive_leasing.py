"""Adaptive allocation in a tournament on PostgreSQL: the rule's model pair first,
partly rated pairs still before it, and exactly N per pair under a race."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations.allocation import own_order
from annotations.allocation_adaptive import model_pairs_by_priority
from annotations.models import Assignment, Comparison, PoolMember, Rating
from annotations.services import assignments as services
from annotations.services import stages
from annotations.services.adaptive_queries import model_pair_tallies

from .adaptive_support import adaptive_tournament
from .test_annotator_pages import logged_in

pytestmark = pytest.mark.xdist_group("annotator-races")


def _model_pair(comparison: Comparison) -> tuple[int, int]:
    return tuple(
        sorted(
            (
                comparison.candidate_generation.chat_model_id,
                comparison.baseline_generation.chat_model_id,
            )
        )
    )


def _rate(comparison, users, scores):
    """Complete ``comparison`` with one rating per score (the candidate's view)."""
    now = timezone.now()
    for user, score in zip(users, scores, strict=True):
        assignment = Assignment.objects.create(
            comparison=comparison,
            annotator=user,
            candidate_on_left=True,
            state=Assignment.State.SUBMITTED,
            leased_at=now,
            expires_at=now,
            ended_at=now,
        )
        Rating.objects.create(
            comparison=comparison,
            annotator=user,
            assignment=assignment,
            scale="seven",
            choice=score,
            candidate_on_left=True,
            score=score,
            created_at=now,
        )
    stages.stages_refresh(comparison_ids=[comparison.pk])


def _world_with_first_pair_rated(require_postgres):
    """Three models A, B, C, four prompts; one comparison of (A, B) rated 0, 0, 0
    (three ties). As in the rule's hand-worked case (tests/annotations/
    test_allocation_adaptive.py) the model pair never compared with the others'
    neighbour, (B, C), lowers the neighbouring variances most."""
    evaluation, models, users = adaptive_tournament(
        models=3, prompts=4, annotators=5, prefix="pick"
    )
    a, b, _ = models
    ab = next(
        c
        for c in Comparison.objects.filter(evaluation=evaluation).select_related(
            "candidate_generation", "baseline_generation"
        )
        if _model_pair(c) == tuple(sorted((a.pk, b.pk)))
    )
    _rate(ab, users[:3], [0, 0, 0])
    return evaluation, models, users


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_counts_the_rule_reads_come_from_one_aggregate_statement(
    require_postgres, django_assert_num_queries
):
    evaluation, models, _ = _world_with_first_pair_rated(require_postgres)
    with django_assert_num_queries(1):
        tallies = model_pair_tallies(evaluation_id=evaluation.pk)
    by_pair = {tuple(sorted((t.first, t.second))): t for t in tallies}
    a, b, c = (model.pk for model in models)
    assert (by_pair[(a, b)].ties, by_pair[(a, b)].untouched) == (3, 3)
    assert by_pair[(a, b)].first_wins == by_pair[(a, b)].second_wins == 0
    assert by_pair[(b, c)].untouched == by_pair[(a, c)].untouched == 4
    assert model_pairs_by_priority(tallies, per_comparison=3)[0] == (b, c)


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_adaptive_tournament_leases_a_comparison_of_the_rules_first_pair(
    require_postgres,
):
    """The evaluation's rule (top 10 weighted, width 1.0; with three models every
    model counts fully): A and B tied three times and C was never compared, so A and
    B are exchangeable and (A, C), (B, C) narrow the centred scores equally, more
    than a fourth (A, B); the tie goes to the smaller pair, (A, C)."""
    evaluation, models, users = _world_with_first_pair_rated(require_postgres)
    a, _, c = models
    assert model_pairs_by_priority(
        model_pair_tallies(evaluation_id=evaluation.pk),
        per_comparison=3,
        top=evaluation.adaptive_top,
        width=evaluation.adaptive_width,
    )[0] == (a.pk, c.pk)
    # The annotator's own order (the uniform one) would start elsewhere.
    untouched = Comparison.objects.filter(
        evaluation=evaluation, stage=Comparison.Stage.UNTOUCHED
    ).select_related("candidate_generation", "baseline_generation")
    model_pair = {comparison.pk: _model_pair(comparison) for comparison in untouched}
    seed = next(
        s
        for s in range(1000)
        if model_pair[own_order(s, model_pair)[0]] != (a.pk, c.pk)
    )
    PoolMember.objects.filter(evaluation=evaluation, user=users[3]).update(
        order_seed=seed
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=users[3])
    assert _model_pair(lease.comparison) == (a.pk, c.pk)
    # Among (A, C)'s comparisons, the first in the annotator's own order.
    assert lease.comparison_id == next(
        pk for pk in own_order(seed, model_pair) if model_pair[pk] == (a.pk, c.pk)
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_pair_an_answer_hands_out_counts_the_outcome_it_just_completed(
    require_postgres,
):
    """One annotator, N = 1: each answer completes its comparison, and the next
    pair, leased in the same click, must be the rule's first given that outcome
    (a quarter of an adaptive run's next pairs were chosen as if the last answer
    were still in progress)."""
    from dataclasses import replace

    from annotations.services.answering import answer_submit

    evaluation, _, [user] = adaptive_tournament(
        models=4, prompts=6, annotators=1, per_pair=1, prefix="next"
    )
    rng = random.Random(7)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    for _ in range(15):
        outcome = answer_submit(
            assignment_id=lease.pk,
            annotator=user,
            action="rate",
            choice=rng.choice([3, 2, 0, -1]),
            seconds=5,
        )
        lease = outcome.following
        leased = Comparison.objects.select_related(
            "candidate_generation", "baseline_generation"
        ).get(pk=lease.comparison_id)
        # The counts the rule saw: the stored ones, less the lease just made.
        tallies = [
            replace(t, in_progress=t.in_progress - 1, untouched=t.untouched + 1)
            if tuple(sorted((t.first, t.second))) == _model_pair(leased)
            else t
            for t in model_pair_tallies(evaluation_id=evaluation.pk)
        ]
        first = model_pairs_by_priority(
            tallies,
            per_comparison=1,
            top=evaluation.adaptive_top,
            width=evaluation.adaptive_width,
        )[0]
        assert _model_pair(leased) == tuple(sorted(first))


@pytest.mark.postgres
@pytest.mark.django_db
def test_partly_rated_pairs_still_come_before_the_rules_choice(require_postgres):
    evaluation, models, users = _world_with_first_pair_rated(require_postgres)
    a, _, c = models
    partly = next(
        comparison
        for comparison in Comparison.objects.filter(
            evaluation=evaluation, stage=Comparison.Stage.UNTOUCHED
        ).select_related("candidate_generation", "baseline_generation")
        if _model_pair(comparison) == (a.pk, c.pk)
    )
    _rate(partly, users[:1], [1])
    lease = services.assignment_next(evaluation=evaluation, annotator=users[3])
    assert lease.comparison_id == partly.pk


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_leased_comparison_counts_as_planned_so_the_next_annotator_moves_on(
    require_postgres,
):
    """N = 1, so a leased comparison is full (with N > 1 the next annotator would
    join it: pairs are finished first). With no outcome yet every model pair ties and
    (A, B) comes first; the leased (A, B) comparison counts as its planned
    information, so the next annotator is sent to a model pair with C (C's score is
    now the widest; (A, C) and (B, C) tie and the smaller pair wins), not to another
    (A, B) comparison."""
    evaluation, models, users = adaptive_tournament(
        models=3, prompts=3, annotators=3, per_pair=1, prefix="planned"
    )
    a, b, c = (model.pk for model in models)
    first = services.assignment_next(evaluation=evaluation, annotator=users[0])
    assert _model_pair(first.comparison) == (a, b)
    second = services.assignment_next(evaluation=evaluation, annotator=users[1])
    assert _model_pair(second.comparison) == (a, c)


def _annotate(evaluation, user, seed, accepted, errors, barrier):
    rng = random.Random(seed)
    try:
        barrier.wait()
        deadline = time.monotonic() + 100
        while True:
            try:
                lease = services.assignment_next(evaluation=evaluation, annotator=user)
            except services.PairsBusy:
                continue
            if lease is None:
                unfinished = (
                    Comparison.objects.filter(evaluation=evaluation)
                    .exclude(stage=Comparison.Stage.COMPLETE)
                    .exists()
                )
                if not unfinished or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
                continue
            if rng.random() < 0.03:
                services.assignment_skip(assignment_id=lease.pk, annotator=user)
                continue
            result = services.rating_submit(
                assignment_id=lease.pk,
                annotator=user,
                choice=rng.randint(-3, 3),
                seconds=1.0,
            )
            if result.created:
                accepted.append((lease.comparison_id, user.pk, result.rating.choice))
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_racing_annotators_on_an_adaptive_tournament_leave_exactly_n_per_pair(
    require_postgres,
):
    per_pair, annotators = 3, 64
    evaluation, _, users = adaptive_tournament(
        models=5, prompts=8, annotators=annotators, per_pair=per_pair, prefix="race"
    )
    pairs = Comparison.objects.filter(evaluation=evaluation).count()
    assert pairs == 80
    accepted, errors = [], []
    barrier = threading.Barrier(annotators)
    threads = [
        threading.Thread(
            target=_annotate, args=(evaluation, user, i, accepted, errors, barrier)
        )
        for i, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    stored = list(
        Rating.objects.filter(comparison__evaluation=evaluation).values_list(
            "comparison_id", "annotator_id", "choice"
        )
    )
    per_comparison = Counter(comparison for comparison, _, _ in stored)
    assert len(per_comparison) == pairs
    assert set(per_comparison.values()) == {per_pair}
    assert not Comparison.objects.filter(evaluation=evaluation).exclude(
        stage=Comparison.Stage.COMPLETE
    )
    assert sorted(accepted) == sorted(stored)


# A uniform click's statements (tests/annotations/test_click_queries.py) and two
# more: the answered pair's stage, refreshed before the rule counts the complete
# pairs' outcomes (it was refreshed with the next lease's, after the rule chose
# without it), and the model pairs' counts. The API click takes 11 (10 for uniform),
# the page click 14 (12).
ADAPTIVE_API_CLICK = 11
ADAPTIVE_PAGE_CLICK = 14


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_adaptive_api_click_costs_one_statement_more_than_the_uniform_budget(
    require_postgres, django_assert_max_num_queries
):
    evaluation, _, users = _world_with_first_pair_rated(require_postgres)
    client = APIClient()
    token = Token.objects.create(user=users[3])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    first = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    with django_assert_max_num_queries(ADAPTIVE_API_CLICK):
        response = client.post(
            f"/api/assignments/{first['assignment']}/rating/",
            {"choice": 2},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["next"]["assignment"] != first["assignment"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_adaptive_page_click_costs_two_statements_more_than_a_uniform_one(
    require_postgres, django_assert_max_num_queries
):
    evaluation, _, users = _world_with_first_pair_rated(require_postgres)
    lease = services.assignment_next(evaluation=evaluation, annotator=users[3])
    page = logged_in(users[3])
    with django_assert_max_num_queries(ADAPTIVE_PAGE_CLICK):
        response = page.post(
            f"/assignments/{lease.pk}/answer/",
            {"action": "rate", "choice": "-1", "seconds": "3"},
            headers={"X-Requested-With": "fetch"},
        )
    following = Assignment.objects.get(annotator=users[3], state="leased")
    assert response.json()["url"] == f"/assignments/{following.pk}/"
