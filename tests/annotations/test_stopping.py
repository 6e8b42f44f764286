"""Stopping a head-to-head evaluation when its always-valid sequence has decided:
the rule, the pair order, the stop recorded once, and leasing refusing new pairs."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as s
from rest_framework.test import APIClient

from annotations.models import Evaluation
from annotations.sequence_selectors import completed_outcomes, evaluation_sequence
from annotations.sequential_rules import (
    SequenceNow,
    completion_ordered,
    majority_outcome,
    stop_reason,
)
from annotations.services import assignments as services
from annotations.services.answering import answer_submit
from annotations.services.stopping import evaluation_stop_check
from reports.statistics import pair_outcomes
from tests.factories import RatingFactory

from .conftest import build_evaluation

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@settings(max_examples=80, deadline=None)
@given(s.lists(s.integers(-3, 3), min_size=1, max_size=7))
def test_majority_outcome_is_the_reports_default_rule(scores):
    frame = pd.DataFrame(
        {"comparison_id": 1, "prompt_id": 1, "score": scores}, index=range(len(scores))
    )
    assert majority_outcome(scores) == pair_outcomes(frame)["outcome"].item()


def test_pairs_come_in_the_order_their_nth_rating_was_stored():
    rows = [
        (1, 10, 2),  # pair 1: two wins, complete with rating 30
        (1, 30, 1),
        (2, 11, -2),  # pair 2: a tie (a win, a loss), complete with rating 12
        (2, 12, 3),
        (3, 13, -3),  # pair 3: one rating only, not complete
        (4, 21, -1),  # pair 4: a loss, complete with rating 21
        (4, 20, -1),
        (5, 14, 1),  # pair 5: complete with its second rating (15), a win;
        (5, 15, 2),  # its third (40) comes after it completed
        (5, 40, -3),
    ]
    assert completion_ordered(rows, per_pair=2) == [0, 1, -1, 1]


def test_rules_say_why_in_a_sentence():
    now = SequenceNow(
        pairs=183, decisive=150, win=(0.4, 0.55), win_no_ties=(0.58, 0.71)
    )
    assert stop_reason(now, rule="decided", width=None, min_pairs=0) == (
        "Stopped after 183 pairs: the always-valid 95 % sequence for win / (win + "
        "loss), 0.58 to 0.71, excludes 50 % (the candidate is preferred)."
    )
    assert stop_reason(now, rule="decided", width=None, min_pairs=200) == ""
    assert stop_reason(now, rule="width", width=0.2, min_pairs=0).startswith(
        "Stopped after 183 pairs: the always-valid 95 % sequence for the win rate, "
        "0.40 to 0.55, is narrower than 0.20"
    )
    assert stop_reason(now, rule="width", width=0.1, min_pairs=0) == ""
    assert stop_reason(now, rule="none", width=None, min_pairs=0) == ""


def _rated(evaluation, comparisons, users, choices):
    for comparison, choice in zip(comparisons, choices, strict=False):
        for minute, user in enumerate(users[: evaluation.annotators_per_pair]):
            RatingFactory(
                comparison=comparison,
                annotator=user,
                choice=choice,
                created_at=T0 + timedelta(minutes=comparison.pk * 10 + minute),
            )


@pytest.mark.django_db
def test_decided_rule_stops_once_after_the_minimum_and_leasing_refuses():
    evaluation, comparisons, users = build_evaluation(
        pairs=40, annotators=2, per_pair=1, stop_rule="decided", stop_min_pairs=25
    )
    _rated(evaluation, comparisons[:24], users, [2] * 24)
    assert completed_outcomes(evaluation=evaluation) == [1] * 24
    # 24 wins in a row exclude 50 % (17 would), but the minimum is 25 pairs.
    assert evaluation_sequence(evaluation=evaluation).win_no_ties[0] > 0.5
    assert not evaluation_stop_check(evaluation_id=evaluation.pk)
    held = services.assignment_next(evaluation=evaluation, annotator=users[1])
    # The 25th pair is any but the one held (the annotator's own order is random).
    twenty_fifth = next(c for c in comparisons[24:] if c.pk != held.comparison_id)
    _rated(evaluation, [twenty_fifth], users, [2])
    assert evaluation_stop_check(evaluation_id=evaluation.pk, now=T0)
    assert not evaluation_stop_check(evaluation_id=evaluation.pk)  # once
    evaluation.refresh_from_db()
    assert (evaluation.stopped_at, evaluation.stop_pairs) == (T0, 25)
    assert evaluation.stop_reason.startswith("Stopped after 25 pairs: ")
    assert "excludes 50 % (the candidate is preferred)" in evaluation.stop_reason
    with pytest.raises(services.EvaluationStopped, match="has stopped"):
        services.assignment_next(evaluation=evaluation, annotator=users[0])
    # A lease held before the stop is still answered, and no next pair comes.
    outcome = answer_submit(
        assignment_id=held.pk, annotator=users[1], action="rate", choice=-1
    )
    assert outcome.created
    assert outcome.following is None
    assert isinstance(outcome.stopped, services.EvaluationStopped)
    assert "has stopped" in outcome.notice


@pytest.mark.django_db
def test_width_rule_waits_for_a_narrow_sequence_and_none_never_stops():
    evaluation, comparisons, users = build_evaluation(
        pairs=30, annotators=1, per_pair=1, stop_rule="width", stop_width=0.2
    )
    _rated(evaluation, comparisons, users, [2, 0, -2] * 10)
    assert not evaluation_stop_check(evaluation_id=evaluation.pk)
    Evaluation.objects.filter(pk=evaluation.pk).update(stop_width=1.0)
    assert evaluation_stop_check(evaluation_id=evaluation.pk)
    plain, comparisons, users = build_evaluation(pairs=20, annotators=1, per_pair=1)
    _rated(plain, comparisons, users, [2] * 20)
    assert not evaluation_stop_check(evaluation_id=plain.pk)
    assert Evaluation.objects.get(pk=plain.pk).stopped_at is None


@pytest.mark.django_db
def test_stopped_evaluation_is_a_409_in_the_api_and_a_message_on_the_page():
    evaluation, _, users = build_evaluation(pairs=3, annotators=1, per_pair=1)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        stop_rule="decided", stopped_at=T0, stop_pairs=3, stop_reason="Stopped."
    )
    client = APIClient()
    client.force_authenticate(users[0])
    response = client.post(f"/api/evaluations/{evaluation.pk}/next/")
    assert response.status_code == 409
    assert response.json()["code"] == "stopped"
    client.force_login(users[0])
    page = client.post(f"/evaluations/{evaluation.pk}/next/", follow=True)
    assert "This evaluation has stopped" in page.content.decode()
    home = client.get("/").content.decode()
    assert "Stopped</span>" in home
    assert "Start rating" not in home


@pytest.mark.django_db
def test_a_pair_leased_before_the_stop_is_handed_back_and_answered(client):
    """The docs say a pair already leased may still be answered, but after the
    stop next/ answered 409 and the home page offered no way back to it."""
    evaluation, _, (holder, other) = build_evaluation(pairs=3, annotators=2, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=holder)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        stop_rule="decided", stopped_at=T0, stop_pairs=3, stop_reason="Stopped."
    )
    api = APIClient()
    api.force_authenticate(holder)
    again = api.post(f"/api/evaluations/{evaluation.pk}/next/")
    assert (again.status_code, again.json()["assignment"]) == (200, lease.pk)
    client.force_login(holder)
    home = client.get("/").content.decode()
    assert f'id="finish-{evaluation.pk}"' in home
    # Its page counts it as all that is left (it said "2 left": the open pairs).
    pair_page = client.get(f"/assignments/{lease.pk}/").content.decode()
    assert '<b class="left-count">1</b> left (this one included)' in pair_page
    rated = api.post(f"/api/assignments/{lease.pk}/rating/", {"choice": 1})
    assert rated.status_code == 201
    assert (rated.json()["next"], rated.json()["stopped"]) == (None, "stopped")
    assert f'id="finish-{evaluation.pk}"' not in client.get("/").content.decode()
    api.force_authenticate(other)
    assert api.post(f"/api/evaluations/{evaluation.pk}/next/").status_code == 409


@pytest.mark.django_db
def test_progress_page_shows_the_sequence_the_rule_and_the_stop(client, admin_user):
    evaluation, comparisons, users = build_evaluation(
        pairs=25, annotators=1, per_pair=1, stop_rule="decided", stop_min_pairs=20
    )
    _rated(evaluation, comparisons[:20], users, [2] * 20)
    client.force_login(admin_user)
    url = f"/evaluations/{evaluation.pk}/progress/"
    html = client.get(url).content.decode()
    assert 'id="stopped-banner"' not in html
    assert '<span id="status">Open for rating</span>' in html
    assert "not before 20 complete pairs" in html
    assert evaluation_stop_check(evaluation_id=evaluation.pk, now=T0)
    html = client.get(url).content.decode()
    low, high = evaluation_sequence(evaluation=evaluation).win_no_ties
    assert f"{low:.2f} to {high:.2f}" in html
    assert "<strong>Stopped</strong> on 2026-01-01 00:00" in html
    # The header agrees with the banner (it said "Open for rating").
    assert '<span id="status">Stopped by its stopping rule</span>' in html
    assert "Stopped after 20 pairs: the always-valid 95 % sequence" in html


@pytest.mark.django_db
def test_check_stopping_command_stops_what_an_import_decided():
    from io import StringIO

    from django.core.management import call_command

    decided, comparisons, users = build_evaluation(
        pairs=20, annotators=1, per_pair=1, stop_rule="decided"
    )
    _rated(decided, comparisons, users, [2] * 20)  # as an import would store them
    going, comparisons, users = build_evaluation(
        pairs=4, annotators=1, per_pair=1, stop_rule="decided"
    )
    _rated(going, comparisons, users, [2, -2, 2, -2])
    out = StringIO()
    call_command("check_stopping", stdout=out)
    lines = {line.split("\t")[0]: line for line in out.getvalue().splitlines()}
    assert lines[decided.name].startswith(
        f"{decided.name}\tstopped\tStopped after 20 pairs"
    )
    assert lines[going.name].startswith(f"{going.name}\tgoes on\t4 complete pairs;")
    assert "win / (win + loss)" in lines[going.name]  # what the decided rule watches
    assert Evaluation.objects.get(pk=decided.pk).stopped_at is not None


@pytest.mark.django_db
def test_check_stopping_prints_the_win_rate_a_width_rule_watches():
    from io import StringIO

    from django.core.management import call_command

    narrowing, comparisons, users = build_evaluation(
        pairs=4, annotators=1, per_pair=1, stop_rule="width", stop_width=0.1
    )
    _rated(narrowing, comparisons, users, [2, 0, 2, -2])
    out = StringIO()
    call_command("check_stopping", stdout=out)
    (line,) = out.getvalue().splitlines()
    low, high = evaluation_sequence(evaluation=narrowing).win
    assert line == (
        f"{narrowing.name}\tgoes on\t4 complete pairs; win rate {low:.2f} to "
        f"{high:.2f} (width {high - low:.2f}, target 0.10)"
    )


@pytest.mark.django_db
def test_a_rating_that_leaves_its_pair_incomplete_ends_the_check_early(
    django_assert_num_queries,
):
    """The sequence reads complete pairs only: the check after a rating that left
    its pair short of N ends after the evaluation and one count; after the rating
    that completed a pair it reads the sequence and stops."""
    evaluation, comparisons, users = build_evaluation(
        pairs=30, annotators=2, per_pair=2, stop_rule="decided", stop_min_pairs=1
    )
    _rated(evaluation, comparisons[:20], users, [2] * 20)
    RatingFactory(comparison=comparisons[20], annotator=users[0], choice=2)
    with django_assert_num_queries(2):
        assert not evaluation_stop_check(
            evaluation_id=evaluation.pk, comparison_id=comparisons[20].pk
        )
    assert evaluation_stop_check(
        evaluation_id=evaluation.pk, comparison_id=comparisons[19].pk
    )
