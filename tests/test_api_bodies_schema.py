"""Every JSON body the API answers with matches the OpenAPI schema it documents: the
annotator loop, rating changes, flags, evaluations, chat models and the reports.

The schema is OpenAPI 3.0's dialect, validated as JSON Schema (``nullable`` made a
null type) with ``jsonschema``. Objects that list their properties are closed
(``additionalProperties: false``): a field a view adds without its serializer, a
nullable field not marked so, or a misspelt one fails here with its path."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from annotations.models import Rating

from .annotations.conftest import build_evaluation
from .reports.builders import head_to_head

pytestmark = pytest.mark.django_db


def _json_schema(node):
    """OpenAPI 3.0's schema object as JSON Schema, objects with properties closed."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        elif isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def documented():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = _json_schema(schema["components"])

    def check(response, path: str, method: str = "get") -> dict:
        """The body, once it matches ``path``'s documented answer for its status."""
        answers = schema["paths"][path][method]["responses"]
        status = str(response.status_code)
        assert status in answers, (path, status, response.content[:500])
        body = answers[status]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft202012Validator(
            {**_json_schema(body), "components": components}
        )
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
            for error in validator.iter_errors(response.json())
        ]
        assert not errors, (method, path, errors)
        return response.json()

    return check


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_annotator_loop_answers_as_documented(documented):
    evaluation, _, (user, _other) = build_evaluation(pairs=3, annotators=2, per_pair=2)
    api = _client(user)
    lease = documented(
        api.post(f"/api/evaluations/{evaluation.pk}/next/"),
        "/api/evaluations/{evaluation_id}/next/",
        "post",
    )
    pk = lease["assignment"]
    documented(api.get(f"/api/assignments/{pk}/"), "/api/assignments/{assignment_id}/")
    documented(
        api.post(f"/api/assignments/{pk}/skip/"),
        "/api/assignments/{assignment_id}/skip/",
        "post",
    )
    documented(
        api.post(f"/api/assignments/{pk}/undo-skip/"),
        "/api/assignments/{assignment_id}/undo-skip/",
        "post",
    )
    rated = documented(
        api.post(
            f"/api/assignments/{pk}/rating/",
            {"choice": 2, "seconds": 4.5},
            format="json",
        ),
        "/api/assignments/{assignment_id}/rating/",
        "post",
    )
    documented(
        api.post(
            f"/api/assignments/{rated['next']['assignment']}/flag/",
            {"comment": "B is cut off"},
            format="json",
        ),
        "/api/assignments/{assignment_id}/flag/",
        "post",
    )
    rating = Rating.objects.get(annotator=user)
    documented(api.get(f"/api/ratings/{rating.pk}/"), "/api/ratings/{rating_id}/")
    documented(
        api.patch(
            f"/api/ratings/{rating.pk}/",
            {"choice": -1, "comment": "B is right after all"},
            format="json",
        ),
        "/api/ratings/{rating_id}/",
        "patch",
    )
    documented(
        api.get(f"/api/evaluations/{evaluation.pk}/ratings/recent/"),
        "/api/evaluations/{evaluation_id}/ratings/recent/",
    )
    documented(
        api.get(f"/api/evaluations/{evaluation.pk}/"),
        "/api/evaluations/{evaluation_id}/",
    )
    documented(api.get("/api/evaluations/"), "/api/evaluations/")


def test_what_admins_and_researchers_read_answers_as_documented(documented, admin_user):
    h2h = head_to_head()
    api = _client(admin_user)
    reads = {
        "/api/evaluations/": "/api/evaluations/",
        f"/api/evaluations/{h2h.pk}/flags/": "/api/evaluations/{evaluation_id}/flags/",
        f"/api/evaluations/{h2h.pk}/quality/": "/api/evaluations/{evaluation_id}/quality/",
        "/api/flags/": "/api/flags/",
        "/api/chat-models/": "/api/chat-models/",
        f"/api/chat-models/{h2h.candidate_id}/": "/api/chat-models/{id}/",
        "/api/jobs/": "/api/jobs/",
        "/api/judge-runs/": "/api/judge-runs/",
        f"/api/reports/{h2h.pk}/?resamples=50": "/api/reports/{id}/",
        f"/api/reports/{h2h.pk}/status/": "/api/reports/{id}/status/",
        f"/api/reports/{h2h.pk}/judges/?resamples=50": "/api/reports/{id}/judges/",
        f"/api/reports/{h2h.pk}/reward/": "/api/reports/{id}/reward/",
        f"/api/reports/batches/?evaluation={h2h.pk}": "/api/reports/batches/",
    }  # fmt: skip
    for url, path in reads.items():
        documented(api.get(url), path)
