"""A large upload in the admin, in headless Chromium: the progress bar, then the
counts, or the errors with their lines and fields; a real worker imports it."""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from generations.models import Prompt, PromptSet
from tests.conftest import browser_login
from tests.support.worker import redis_broker, running_worker

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.postgres]

DOCS = Path(django_settings.BASE_DIR) / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/import-progress.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
UPLOAD_URL = "/admin/generations/promptset/upload-prompts/"
PROMPTS = 3000


def _prompts(n: int) -> bytes:
    return b"".join(
        json.dumps(
            {"id": f"p{i}", "prompt": f"Question {i}?", "category": "qa"}
        ).encode()
        + b"\n"
        for i in range(n)
    )


@pytest.fixture
def worker(transactional_db, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    if not redis_broker():
        pytest.skip("needs a Redis CELERY_BROKER_URL")
    settings.EVALSITE_BACKGROUND_IMPORT_BYTES = 1000
    with running_worker(tmp_path / "worker.log") as worker:
        yield worker


def _upload(page, live_server, name: str, data: bytes) -> None:
    page.goto(f"{live_server.url}{UPLOAD_URL}")
    page.fill("#id_prompt_set", "large-set")
    page.set_input_files(
        "#id_file",
        files=[{"name": name, "mimeType": "application/jsonl", "buffer": data}],
    )
    page.click("input[type=submit]")
    page.wait_for_selector("#import-progress progress")


def _ended(page) -> None:
    page.wait_for_function(
        # A function, not an expression: the Content-Security-Policy forbids eval.
        "() => ['done', 'failed'].includes("
        "document.querySelector('[data-field=\"state\"]').textContent)",
        timeout=60_000,
    )


def test_large_upload_shows_progress_then_counts_or_errors(
    worker, live_server, page, admin_user
):
    # Generous: a worker, a live server and Chromium share the machine's cores.
    page.set_default_timeout(120_000)
    browser_login(page, live_server, admin_user.username)
    _upload(page, live_server, "large.jsonl", _prompts(PROMPTS))
    bar = page.locator("#import-progress progress")
    assert bar.is_visible()
    assert "is large" in page.inner_text("#import-progress")
    _ended(page)
    assert page.inner_text('[data-field="state"]') == "done"
    assert page.locator('[data-field="stage-part"]').is_hidden()  # not "done (done)"
    assert bar.get_attribute("max") == "100"
    assert page.evaluate("() => document.querySelector('progress').value") == 100
    assert page.inner_text('[data-field="created"]') == str(PROMPTS)
    assert page.inner_text('[data-field="unchanged"]') == "0"
    assert page.locator('[data-field="failed"]').is_hidden()
    assert Prompt.objects.filter(prompt_set__name="large-set").count() == PROMPTS
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "import-progress.png"), full_page=True)

    bad = (
        _prompts(PROMPTS)
        .replace(b'"id": "p7", ', b"")
        .replace(b'"prompt": "Question 9?"', b'"prompt": ""')
    )
    _upload(page, live_server, "bad.jsonl", bad)
    _ended(page)
    assert page.inner_text('[data-field="state"]') == "failed"
    assert page.locator('[data-field="stage-part"]').is_hidden()
    rows = page.locator('[data-field="errors"] tr')
    assert [rows.nth(i).locator("td").all_inner_texts() for i in range(2)] == [
        ["8", "id", "required field is missing"],
        ["10", "prompt", "must not be empty"],
    ]
    assert page.locator('[data-field="done"]').is_hidden()
    # All or nothing: the good lines of the bad file were not stored either.
    assert PromptSet.objects.get(name="large-set").prompts.count() == PROMPTS
