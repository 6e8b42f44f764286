"""Ratings imported into an evaluation annotators are working on keep exactly-N: a
pair at N refuses the import whole, naming the lines; a rating for a pair its
annotator is leasing ends the lease, so their next click is answered cleanly."""

import json
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count
from rest_framework.test import APIClient

from annotations.models import Assignment, Comparison, Evaluation, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit
from annotations.services.imports import ratings_import
from evalsite.imports.reader import ImportFileError

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation, shared_order

State = Assignment.State


def _line(comparison: Comparison, annotator: str, choice: int = 1) -> dict:
    return {
        "prompt_id": comparison.prompt.external_id,
        "model_a": SECRET_CANDIDATE,
        "model_b": SECRET_BASELINE,
        "annotator": annotator,
        "choice": choice,
    }


def _import(evaluation: Evaluation, *lines: dict):
    return ratings_import(
        prompt_set_name=evaluation.prompt_set.name,
        evaluation_name=evaluation.name,
        scale=evaluation.scale,
        file_name="live.jsonl",
        data="\n".join(json.dumps(line) for line in lines).encode(),
    )


def _rate(evaluation: Evaluation, user, choice: int = 1) -> Assignment:
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    services.rating_submit(assignment_id=lease.pk, annotator=user, choice=choice)
    return lease


def _counts(evaluation: Evaluation) -> tuple[int, list[tuple[int, str]]]:
    states = Assignment.objects.filter(comparison__evaluation=evaluation)
    return (
        Rating.objects.filter(comparison__evaluation=evaluation).count(),
        sorted(states.values_list("pk", "state")),
    )


@pytest.fixture
def live(require_postgres):
    """N = 2, two pairs. Pair one: a rating and a live lease (full). Pair two: a
    rating (room for one)."""
    evaluation, comparisons, users = build_evaluation(pairs=2, annotators=4, per_pair=2)
    first, second = shared_order(evaluation, comparisons)
    assert _rate(evaluation, users[0]).comparison_id == first.pk
    held = services.assignment_next(evaluation=evaluation, annotator=users[1])
    assert held.comparison_id == first.pk
    assert _rate(evaluation, users[2]).comparison_id == second.pk  # first is full
    return evaluation, first, second, users, held


def test_import_that_would_exceed_n_is_refused_whole_naming_the_lines(live):
    evaluation, first, second, _users, _held = live
    before = _counts(evaluation)
    with pytest.raises(ImportFileError) as refused:
        _import(
            evaluation,
            _line(second, "outside-1"),  # takes the second pair's last slot
            _line(first, "outside-2"),  # the first pair is full
            _line(second, "outside-3"),  # the second pair is now full
        )
    offending = [(e.line, e.field) for e in refused.value.errors]
    assert offending == [(2, "annotator"), (3, "annotator")]
    assert "would exceed annotators_per_pair" in refused.value.errors[0].message
    assert _counts(evaluation) == before
    assert not Rating.objects.filter(annotator__username__startswith="outside").exists()
    # Within the room left, the same kind of import is stored.
    assert _import(evaluation, _line(second, "outside-1")).created == 1
    second.refresh_from_db()
    assert second.stage == Comparison.Stage.COMPLETE


def test_import_counts_a_lease_as_a_slot_until_it_expires(live):
    evaluation, first, _second, _users, held = live
    with pytest.raises(ImportFileError):
        _import(evaluation, _line(first, "outside-1"))
    Assignment.objects.filter(pk=held.pk).update(expires_at=held.leased_at)
    assert _import(evaluation, _line(first, "outside-1")).created == 1
    assert Rating.objects.filter(comparison=first).count() == 2


def test_import_for_the_leasing_annotator_ends_their_lease(live):
    evaluation, first, _second, users, held = live
    # The pair is full (a rating and this lease), but the rating takes the lease's
    # own slot, so it is admitted.
    result = _import(evaluation, _line(first, users[1].username, choice=-2))
    assert result.created == 1
    held.refresh_from_db()
    assert held.state == State.SUBMITTED
    assert held.ended_at is not None
    rating = Rating.objects.get(comparison=first, annotator=users[1])
    assert rating.assignment_id == held.pk
    assert rating.source == Rating.Source.IMPORTED
    first.refresh_from_db()
    assert first.stage == Comparison.Stage.COMPLETE


def test_leasing_annotators_next_api_submit_is_clean_with_the_next_pair(
    require_postgres,
):
    evaluation, _comparisons, users = build_evaluation(pairs=3, annotators=1)
    client = APIClient()
    client.force_authenticate(users[0])
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    leased = Comparison.objects.get(assignments__pk=pair["assignment"])
    _import(evaluation, _line(leased, users[0].username, choice=3))
    response = client.post(
        f"/api/assignments/{pair['assignment']}/rating/",
        {"choice": -1, "seconds": 2},
        format="json",
    )
    assert response.status_code in (200, 409), response.content
    body = response.json()
    assert "imported" in body.get("notice", body.get("detail"))
    assert body["next"] is not None
    assert body["next"]["assignment"] != pair["assignment"]
    # The imported rating stands; the click stored nothing more.
    assert list(Rating.objects.values_list("comparison_id", "choice")) == [
        (leased.pk, 3)
    ]
    # And the annotator is not stuck: the next pair takes an answer.
    following = client.post(
        f"/api/assignments/{body['next']['assignment']}/rating/",
        {"choice": 1},
        format="json",
    )
    assert following.status_code == 201


