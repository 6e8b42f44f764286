"""A second API pass found a bad ``?format=`` answered 404 "Not found." on most
endpoints (400 on the reports'), and lists that took no filter answering every row
to ``?foo=1``. Both are now one rule for the whole API."""

import pytest
from rest_framework.test import APIClient

from annotations import roles
from tests.annotations.conftest import build_evaluation
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    client = APIClient()
    client.force_authenticate(make_user("api-admin", roles.ADMIN))
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/api/evaluations/",
        "/api/flags/",
        "/api/jobs/",
        "/api/judge-runs/",
        "/api/chat-models/",
    ],
)
def test_a_format_no_renderer_takes_is_a_400_naming_it(admin, path):
    response = admin.get(path, {"format": "csv"})
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "format: no format 'csv'; use json, api"
    assert admin.get(path, {"format": "json"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "takes"),
    [
        ("/api/jobs/", "page, format"),
        ("/api/judge-runs/", "page, format"),
        ("/api/chat-models/", "page, format"),
        ("/api/evaluations/", "page, format"),
        ("/api/flags/", "evaluation, page, format"),
    ],
)
def test_a_list_refuses_a_query_parameter_it_does_not_take_naming_it(
    admin, path, takes
):
    response = admin.get(path, {"foo": "1"})
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == f"foo: unknown parameter; use {takes}"
    assert admin.get(path, {"page": "1"}).status_code == 200


def test_one_evaluation_refuses_a_query_parameter_naming_it(admin):
    """``/api/evaluations/<id>/?foo=1`` answered 200 (a second API pass)."""
    evaluation, _, _ = build_evaluation(pairs=1, annotators=1, per_pair=1)
    url = f"/api/evaluations/{evaluation.pk}/"
    response = admin.get(url, {"foo": "1"})
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "foo: unknown parameter; use format"
    assert admin.get(url, {"format": "json"}).status_code == 200


def test_the_schema_documents_the_quota_done_body_and_the_404s(admin):
    """A client generated from the schema dropped the completion code a 409
    'quota_done' carries, and read the annotator endpoints' 404s as bodiless."""
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert {"completion_code", "completion_url"} <= set(error)
    next_pair = schema["paths"]["/api/evaluations/{evaluation_id}/next/"]["post"][
        "responses"
    ]
    for code in ("404", "409"):
        body = next_pair[code]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Error"}, code


def test_the_consistency_upload_and_start_answers_are_typed(admin):
    """The upload's 201 (with the evaluation_id every later call needs) and the
    start's 202 and 503 were untyped objects in the schema."""
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    upload = schema["paths"]["/api/consistency/imports/"]["post"]["responses"]["201"]
    ref = upload["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[ref]["properties"]) == {
        "created", "unchanged", "evaluation", "evaluation_id"
    }  # fmt: skip
    start = schema["paths"]["/api/consistency/evaluations/{id}/start/"]["post"]
    queued = start["responses"]["202"]["content"]["application/json"]["schema"]
    assert set(components[queued["$ref"].rsplit("/", 1)[1]]["properties"]) == {"queued"}
    busy = start["responses"]["503"]["content"]["application/json"]["schema"]
    assert busy == {"$ref": "#/components/schemas/Error"}


def test_an_annotators_reads_refuse_a_query_parameter_naming_it():
    """``GET /api/assignments/<id>/?foo=1`` (and the item, recent ratings, one
    rating, the quality figures, an import's status) answered 200 as if the
    parameter meant something (a third API pass)."""
    evaluation, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    client = APIClient()
    client.force_authenticate(user)
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    rated = client.post(
        f"/api/assignments/{pair['assignment']}/rating/", {"choice": 1, "seconds": 2}
    ).json()
    assert rated["created"] is True
    rating = client.get(f"/api/evaluations/{evaluation.pk}/ratings/recent/").json()
    for url in (
        f"/api/assignments/{pair['assignment']}/",
        f"/api/items/{pair['item']}/",
        f"/api/evaluations/{evaluation.pk}/ratings/recent/",
        f"/api/ratings/{rating[0]['id']}/",
    ):
        response = client.get(url, {"foo": "1"})
        assert response.status_code == 400, (url, response.content)
        assert response.json()["detail"] == "foo: unknown parameter; use format"
        assert client.get(url, {"format": "json"}).status_code == 200, url
    staff = APIClient()
    staff.force_authenticate(make_user("api-admin-reads", roles.ADMIN))
    url = f"/api/evaluations/{evaluation.pk}/quality/"
    response = staff.get(url, {"foo": "1"})
    assert response.status_code == 400, response.content
    assert staff.get(url).status_code == 200


def test_the_schema_documents_the_404_body_of_rating_changes_and_undo(admin):
    """``/api/ratings/<id>/``, ``.../ratings/recent/`` and ``undo-skip`` answer
    404 with ``{detail, code}`` but the schema gave their 404s no body."""
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path, method in (
        ("/api/ratings/{rating_id}/", "get"),
        ("/api/ratings/{rating_id}/", "patch"),
        ("/api/evaluations/{evaluation_id}/ratings/recent/", "get"),
        ("/api/assignments/{assignment_id}/undo-skip/", "post"),
    ):
        body = paths[path][method]["responses"]["404"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/Error"}, path
    undo = paths["/api/assignments/{assignment_id}/undo-skip/"]["post"]
    assert "paused" in undo["responses"]["403"]["description"]


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "٢"])
def test_a_page_that_is_no_page_number_is_a_400_naming_it(admin, page):
    """``?page=abc`` answered 404 "Invalid page.", which reads as if the list were
    missing and names no parameter (a third API pass)."""
    response = admin.get("/api/evaluations/", {"page": page})
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == (
        f"page: {page!r} is not a page number; use 1, 2, ... or last"
    )
    assert admin.get("/api/evaluations/", {"page": "last"}).status_code == 200
    past = admin.get("/api/evaluations/", {"page": "9"})
    assert past.status_code == 404
    assert past.json()["detail"] == "page: That page contains no results"


def test_the_schema_says_an_answer_is_refused_403_when_paused(admin):
    """A paused annotator's answer is a 403 'paused', but the schema's 403 of the
    answer endpoints spoke only of leaving the pool."""
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/assignments/{assignment_id}/rating/",
        "/api/assignments/{assignment_id}/skip/",
        "/api/assignments/{assignment_id}/flag/",
        "/api/items/{token}/answer/",
    ):
        refused = schema["paths"][path]["post"]["responses"]["403"]["description"]
        assert "'paused'" in refused, path
        assert "'not_in_pool'" in refused, path
