"""The OpenAPI schema describes what the API really answers: the refusals DRF gives
before a view runs (401, 403, 415), each import's 201 body, and components described
in their own words."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator

from generations.models import ChatModel, PromptSet

from .factories import EvaluationFactory

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield path, method, operation


def _needs_credentials(operation: dict) -> bool:
    security = operation.get("security", [])
    return bool(security) and {} not in security


def _body(schema: dict, response: dict) -> dict:
    body = response["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return body


def _is_detail_and_code(schema: dict, response: dict) -> bool:
    return set(_body(schema, response)["properties"]) >= {"detail", "code"}


def test_every_operation_needing_credentials_documents_401(schema):
    operations = list(_operations(schema))
    assert len(operations) > 40
    for path, method, operation in operations:
        assert _needs_credentials(operation), (path, method)
        assert _is_detail_and_code(schema, operation["responses"]["401"]), (
            path,
            method,
        )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/imports/ratings/", "post"),
        ("/api/imports/prompts/", "post"),
        ("/api/chat-models/", "get"),
        ("/api/chat-models/", "post"),
        ("/api/jobs/", "post"),
        ("/api/reports/preferences/", "get"),
        ("/api/evaluations/{evaluation_id}/quality/", "get"),
    ],
)
def test_operations_whose_views_check_a_role_document_403(schema, path, method):
    response = schema["paths"][path][method]["responses"]["403"]
    assert _is_detail_and_code(schema, response)


def test_every_operation_with_a_body_documents_415(schema):
    with_body = [
        (path, method, operation)
        for path, method, operation in _operations(schema)
        if "requestBody" in operation
    ]
    assert len(with_body) > 10
    for path, method, operation in with_body:
        assert _is_detail_and_code(schema, operation["responses"]["415"]), (
            path,
            method,
        )


def test_a_view_s_own_refusals_stand(schema):
    """Their descriptions and bodies; a description alone gets DRF's body."""
    rating = schema["paths"]["/api/assignments/{assignment_id}/rating/"]["post"]
    refused = rating["responses"]["403"]
    assert "no longer in the pool" in refused["description"]
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/Refusal")
    unauthenticated = rating["responses"]["401"]
    assert unauthenticated["description"] == "No credentials, or a bad token"
    assert _is_detail_and_code(schema, unauthenticated)


@pytest.mark.django_db
def test_every_operation_answers_401_without_credentials(client, schema):
    for path, method, _ in _operations(schema):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(url)
        assert response.status_code == 401, (path, method, response.status_code)
        assert set(response.json()) == {"detail", "code"}, (path, method)


@pytest.mark.django_db
def test_the_documented_403_and_415_really_come_back(
    client, annotator, researcher, admin_user
):
    client.force_login(annotator)
    response = client.get("/api/chat-models/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    client.force_login(researcher)
    response = client.post("/api/imports/ratings/", {"prompt_set": "s"})
    assert response.status_code == 403
    client.force_login(admin_user)
    response = client.post("/api/chat-models/", "name: x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not ChatModel.objects.exists()


def test_components_are_not_described_by_the_known_fields_note(schema):
    components = schema["components"]["schemas"]
    for name in ("ChatModel", "ChatModelRequest", "GenerationJobRequest"):
        assert name in components
    for name, component in components.items():
        assert "new-user pass" not in component.get("description", ""), name
        assert "Mixed in" not in component.get("description", ""), name


def _upload(*rows: dict) -> SimpleUploadedFile:
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    return SimpleUploadedFile("f.jsonl", data)


def _documented_201(schema: dict, path: str) -> set:
    response = schema["paths"][path]["post"]["responses"]["201"]
    return set(_body(schema, response)["properties"])


@pytest.mark.django_db
def test_each_import_s_201_body_is_in_its_schema(client, admin_user, schema):
    """The schema listed created and unchanged only; the bodies carry more."""
    client.force_login(admin_user)
    rating = {
        "prompt_id": "p1",
        "model_a": "cand",
        "model_b": "base",
        "annotator": "ann-1",
        "choice": 2,
    }
    score = {"prompt_id": "p1", "model": "cand", "score": 0.5, "reward_model": "rm"}
    gold = {
        "prompt_id": "p1",
        "candidate": "cand",
        "baseline": "base",
        "expected": "candidate",
    }
    uploads = [
        (
            "/api/imports/prompts/",
            {"prompt_set": "set"},
            [{"id": "p1", "prompt": "Hi?", "category": "dialogue"}],
            {"prompt_set"},
        ),
        (
            "/api/imports/generations/",
            {"prompt_set": "set"},
            [
                {"prompt_id": "p1", "model": model, "text": f"{model} says hi"}
                for model in ("cand", "base")
            ],
            {"chat_models"},
        ),
        (
            "/api/imports/ratings/",
            {"prompt_set": "set", "evaluation": "ev", "scale": "seven"},
            [rating],
            {"evaluation", "comparisons"},
        ),
        (
            "/api/imports/reward-scores/",
            {"prompt_set": "set", "kind": "logit"},
            [score],
            {"replaced", "reward_models"},
        ),
    ]
    for url, form, rows, extra in uploads:
        _check_201(client, schema, url, {**form, "file": _upload(*rows)}, extra)
    evaluation = EvaluationFactory(
        prompt_set=PromptSet.objects.get(name="set"),
        candidate=ChatModel.objects.get(name="cand"),
        baseline=ChatModel.objects.get(name="base"),
    )
    form = {"evaluation": evaluation.pk, "file": _upload(gold)}
    _check_201(client, schema, "/api/imports/gold-pairs/", form, {"updated"})


def _check_201(client, schema: dict, url: str, form: dict, extra: set) -> None:
    response = client.post(url, form)
    assert response.status_code == 201, (url, response.content)
    body = set(response.json())
    assert body == {"created", "unchanged", *extra}, url
    assert body <= _documented_201(schema, url), url
