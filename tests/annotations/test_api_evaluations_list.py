"""Finding evaluations through the API: the list and one evaluation, by role. A
new-user pass got 405 or 403 on the list and 404 on every evaluation, while the
next-pair and report endpoints want the evaluation's id."""

import pytest
from rest_framework.test import APIClient

from annotations import roles
from annotations.models import Evaluation
from tests.conftest import make_user
from tests.factories import ChatModelFactory, EvaluationFactory

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation
from .test_annotator_pages import assert_blind

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def two(db):
    """Two evaluations: the first with three pairs and two annotators in its pool,
    the second a tournament with its own annotator."""
    mine, _, users = build_evaluation(pairs=3, annotators=2)
    tournament = EvaluationFactory(
        kind=Evaluation.Kind.TOURNAMENT, candidate=None, baseline=None
    )
    tournament.chat_models.set(
        [ChatModelFactory(name="zeta"), ChatModelFactory(name="alpha")]
    )
    other = make_user("other-annotator", roles.ANNOTATOR)
    tournament.pool.add(other)
    return mine, tournament, users[0]


@pytest.mark.parametrize("role", ["researcher", "admin_user"])
def test_researchers_and_admins_list_every_evaluation_with_its_models(
    request, two, role
):
    mine, tournament, _ = two
    client = _api(request.getfixturevalue(role))
    response = client.get("/api/evaluations/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    newest, first = body["results"]
    assert (newest["id"], first["id"]) == (tournament.pk, mine.pk)
    assert first == {
        "id": mine.pk,
        "name": mine.name,
        "kind": "head_to_head",
        "scale": "seven",
        "status": "open",
        "stopped": False,
        "annotators_per_pair": 3,
        "safety_labels": False,
        "candidate": SECRET_CANDIDATE,
        "baseline": SECRET_BASELINE,
        "chat_models": sorted([SECRET_BASELINE, SECRET_CANDIDATE]),
        "prompt_set": mine.prompt_set.name,
        "pairs": 3,
        "created_at": first["created_at"],
        "next_url": f"/api/evaluations/{mine.pk}/next/",
        "report_url": f"/api/reports/{mine.pk}/",
    }
    assert newest["kind"] == "tournament"
    assert (newest["candidate"], newest["baseline"]) == (None, None)
    assert newest["chat_models"] == ["alpha", "zeta"]
    assert newest["pairs"] == 0
    one = client.get(f"/api/evaluations/{mine.pk}/")
    assert one.status_code == 200
    assert one.json() == first


def test_an_annotator_sees_only_the_evaluations_of_their_pools_blind(two):
    mine, tournament, annotator = two
    client = _api(annotator)
    response = client.get("/api/evaluations/")
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    assert row["id"] == mine.pk
    assert row["name"] == f"Evaluation {mine.pk}"
    assert row["pairs"] == 3
    assert row["next_url"] == f"/api/evaluations/{mine.pk}/next/"
    assert "report_url" not in row
    assert mine.name not in response.content.decode()
    assert mine.prompt_set.name not in response.content.decode()
    assert_blind(response.content.decode(), mine)
    one = client.get(f"/api/evaluations/{mine.pk}/")
    assert one.json() == row
    # The next pair is where next_url says.
    assert client.post(row["next_url"]).status_code == 200
    # Another pool's evaluation, and none at all: the same 404.
    for missing in (tournament.pk, 999999):
        refused = client.get(f"/api/evaluations/{missing}/")
        assert refused.status_code == 404
        assert refused.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_user_in_no_role_and_no_pool_sees_none(two):
    client = _api(make_user("nobody", None))
    assert client.get("/api/evaluations/").json()["count"] == 0
    assert client.get(f"/api/evaluations/{two[0].pk}/").status_code == 404


def test_creating_still_needs_the_admin_role(two, researcher):
    response = _api(researcher).post("/api/evaluations/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert APIClient().get("/api/evaluations/").status_code == 401


def test_the_list_is_paginated_and_refuses_an_unknown_parameter(two, researcher):
    client = _api(researcher)
    body = client.get("/api/evaluations/", {"page": 1}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    response = client.get("/api/evaluations/", {"name": "x"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"].startswith("name: unknown parameter")


def test_the_list_reads_a_fixed_number_of_rows(
    two, researcher, django_assert_num_queries
):
    """No query per evaluation: the pairs are counted in the list's query and the
    chat models come in one more."""
    client = _api(researcher)
    client.get("/api/evaluations/")  # reads the user's permissions, kept on the user
    with django_assert_num_queries(3):  # count, page, chat models
        assert client.get("/api/evaluations/").json()["count"] == 2
    for _ in range(4):
        build_evaluation(pairs=2, annotators=0)
    with django_assert_num_queries(3):
        assert client.get("/api/evaluations/").json()["count"] == 6


def test_the_schema_documents_the_list_and_one_evaluation(client, researcher):
    client.force_login(researcher)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    listed = paths["/api/evaluations/"]["get"]
    assert listed["operationId"] == "evaluations_list"
    assert "PaginatedEvaluationList" in str(listed["responses"]["200"])
    assert "page" in [p["name"] for p in listed["parameters"]]
    one = paths["/api/evaluations/{evaluation_id}/"]["get"]
    assert "Evaluation" in str(one["responses"]["200"])
    assert "404" in one["responses"]
    fields = schema["components"]["schemas"]["Evaluation"]["properties"]
    for name in ("id", "name", "kind", "scale", "status", "pairs", "next_url"):
        assert name in fields
    for name in ("candidate", "baseline", "prompt_set", "report_url"):
        assert name in fields
