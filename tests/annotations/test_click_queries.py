"""One annotator click costs few SQL statements, through the API and the page."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations.models import Assignment

from .conftest import build_evaluation
from .test_annotator_pages import logged_in

API_CLICK = 10
# The page also lists the annotator's last ratings (to change one): one statement.
PAGE_CLICK = 13


@pytest.fixture
def started(require_postgres):
    """An annotator holding a lease; others have rated and leased around them, so
    the click meets started and untouched pairs alike."""
    evaluation, _, users = build_evaluation(pairs=8, annotators=4)
    client = APIClient()
    token = Token.objects.create(user=users[0])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    for other in users[1:3]:
        helper = APIClient()
        helper.force_authenticate(other)
        pair = helper.post(f"/api/evaluations/{evaluation.pk}/next/").json()
        helper.post(
            f"/api/assignments/{pair['assignment']}/rating/",
            {"choice": 1},
            format="json",
        )
    first = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    return evaluation, users, client, first["assignment"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("rating", {"choice": 2, "seconds": 4.5}),
        ("skip", {}),
        ("flag", {"comment": "x"}),
    ],
)
def test_an_api_click_answers_and_leases_in_at_most_10_statements(
    started, django_assert_max_num_queries, action, body
):
    _evaluation, _users, client, assignment_id = started
    with django_assert_max_num_queries(API_CLICK):
        response = client.post(
            f"/api/assignments/{assignment_id}/{action}/", body, format="json"
        )
    assert response.status_code in (200, 201), response.content
    following = response.json()["next"]
    assert following["assignment"] != assignment_id
    assert following["response_a"]
    assert following["turns"]


def test_a_page_click_by_fetch_takes_at_most_13_statements(
    started, django_assert_max_num_queries
):
    _evaluation, users, _client, assignment_id = started
    page = logged_in(users[0])
    with django_assert_max_num_queries(PAGE_CLICK):
        response = page.post(
            f"/assignments/{assignment_id}/answer/",
            {"action": "rate", "choice": "-1", "seconds": "3"},
            headers={"X-Requested-With": "fetch"},
        )
    following = Assignment.objects.get(annotator=users[0], state="leased")
    assert response.json()["url"] == f"/assignments/{following.pk}/"
    assert 'Rated <b class="done-count">1</b>' in response.json()["html"]


def test_a_page_click_by_form_post_takes_at_most_13_statements(
    started, django_assert_max_num_queries
):
    _evaluation, users, _client, assignment_id = started
    page = logged_in(users[0])
    with django_assert_max_num_queries(PAGE_CLICK):
        response = page.post(
            f"/assignments/{assignment_id}/answer/", {"action": "rate", "choice": "1"}
        )
    following = Assignment.objects.get(annotator=users[0], state="leased")
    assert response["Location"] == f"/assignments/{following.pk}/"
    # The page it redirects to: session, user, the pair, the counts, the last
    # ratings, and the two permission checks of the navigation bar.
    with django_assert_max_num_queries(7):
        assert page.get(response["Location"]).status_code == 200
