"""An answer is checked against the pool and the evaluation's state: an annotator
removed from the pool gets a 403, one of a closed evaluation a 409, and either way
nothing is stored and the lease is released, through the API and the page."""

import pytest
from rest_framework.test import APIClient

from annotations.models import Assignment, Evaluation, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit

from .conftest import build_evaluation
from .test_annotator_pages import logged_in

State = Assignment.State
ANSWERS = [
    ("rating", {"choice": 2, "seconds": 3}),
    ("skip", {}),
    ("flag", {"comment": "cut off"}),
]


@pytest.fixture
def full_pair(require_postgres):
    """One pair, N = 1, leased by the first of two annotators: the pair is full."""
    evaluation, comparisons, users = build_evaluation(pairs=1, annotators=2, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    assert services.assignment_next(evaluation=evaluation, annotator=users[1]) is None
    return evaluation, comparisons[0], users, lease


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _remove_from_pool(evaluation, user) -> None:
    evaluation.pool.remove(user)


def _close(evaluation, _user) -> None:
    Evaluation.objects.filter(pk=evaluation.pk).update(status=Evaluation.Status.CLOSED)


def _assert_released(lease, comparison) -> None:
    lease.refresh_from_db()
    assert lease.state == State.EXPIRED
    assert lease.ended_at is not None
    assert lease.comment == ""
    assert not Rating.objects.filter(comparison=comparison).exists()


@pytest.mark.parametrize(("action", "body"), ANSWERS)
def test_api_answer_from_outside_the_pool_is_403_and_frees_the_slot(
    full_pair, action, body
):
    evaluation, comparison, users, lease = full_pair
    _remove_from_pool(evaluation, users[0])
    response = _api(users[0]).post(
        f"/api/assignments/{lease.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_in_pool"
    assert "no longer in this evaluation's annotator pool" in response.json()["detail"]
    assert response.json()["next"] is None
    _assert_released(lease, comparison)
    # The slot went back to the pair: the other annotator gets it now.
    other = services.assignment_next(evaluation=evaluation, annotator=users[1])
    assert other.comparison_id == comparison.pk


@pytest.mark.parametrize(("action", "body"), ANSWERS)
def test_api_answer_in_a_closed_evaluation_is_409_and_releases_the_lease(
    full_pair, action, body
):
    evaluation, comparison, users, lease = full_pair
    _close(evaluation, users[0])
    response = _api(users[0]).post(
        f"/api/assignments/{lease.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "closed"
    assert response.json()["detail"] == (
        "This evaluation is closed, so this answer was not recorded."
    )
    assert response.json()["next"] is None
    _assert_released(lease, comparison)
    # A second try meets the same refusal, never a 500.
    again = _api(users[0]).post(
        f"/api/assignments/{lease.pk}/{action}/", body, format="json"
    )
    assert again.status_code == 409
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("barrier", "status", "text"),
    [
        (_remove_from_pool, 403, "no longer in this evaluation&#x27;s annotator pool"),
        (_close, 409, "This evaluation is closed"),
    ],
)
def test_page_form_answer_is_refused_with_a_message(full_pair, barrier, status, text):
    evaluation, comparison, users, lease = full_pair
    barrier(evaluation, users[0])
    page = logged_in(users[0])
    response = page.post(
        f"/assignments/{lease.pk}/answer/", {"action": "rate", "choice": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = page.get("/")
    assert home.status_code == 200
    assert text in home.content.decode()
    _assert_released(lease, comparison)


@pytest.mark.parametrize(
    ("barrier", "status", "text"),
    [
        (_remove_from_pool, 403, "no longer in this evaluation's annotator pool"),
        (_close, 409, "This evaluation is closed"),
    ],
)
def test_page_fetch_answer_is_refused_with_the_reason(full_pair, barrier, status, text):
    evaluation, comparison, users, lease = full_pair
    barrier(evaluation, users[0])
    response = logged_in(users[0]).post(
        f"/assignments/{lease.pk}/answer/",
        {"action": "rate", "choice": "1", "seconds": "2"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == status
    assert text in response.json()["error"]
    _assert_released(lease, comparison)


def test_service_refusal_commits_the_release(full_pair):
    evaluation, comparison, users, lease = full_pair
    _remove_from_pool(evaluation, users[0])
    with pytest.raises(services.NotInPool):
        services.rating_submit(assignment_id=lease.pk, annotator=users[0], choice=1)
    _assert_released(lease, comparison)


def test_an_answer_already_stored_is_reported_as_before_after_closing(full_pair):
    evaluation, comparison, users, lease = full_pair
    first = _api(users[0]).post(
        f"/api/assignments/{lease.pk}/rating/", {"choice": 2}, format="json"
    )
    assert first.status_code == 201
    _close(evaluation, users[0])
    # A retry of a rating that was stored before the evaluation closed gets the
    # stored rating back, not a refusal that would suggest it was lost.
    repeat = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action="rate", choice=-1
    )
    assert repeat.refusal is None
    assert repeat.rating.choice == 2
    assert repeat.following is None
    assert Rating.objects.get(comparison=comparison).choice == 2


@pytest.mark.parametrize(
    "seconds", ["1" + "0" * 400, "1e400", '"inf"', '"nan"'], ids=str.__len__
)
def test_api_seconds_no_float_can_hold_are_a_400(small_evaluation, seconds):
    """The API's float field refuses them before the service sees them."""
    evaluation, _, users = small_evaluation
    client = _api(users[0])
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    response = client.post(
        f"/api/assignments/{pair['assignment']}/rating/",
        data='{"choice": 1, "seconds": ' + seconds + "}",
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "seconds" in response.json()["fields"]  # the Error shape, code "invalid"
    assert not Rating.objects.exists()
