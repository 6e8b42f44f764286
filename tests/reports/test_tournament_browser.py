"""A researcher reads a tournament in Chromium: leaderboard, pair matrix, ties option."""

import base64
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from annotations.models import Evaluation
from tests.conftest import browser_login, make_user

from .builders import tournament

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(settings.BASE_DIR) / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/report-leaderboard.png and
# docs/report-pair-matrix.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"


def _figures_loaded(page) -> list[int]:
    page.wait_for_function(
        # A function, not an expression: the Content-Security-Policy forbids eval.
        "() => [...document.querySelectorAll('#figures img')].every(i => i.complete)"
    )
    return page.eval_on_selector_all(
        "#figures img", "images => images.map(i => i.naturalWidth)"
    )


def test_researcher_reads_the_leaderboard_pair_matrix_and_fits_davidson(
    page, live_server
):
    cache.clear()
    make_user("res1", "researcher")
    arena = tournament()
    browser_login(page, live_server, "res1", then=None)
    page.goto(f"{live_server.url}{arena.get_absolute_url()}?resamples=50")
    assert "model-x" in page.inner_text("#leaderboard tbody tr:first-child")
    widths = _figures_loaded(page)
    assert len(widths) == 2  # the leaderboard and the pair matrix
    assert all(width > 100 for width in widths)
    assert page.locator("#figures img[alt='pairs figure']").count() == 1
    pairs = page.inner_text("#pair-results")
    assert "model-x" in pairs
    assert "model-z" in pairs
    assert page.locator("#pair-results tbody tr").count() == 3
    assert "bootstrap over prompts" in page.inner_text("#tournament-method")
    assert "50 resamples" in page.inner_text("#tournament-method")

    page.select_option("#id_ties", "davidson")
    page.click("form.options button[type=submit]")
    page.wait_for_selector("#leaderboard")
    assert "ties=davidson" in page.url
    assert "Davidson" in page.inner_text("#tournament-method")
    assert all(width > 100 for width in _figures_loaded(page))

    response = page.goto(f"{live_server.url}{arena.get_absolute_url()}?interval=wilson")
    assert response.status == 400
    assert "interval" in page.inner_text("body")


@pytest.mark.skipif(not SCREENSHOTS, reason="set EVALSITE_SCREENSHOTS=1")
def test_pair_matrix_screenshot_for_the_docs(page, live_server):
    """The LLMFAO crowd's leaderboard and pair matrix (59 models), as in docs/."""
    cache.clear()
    make_user("res1", "researcher")
    call_command("load_demo", stdout=io.StringIO())
    crowd = Evaluation.objects.get(name="llmfao-crowd")
    browser_login(page, live_server, "res1")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{crowd.get_absolute_url()}?resamples=1000")
    _figures_loaded(page)
    page.screenshot(
        path=str(DOCS / "report-leaderboard.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1700},
    )
    # The figure's URL is a download: show its PNG at full size on a blank page.
    source = page.get_attribute("#figures img[alt='pairs figure']", "src")
    png = page.request.get(f"{live_server.url}{source}").body()
    page.set_content(
        '<body style="margin:0"><img src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"></body>'
    )
    page.locator("img").screenshot(path=str(DOCS / "report-pair-matrix.png"))
