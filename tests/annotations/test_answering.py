"""One click, one service: answer_submit stores the answer and leases the next pair;
the API client needs one request per click; the pairs' stage follows one rule."""

import importlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from annotations.item_selectors import item_view
from annotations.models import Assignment, Comparison, Evaluation, Rating
from annotations.serializers import (
    AnswerSerializer,
    PairSerializer,
    RatingAnswerSerializer,
)
from annotations.services import assignments as services
from annotations.services.answering import AnswerOutcome, answer_submit
from annotations.services.stages import stages_refresh
from tests.factories import RatingFactory, UserFactory

from .conftest import build_evaluation, shared_order

Stage = Comparison.Stage


def test_answer_submit_stores_the_rating_and_leases_the_next_pair(small_evaluation):
    evaluation, comparisons, users = small_evaluation
    comparisons = shared_order(evaluation, comparisons)
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action="rate", choice=2, seconds=5
    )
    assert isinstance(outcome, AnswerOutcome)
    assert (outcome.created, outcome.refusal, outcome.notice) == (True, None, "")
    assert outcome.rating == Rating.objects.get()
    assert outcome.assignment.state == Assignment.State.SUBMITTED
    following = outcome.following
    assert following.comparison_id == comparisons[1].pk
    assert following.comparison.prompt.turns  # loaded with the lease
    assert Assignment.objects.get(pk=following.pk).state == Assignment.State.LEASED


def test_a_refused_answer_still_leases_the_next_pair(db):
    evaluation, _, users = build_evaluation(pairs=2, annotators=2, per_pair=1)
    long_ago = timezone.now() - timedelta(hours=1)
    late = services.assignment_next(
        evaluation=evaluation, annotator=users[0], now=long_ago
    )
    services.assignment_next(evaluation=evaluation, annotator=users[1])
    outcome = answer_submit(
        assignment_id=late.pk, annotator=users[0], action="rate", choice=1
    )
    assert isinstance(outcome.refusal, services.LeaseLost)
    assert "went to another annotator" in outcome.notice
    assert outcome.following is not None
    assert not Rating.objects.filter(annotator=users[0]).exists()


