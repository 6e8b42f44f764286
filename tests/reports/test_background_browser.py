"""A researcher opens a large report in Chromium: a progress bar, then the report.

Needs PostgreSQL, a Redis broker and cache (a real worker computes the report) and
Chromium. Set EVALSITE_SCREENSHOTS=1 to refresh docs/report-background.png.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import browser_login, make_user

from .builders import head_to_head
from .worker_support import large_reports as large_reports  # a fixture
from .worker_support import start_worker as start_worker  # a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
DOCS = Path(settings.BASE_DIR) / "docs"
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
QUERY = "resamples=2000"
STATES = ["queued", "running", "done"]


def test_a_large_report_shows_progress_then_fills_in(
    start_worker, large_reports, live_server, page
):
    make_user("res1", "researcher")
    evaluation = head_to_head()
    browser_login(page, live_server, "res1")
    polled: list[dict] = []
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and violations.append(message.text)
        ),
    )

    def record(route) -> None:  # what the page's script is told, passed on as is
        response = route.fetch()
        polled.append(response.json())
        route.fulfill(response=response)

    page.route("**/status/?*", record)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}?{QUERY}")
    bar = page.locator("#report-progress progress")
    assert bar.is_visible()
    assert bar.get_attribute("value") == "0"
    assert page.inner_text("#report-progress [data-field=status]") == "queued"
    assert page.locator("#headline").count() == 0
    page.wait_for_function("() => document.querySelector('#report-progress')"
                           ".dataset.status === 'queued'")  # fmt: skip
    if SCREENSHOTS:
        page.screenshot(
            path=str(DOCS / "report-background.png"),
            clip={"x": 0, "y": 0, "width": 1280, "height": 420},
        )

    start_worker()
    page.wait_for_selector("#headline", timeout=90_000)
    assert "50.0%" in page.inner_text("#headline")
    assert f"?{QUERY}" in page.url
    assert page.locator("#report-progress").count() == 0
    # The page followed the status URL through the job's states until done.
    states = [data["status"] for data in polled]
    assert states[-1] == "done"
    assert states == sorted(states, key=STATES.index)
    assert violations == []
