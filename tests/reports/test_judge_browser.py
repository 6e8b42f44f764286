"""A researcher reads a judge against the humans in Chromium: the report page's
Judges section, then the judge's page with its confusion matrix figure."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from judges.models import Judge
from tests.conftest import browser_login, make_user

from .builders import head_to_head
from .test_judge_llmfao import DATA, load_with_gpt4
from .test_judge_reports import _store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(settings.BASE_DIR) / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/report-judge.png and
# docs/report-judges-section.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"


def _confusion_width(page) -> int:
    page.wait_for_function(
        "() => [...document.querySelectorAll('#confusion img')].every(i => i.complete)"
    )
    return page.eval_on_selector("#confusion img", "image => image.naturalWidth")


def test_researcher_opens_a_judge_from_the_report(page, live_server):
    cache.clear()
    make_user("res1", "researcher")
    evaluation = head_to_head()
    judge = Judge.objects.create(name="judge-x")
    _store(evaluation, judge)
    browser_login(page, live_server, "res1", then=None)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}?resamples=50")
    row = page.locator(f"#judges tr[data-judge='{judge.pk}']")
    assert "45.5%" in row.inner_text()  # 5 of 11 pairs agree with the majority
    row.get_by_role("link", name="judge-x").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Judge judge-x against the humans"
    assert "resamples=50" in page.url
    assert page.locator("#confusion-table tbody tr").count() == 3
    assert _confusion_width(page) > 100


@pytest.mark.skipif(not SCREENSHOTS or not DATA.exists(),
                    reason="set EVALSITE_SCREENSHOTS=1")  # fmt: skip
def test_judge_page_screenshot_for_the_docs(page, live_server):
    """GPT-4 against LLMFAO's crowd, as in docs/judge-reports.md."""
    cache.clear()
    make_user("res1", "researcher")
    evaluation, judge = load_with_gpt4()
    browser_login(page, live_server, "res1")
    page.set_viewport_size({"width": 1280, "height": 900})
    # The demo's crowd report: its Judges section, GPT-4 against the crowd majority.
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    section = page.locator("#judges")
    assert "GPT-4 (LLMFAO)" in section.inner_text()
    section.screenshot(path=str(DOCS / "report-judges-section.png"))
    page.goto(f"{live_server.url}/reports/{evaluation.pk}/judges/{judge.pk}/")
    _confusion_width(page)
    page.screenshot(
        path=str(DOCS / "report-judge.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 2500},
    )
