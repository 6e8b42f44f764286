"""An import form's unknown field is refused, named, and nothing is stored; a JSON
body's unknown field is answered with the fields a client may write."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Evaluation, GoldPair
from generations.models import Generation, GenerationJob, Prompt, RewardScore

from .factories import ChatModelFactory, EvaluationFactory, PromptSetFactory

pytestmark = pytest.mark.django_db


def jsonl(*rows: dict) -> SimpleUploadedFile:
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    return SimpleUploadedFile("f.jsonl", data)


PROMPTS = [{"id": "p1", "prompt": "Hi?", "category": "dialogue"}]
GENERATIONS = [
    {"prompt_id": "p1", "model": model, "text": f"{model} says hi"}
    for model in ("cand", "base")
]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def generations(admin_client):
    """Prompt p1 of set "set", answered by "cand" and "base"."""
    for url, rows in [
        ("/api/imports/prompts/", PROMPTS),
        ("/api/imports/generations/", GENERATIONS),
    ]:
        response = admin_client.post(url, {"prompt_set": "set", "file": jsonl(*rows)})
        assert response.status_code == 201, response.content
    return "set"


def _refused(response, field: str, usable: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json() == {
        "errors": [
            {"line": None, "field": field, "message": f"unknown field; use {usable}"}
        ]
    }


def test_a_misspelt_ratings_field_is_refused_and_nothing_is_stored(
    admin_client, generations
):
    """``candiate`` was passed over: the evaluation was made without its candidate."""
    rating = {
        "prompt_id": "p1",
        "model_a": "cand",
        "model_b": "base",
        "annotator": "ann-1",
        "choice": 2,
    }
    response = admin_client.post(
        "/api/imports/ratings/",
        {
            "prompt_set": "set",
            "evaluation": "ev",
            "scale": "seven",
            "candiate": "cand",
            "file": jsonl(rating),
        },
    )
    _refused(response, "candiate", "candidate, evaluation, file, prompt_set, scale")
    assert not Evaluation.objects.exists()


def test_an_unknown_gold_pairs_field_is_refused(admin_client):
    evaluation = EvaluationFactory()
    row = {"prompt_id": "g1", "candidate": "c", "baseline": "b", "expected": "tie"}
    response = admin_client.post(
        "/api/imports/gold-pairs/",
        {"evaluation": evaluation.pk, "bogus": "1", "file": jsonl(row)},
    )
    _refused(response, "bogus", "evaluation, file")
    assert not GoldPair.objects.exists()


def test_an_unknown_reward_scores_field_is_refused(admin_client, generations):
    row = {"prompt_id": "p1", "model": "cand", "score": 0.5, "reward_model": "rm"}
    response = admin_client.post(
        "/api/imports/reward-scores/",
        {"prompt_set": "set", "kind": "logit", "typo": "x", "file": jsonl(row)},
    )
    _refused(response, "typo", "file, kind, prompt_set")
    assert not RewardScore.objects.exists()


@pytest.mark.parametrize(
    ("url", "rows"),
    [("/api/imports/prompts/", PROMPTS), ("/api/imports/generations/", GENERATIONS)],
)
def test_an_unknown_prompts_or_generations_field_is_refused(admin_client, url, rows):
    PromptSetFactory(name="set")
    response = admin_client.post(
        url, {"prompt_set": "set", "promptset": "other", "file": jsonl(*rows)}
    )
    _refused(response, "promptset", "file, prompt_set")
    assert not Prompt.objects.exists()
    assert not Generation.objects.exists()


def test_a_file_under_another_name_is_refused_by_that_name(admin_client):
    response = admin_client.post(
        "/api/imports/prompts/", {"prompt_set": "set", "upload": jsonl(*PROMPTS)}
    )
    assert response.status_code == 400
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert errors == {"upload": "unknown field; use file, prompt_set"}
    assert not Prompt.objects.exists()


def test_a_browser_form_s_csrf_token_and_a_format_query_are_not_unknown(
    admin_client,
):
    response = admin_client.post(
        "/api/imports/prompts/?format=json",
        {
            "prompt_set": "set",
            "csrfmiddlewaretoken": "from-the-form",
            "file": jsonl(*PROMPTS),
        },
    )
    assert response.status_code == 201, response.content
    assert Prompt.objects.filter(prompt_set__name="set").count() == 1


def test_a_json_body_s_unknown_field_is_answered_with_the_writable_fields(
    client, admin_user
):
    """Read-only fields (id, status, progress, ...) were offered as usable."""
    PromptSetFactory(name="set")
    ChatModelFactory(name="cand")
    client.force_login(admin_user)
    response = client.post(
        "/api/jobs/",
        {"prompt_sets": ["set"], "chat_models": ["cand"], "bogus": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "bogus": ["unknown field; use chat_models, name, prompt_sets"]
    }
    assert not GenerationJob.objects.exists()
