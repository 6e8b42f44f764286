"""Large ratings and generations uploads go through the background import too."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Evaluation, Rating
from generations.models import Generation
from generations.services.import_jobs import import_job_run

from .test_import_ratings import jsonl, prompt_set, rating  # noqa: F401


@pytest.fixture
def small_threshold(settings):
    settings.EVALSITE_BACKGROUND_IMPORT_BYTES = 10


def test_large_ratings_upload_is_imported_in_the_background(
    prompt_set,  # noqa: F811
    client,
    admin_user,
    small_threshold,
):
    client.force_login(admin_user)
    data = jsonl(rating(), rating(annotator="b", choice=-2))
    response = client.post(
        "/api/imports/ratings/",
        {
            "prompt_set": "set",
            "evaluation": "bg",
            "scale": "seven",
            "file": SimpleUploadedFile("r.jsonl", data),
        },
    )
    assert response.status_code == 202, response.content
    assert not Evaluation.objects.exists()
    assert import_job_run(job_id=response.json()["id"]) == "done"
    status = client.get(response["Location"]).json()
    assert (status["result"]["created"], status["result"]["unchanged"]) == (2, 0)
    assert Rating.objects.filter(comparison__evaluation__name="bg").count() == 2
    assert Evaluation.objects.get(name="bg").created_by == admin_user


def test_large_generations_upload_reports_unknown_prompts_by_line(
    prompt_set,  # noqa: F811
    client,
    admin_user,
    small_threshold,
):
    client.force_login(admin_user)
    data = jsonl(
        {"prompt_id": "p1", "model": "new", "text": "hello"},
        {"prompt_id": "nope", "model": "new", "text": "hello"},
    )
    response = client.post(
        "/api/imports/generations/",
        {"prompt_set": "set", "file": SimpleUploadedFile("g.jsonl", data)},
    )
    assert response.status_code == 202
    assert import_job_run(job_id=response.json()["id"]) == "failed"
    errors = client.get(response["Location"]).json()["errors"]
    assert [(error["line"], error["field"]) for error in errors] == [(2, "prompt_id")]
    assert not Generation.objects.filter(chat_model__name="new").exists()