def test_bad_input_stores_nothing_and_leases_nothing(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    with pytest.raises(services.InvalidAnswer):
        answer_submit(
            assignment_id=lease.pk, annotator=users[0], action="rate", choice=9
        )
    assert list(Assignment.objects.values_list("pk", "state")) == [(lease.pk, "leased")]


def test_one_request_per_click_rates_every_pair(db):
    evaluation, _, users = build_evaluation(pairs=3, annotators=1, per_pair=1)
    client = APIClient()
    client.force_authenticate(users[0])
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    clicks = 0
    while pair is not None:
        response = client.post(
            f"/api/assignments/{pair['assignment']}/rating/",
            {"choice": -1, "seconds": 2},
            format="json",
        )
        assert response.status_code == 201
        pair = response.json()["next"]
        clicks += 1
    assert clicks == 3
    assert Rating.objects.count() == 3
    assert set(Comparison.objects.values_list("stage", flat=True)) == {Stage.COMPLETE}


def test_a_refused_api_answer_is_409_with_the_next_pair(db):
    evaluation, _, users = build_evaluation(pairs=2, annotators=1)
    client = APIClient()
    client.force_authenticate(users[0])
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    client.post(f"/api/assignments/{pair['assignment']}/skip/")
    refused = client.post(
        f"/api/assignments/{pair['assignment']}/rating/", {"choice": 1}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "ended"
    assert refused.json()["next"]["assignment"] != pair["assignment"]


def test_stage_follows_leases_answers_and_expiry(db):
    evaluation, comparisons, users = build_evaluation(pairs=2, annotators=2, per_pair=2)
    first, _second = shared_order(evaluation, comparisons)
    now = timezone.now()

    def stage():
        first.refresh_from_db()
        return first.stage

    lease = services.assignment_next(evaluation=evaluation, annotator=users[0], now=now)
    assert stage() == Stage.STARTED
    services.assignment_skip(assignment_id=lease.pk, annotator=users[0], now=now)
    assert stage() == Stage.UNTOUCHED  # nothing rated, nobody holds it
    lease = services.assignment_next(evaluation=evaluation, annotator=users[1], now=now)
    assert lease.comparison_id == first.pk
    services.assignments_expire(now=now + timedelta(hours=1))
    assert stage() == Stage.UNTOUCHED
    services.rating_submit(
        assignment_id=lease.pk, annotator=users[1], choice=1, now=now
    )
    assert stage() == Stage.STARTED  # a late rating, while the pair had room
    RatingFactory(comparison=first, annotator=UserFactory(username="crowd"))
    assert stages_refresh(evaluation_id=evaluation.pk) == 1
    assert stage() == Stage.COMPLETE


def test_a_pair_filled_behind_its_stage_is_passed_over_and_its_stage_made_true(db):
    evaluation, comparisons, users = build_evaluation(pairs=2, annotators=1, per_pair=1)
    filled, fresh = shared_order(evaluation, comparisons)
    RatingFactory(comparison=filled, annotator=UserFactory(username="elsewhere"))
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    assert lease.comparison_id == fresh.pk
    filled.refresh_from_db()
    assert filled.stage == Stage.COMPLETE


def test_closed_evaluation_refuses_the_answer_and_ends_the_loop(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    Evaluation.objects.filter(pk=evaluation.pk).update(status=Evaluation.Status.CLOSED)
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action="flag", comment="cut off"
    )
    assert not outcome.created
    assert isinstance(outcome.refusal, services.EvaluationClosed)
    assert outcome.following is None
    assert (
        outcome.notice == "This evaluation is closed, so this answer was not recorded."
    )
    lease.refresh_from_db()
    assert (lease.state, lease.comment) == (Assignment.State.EXPIRED, "")


@pytest.mark.parametrize("module", ["sql", "pair_queries", "answer_queries", "stages"])
def test_the_hand_written_sql_takes_states_and_stages_from_the_model_enums(module):
    source = Path(importlib.import_module(f"annotations.services.{module}").__file__)
    text = source.read_text()
    for state in Assignment.State:
        assert not re.search(rf"'{state.value}'", text), state
    assert not re.search(r"stage\s*(=|<|<>|>=)\s*\d", text)


def test_the_api_answers_in_the_shape_its_serializers_document(small_evaluation):
    evaluation, _, users = small_evaluation
    client = APIClient()
    client.force_authenticate(users[0])

    def documented(pair):
        lease = Assignment.objects.get(pk=pair["assignment"])
        view = item_view(lease, with_counts=False, render=False)
        return json.loads(json.dumps(PairSerializer(view).data))

    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    assert pair == documented(pair)
    rated = client.post(
        f"/api/assignments/{pair['assignment']}/rating/",
        {"choice": 1, "seconds": 2.5},
        format="json",
    ).json()
    assert list(rated) == list(RatingAnswerSerializer().fields)
    assert rated["next"] == documented(rated["next"])
    skipped = client.post(f"/api/assignments/{rated['next']['assignment']}/skip/")
    assert list(skipped.json()) == list(AnswerSerializer().fields)


def test_the_loop_services_run_in_their_own_durable_transactions(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    calls = [
        lambda: services.assignment_next(evaluation=evaluation, annotator=users[1]),
        lambda: answer_submit(
            assignment_id=lease.pk, annotator=users[0], action="skip"
        ),
        lambda: services.rating_submit(
            assignment_id=lease.pk, annotator=users[0], choice=1
        ),
        lambda: services.assignments_expire(),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
            call()


def test_the_leasing_window_is_planned_once_per_connection(require_postgres):
    """The window's stages are written into its text, so PostgreSQL keeps a generic
    plan for the prepared statement instead of planning it at every click. With the
    stages bound it never did once the table's statistics showed few started pairs
    (benchmarks/README.md)."""
    from django.db import connection

    from annotations.services import pair_queries

    evaluation, comparisons, users = build_evaluation(pairs=120, annotators=2)
    Comparison.objects.filter(pk__in=[c.pk for c in comparisons[:90]]).update(
        stage=Comparison.Stage.COMPLETE
    )
    services.assignment_next(evaluation=evaluation, annotator=users[1])  # one started
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Comparison._meta.db_table}")
    for _ in range(12):
        with transaction.atomic():
            rows = pair_queries.open_window(
                evaluation_id=evaluation.pk,
                per_pair=evaluation.annotators_per_pair,
                user_id=users[0].pk,
                now=timezone.now(),
                limit=2,
                order_seed=7,
            )
    assert [row.started for row in rows] == [True, False]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%w.occupied%"],
        )
        plans = cursor.fetchall()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert generic >= 1, plans
    assert custom <= 5, plans
