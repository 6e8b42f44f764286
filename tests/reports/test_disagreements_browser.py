"""A researcher filters the disagreements in Chromium and opens a pair."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from annotations.models import Rating
from tests.conftest import browser_login, make_user

from .builders import head_to_head

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(settings.BASE_DIR) / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/report-disagreements.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
COMMENTS = {
    "ann-a": "The candidate answers both turns; the baseline forgets the first.",
    "ann-b": "Candidate is clearly better, and shorter.",
    "ann-c": "The baseline's follow-up answer is the only correct one.",
}


def test_researcher_filters_the_disagreements_and_opens_a_pair(
    page, live_server, tmp_path
):
    cache.clear()
    make_user("res1", "researcher")
    evaluation = head_to_head()
    pair = evaluation.comparisons.get(prompt__external_id="h2h-p03")  # 1, 2, -3
    for rating in pair.ratings.select_related("annotator"):
        Rating.objects.filter(pk=rating.pk).update(
            comment=COMMENTS[rating.annotator.username]
        )
    browser_login(page, live_server, "res1", then=None)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}?resamples=20")
    page.click("#disagreements-link")
    page.wait_for_selector("#disagreements")
    assert "8 of 12 rated pairs split" in page.inner_text("#split-count")

    page.select_option("#id_category", "dialogue")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**category=dialogue**")
    rows = page.locator("#disagreements tbody tr")
    assert rows.count() == 4
    assert rows.first.inner_text().startswith("h2h-p03")  # the widest spread, 5
    screenshot = tmp_path / "report-disagreements.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    if SCREENSHOTS:
        shutil.copyfile(screenshot, DOCS / "report-disagreements.png")

    page.fill("#id_turns", "2")
    page.fill("#id_min_spread", "3")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**min_spread=3**")
    assert rows.count() == 1
    assert page.input_value("#id_category") == "dialogue"  # the filters stay set

    page.click("#disagreements tbody a")
    page.wait_for_selector("#ratings")
    table = page.inner_text("#ratings tbody")
    for username, comment in COMMENTS.items():
        assert username in table
        assert comment in table
    assert [line.split("\t")[1] for line in table.splitlines()] == ["+1", "+2", "-3"]
    assert "spread 5" in page.inner_text("main")
