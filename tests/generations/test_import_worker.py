"""Background imports end to end: a real Celery worker on Redis and PostgreSQL."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from generations.models import Prompt, PromptSet
from tests.support.worker import redis_broker, running_worker

from .test_import_jobs import BAD, GOOD

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    # One test process for the module: its worker starts once (.ci/run).
    pytest.mark.xdist_group("import-worker"),
]


@pytest.fixture(scope="module")
def module_worker(django_db_setup, tmp_path_factory):
    """One worker for the module's tests (starting one costs seconds)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    if not redis_broker():
        pytest.skip("needs a Redis CELERY_BROKER_URL")
    log = tmp_path_factory.mktemp("import-worker") / "worker.log"
    with running_worker(log) as worker:
        yield worker


@pytest.fixture
def worker(module_worker, transactional_db, settings):
    settings.EVALSITE_BACKGROUND_IMPORT_BYTES = 100
    return module_worker


def _wait_until_ended(client, url: str, timeout: float = 60) -> list[dict]:
    """Every status seen, polling as the page does, until the import ends."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(url).json()
        seen.append(status)
        if status["state"] in ("done", "failed"):
            return seen
        time.sleep(0.1)
    raise TimeoutError(f"import still {seen[-1]['state']}")


def test_api_upload_is_imported_by_the_worker(worker, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "big", "file": SimpleUploadedFile("p.jsonl", GOOD)},
    )
    assert response.status_code == 202
    seen = _wait_until_ended(client, response["Location"])
    percents = [status["percent"] for status in seen]
    assert percents == sorted(percents)
    assert seen[-1]["state"] == "done"
    assert seen[-1]["result"] == {"created": 30, "unchanged": 0, "prompt_set": "big"}
    assert Prompt.objects.filter(prompt_set__name="big").count() == 30


def test_bad_file_fails_in_the_worker_and_stores_nothing(worker, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "big", "file": SimpleUploadedFile("p.jsonl", BAD)},
    )
    final = _wait_until_ended(client, response["Location"])[-1]
    assert final["state"] == "failed"
    assert [(e["line"], e["field"]) for e in final["errors"]] == [
        (31, "turns"),
        (32, "prompt"),
    ]
    assert not PromptSet.objects.exists()


def test_admin_upload_is_imported_by_the_worker(worker, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/generations/promptset/upload-prompts/",
        {"prompt_set": "big", "file": SimpleUploadedFile("p.jsonl", GOOD)},
    )
    url = response.content.decode().split('data-url="')[1].split('"')[0]
    assert _wait_until_ended(client, url)[-1]["result"]["created"] == 30