@pytest.mark.parametrize("action", ["rate", "skip", "flag"])
def test_an_unlinked_imported_rating_never_makes_a_submit_fail(
    require_postgres, action
):
    """A rating stored beside the lease (as imports did before they ended leases)
    is met with a refusal and the next pair, not a duplicate key error."""
    evaluation, _comparisons, users = build_evaluation(pairs=3, annotators=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    Rating.objects.create(
        comparison_id=lease.comparison_id,
        annotator=users[0],
        scale=evaluation.scale,
        choice=2,
        candidate_on_left=True,
        score=2,
        source=Rating.Source.IMPORTED,
        created_at=lease.leased_at,
    )
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action=action, choice=1
    )
    assert outcome.following is not None
    assert outcome.following.comparison_id != lease.comparison_id
    if action == "rate":
        assert isinstance(outcome.refusal, services.AssignmentEnded)
        assert "already recorded (imported)" in outcome.refusal.message
        lease.refresh_from_db()
        assert lease.state == State.EXPIRED
    assert Rating.objects.get().choice == 2


def test_upload_api_refuses_a_file_over_n_with_400_naming_lines(live, admin_user):
    evaluation, first, second, _users, _held = live
    client = APIClient()
    client.force_authenticate(admin_user)
    before = _counts(evaluation)
    data = "\n".join(
        json.dumps(line)
        for line in (_line(second, "outside-1"), _line(first, "outside-2"))
    )
    response = client.post(
        "/api/imports/ratings/",
        {
            "prompt_set": evaluation.prompt_set.name,
            "evaluation": evaluation.name,
            "scale": evaluation.scale,
            "file": SimpleUploadedFile("r.jsonl", data.encode()),
        },
        format="multipart",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "annotator")]
    assert _counts(evaluation) == before


def test_import_into_a_closed_imported_evaluation_has_no_pair_limit(require_postgres):
    """What was rated elsewhere is kept however many annotators rated a pair."""
    evaluation, comparisons, _users = build_evaluation(
        pairs=1, annotators=0, per_pair=1
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status=Evaluation.Status.CLOSED, source=Evaluation.Source.IMPORTED
    )
    lines = [_line(comparisons[0], f"crowd-{i}") for i in range(3)]
    assert _import(evaluation, *lines).created == 3


PAIRS = 12
PER_PAIR = 3
ANNOTATORS = 6
IMPORTS = 24


def _annotate(evaluation, user, errors, barrier):
    try:
        barrier.wait()
        lease = services.assignment_next(evaluation=evaluation, annotator=user)
        while lease is not None:
            lease = answer_submit(
                assignment_id=lease.pk, annotator=user, action="rate", choice=1
            ).following
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


def _importer(evaluation, comparisons, users, outcomes, errors, barrier):
    """Imports of two lines each, by pool annotators (who may be leasing the pair)
    and by outsiders."""
    try:
        barrier.wait()
        for index in range(IMPORTS):
            lines = [
                _line(comparisons[index % PAIRS], users[index % ANNOTATORS].username),
                _line(comparisons[(index * 5 + 1) % PAIRS], f"outside-{index}"),
            ]
            try:
                outcomes.append(_import(evaluation, *lines).created)
            except ImportFileError as error:
                outcomes.append(frozenset(e.field for e in error.errors))
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_imports_racing_annotators_leave_at_most_n_per_pair(require_postgres):
    evaluation, comparisons, users = build_evaluation(
        pairs=PAIRS, annotators=ANNOTATORS, per_pair=PER_PAIR
    )
    # Loaded here, not in the threads.
    assert evaluation.prompt_set.name
    assert all(comparison.prompt.external_id for comparison in comparisons)
    errors, outcomes = [], []
    barrier = threading.Barrier(ANNOTATORS + 1)
    threads = [
        threading.Thread(target=_annotate, args=(evaluation, user, errors, barrier))
        for user in users
    ]
    threads.append(
        threading.Thread(
            target=_importer,
            args=(evaluation, comparisons, users, outcomes, errors, barrier),
        )
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(outcomes) == IMPORTS
    refusals = [o for o in outcomes if isinstance(o, frozenset)]
    assert all(fields <= {"annotator", "choice"} for fields in refusals)
    pairs = Comparison.objects.filter(evaluation=evaluation).annotate(
        n=Count("ratings")
    )
    assert max(pair.n for pair in pairs) <= PER_PAIR
    # Every pair ends complete: the annotators fill what the imports leave, and none
    # is told that nothing is left while a pair is open to them.
    assert {pair.n for pair in pairs} == {PER_PAIR}
    # Each pair's stage is true to its ratings, whoever wrote them last.
    for pair in pairs:
        complete = pair.stage == Comparison.Stage.COMPLETE
        assert complete == (pair.n == PER_PAIR), (pair.pk, pair.n, pair.stage)
    assert (
        not Rating.objects.values("comparison", "annotator")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not Assignment.objects.filter(state=State.LEASED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_answer_never_waits_for_pairs_while_holding_its_own(require_postgres):
    """The only pair open to the annotator is locked by a transaction that ends
    only once the answer commits (as a click waiting for the answered pair would):
    the answer commits first, and the next pair is leased once the other lets go
    (before, both waited until the click said that nothing was left)."""
    evaluation, (first, second), users = build_evaluation(
        pairs=2, annotators=1, per_pair=1
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    assert lease.comparison_id == first.pk
    locked, seen = threading.Event(), []

    def hold_second_until_the_answer_commits():
        try:
            with transaction.atomic():
                Comparison.objects.select_for_update().get(pk=second.pk)
                locked.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if Rating.objects.filter(comparison=first).exists():
                        seen.append(True)
                        break
                    time.sleep(0.01)
        finally:
            locked.set()
            connection.close()

    holder = threading.Thread(target=hold_second_until_the_answer_commits)
    holder.start()
    assert locked.wait(10)
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action="rate", choice=1
    )
    holder.join(20)
    assert seen == [True]
    assert outcome.created
    assert outcome.following is not None
    assert outcome.following.comparison_id == second.pk
