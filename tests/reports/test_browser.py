"""A researcher opens a report in Chromium, sees its figures and downloads every file."""

import io
import os
import random
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from annotations.models import Evaluation
from generations.models import Generation
from generations.words import count_words
from tests.conftest import browser_login, make_user

from .builders import head_to_head, tournament

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(settings.BASE_DIR) / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/report-*.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"


def _figures_loaded(page) -> list[int]:
    page.wait_for_function(
        # A function, not an expression: the Content-Security-Policy forbids eval.
        "() => [...document.querySelectorAll('#figures img')].every(i => i.complete)"
    )
    return page.eval_on_selector_all(
        "#figures img", "images => images.map(i => i.naturalWidth)"
    )


def test_researcher_reads_a_report_and_downloads_each_file(page, live_server):
    cache.clear()
    make_user("res1", "researcher")
    evaluation = head_to_head()
    browser_login(page, live_server, "res1", then=None)
    page.goto(f"{live_server.url}/reports/")
    page.click(f"text={evaluation.name}")
    page.wait_for_selector("#headline")
    assert "50.0%" in page.inner_text("#headline")
    widths = _figures_loaded(page)
    assert len(widths) == 4
    assert all(width > 100 for width in widths)
    assert "Gwet's AC2" in page.inner_text("#agreement")

    links = page.locator("#downloads a[download]")
    names = []
    for index in range(links.count()):
        link = links.nth(index)
        with page.expect_download() as info:
            link.click()
        download = info.value
        path = download.path()
        assert path is not None
        assert Path(path).stat().st_size > 0
        names.append(download.suggested_filename)
    expected = {"ratings.csv", "ratings.parquet", "pairs.csv", "report.json",
                "report.csv"}  # fmt: skip
    assert {name.split("h2h-", 1)[1] for name in names if "-" in name} >= expected
    assert sum(name.endswith(".png") for name in names) == 4
    assert sum(name.endswith(".svg") for name in names) == 4

    page.select_option("#id_aggregation", "rating")
    page.click("form.options button[type=submit]")
    page.wait_for_selector("#headline")
    assert "aggregation=rating" in page.url
    assert "rating" in page.inner_text("#definitions")
    assert all(width > 100 for width in _figures_loaded(page))


def test_researcher_reads_a_leaderboard(page, live_server):
    cache.clear()
    make_user("res1", "researcher")
    arena = tournament()
    browser_login(page, live_server, "res1", then=None)
    page.goto(f"{live_server.url}{arena.get_absolute_url()}")
    assert "model-x" in page.inner_text("#leaderboard tbody tr:first-child")
    assert all(width > 100 for width in _figures_loaded(page))


@pytest.mark.skipif(not SCREENSHOTS, reason="set EVALSITE_SCREENSHOTS=1")
def test_screenshots_for_the_docs(page, live_server):
    """A 240-prompt head-to-head and the prompt explorer, as in docs/."""
    cache.clear()
    make_user("res1", "researcher")
    call_command("load_demo", stdout=io.StringIO())
    rng = random.Random(7)
    scores = [
        tuple(rng.choice([-3, -2, -1, 0, 0, 1, 1, 2, 2, 3]) for _ in range(3))
        for _ in range(240)
    ]
    evaluation = head_to_head(name="llama2-70b-vs-chatgpt", scores=scores)
    for comparison in evaluation.comparisons.all():
        for generation_id in (
            comparison.candidate_generation_id,
            comparison.baseline_generation_id,
        ):
            words = " ".join(["word"] * rng.randint(20, 400))
            Generation.objects.filter(pk=generation_id).update(
                text=words, word_count=count_words(words)
            )
    browser_login(page, live_server, "res1")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    _figures_loaded(page)
    page.screenshot(
        path=str(DOCS / "report-head-to-head.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 2400},
    )
    crowd = Evaluation.objects.get(name="llmfao-crowd")
    # docs/report-leaderboard.png: test_tournament_browser.py
    explorer = crowd.comparisons.first().prompt_id
    page.goto(f"{live_server.url}/reports/prompts/{explorer}/")
    page.screenshot(path=str(DOCS / "report-prompt-explorer.png"))
