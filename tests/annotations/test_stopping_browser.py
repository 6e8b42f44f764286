"""A head-to-head evaluation stops itself in Chromium: an annotator's rating
completes the pair after which its stopping rule holds, a real Celery worker
records the stop, the annotator's next request gets no pair, and the progress page
shows the banner. Needs PostgreSQL, a Redis broker and Chromium. Set
EVALSITE_SCREENSHOTS=1 to refresh docs/progress-stopped.png."""

import os
import time
from pathlib import Path

import pytest

from annotations import roles
from annotations.models import Evaluation
from tests.conftest import browser_login, make_user
from tests.factories import RatingFactory, UserFactory
from tests.reports.worker_support import start_worker as start_worker  # a fixture

from .conftest import build_evaluation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"


def _stopped(evaluation_id: int, timeout: float = 60) -> Evaluation:
    deadline = time.monotonic() + timeout
    while True:
        evaluation = Evaluation.objects.get(pk=evaluation_id)
        if evaluation.stopped_at is not None or time.monotonic() > deadline:
            return evaluation
        time.sleep(0.2)


def test_rating_stops_the_evaluation_and_the_progress_page_says_why(
    start_worker, live_server, browser
):
    evaluation, comparisons, (user,) = build_evaluation(
        pairs=21, annotators=1, per_pair=1, stop_rule="decided", stop_min_pairs=19
    )
    # 18 pairs the candidate won, rated earlier: the sequence for win / (win +
    # loss) excludes 50 % after 17, but the rule waits for 19 complete pairs.
    crowd = UserFactory()
    for comparison in comparisons[:18]:
        RatingFactory(comparison=comparison, annotator=crowd, choice=3)
    start_worker()

    view = browser.new_context(viewport={"width": 1280, "height": 900})
    page = view.new_page()
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")  # rate.js (deferred) listens for the keys
    before = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("1")  # whichever side the candidate is on: pair 19
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(before) => document.getElementById('pair')?.dataset.assignment !== before",
        arg=before,
    )
    stopped = _stopped(evaluation.pk)
    assert stopped.stop_pairs == 19
    assert stopped.stop_reason.startswith("Stopped after 19 pairs")
    # The pair leased before the stop may still be answered; then nothing more.
    page.keyboard.press("4")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=This evaluation has stopped")
    assert evaluation.comparisons.filter(ratings__isnull=True).count() == 1
    view.close()

    admin = make_user("stop-admin", roles.ADMIN)
    view = browser.new_context(viewport={"width": 1280, "height": 900})
    page = view.new_page()
    browser_login(page, live_server, admin.username, then=None)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/progress/")
    banner = page.locator("#stopped-banner").inner_text()
    assert "Stopped" in banner
    assert stopped.stop_reason in banner
    assert "Stopped after 19 pairs: the always-valid 95 % sequence" in banner
    assert "not before 19 complete pairs" in page.locator("#stop-rule").inner_text()
    low, _ = page.locator("#sequence-win-no-ties").inner_text().split(" to ")
    assert float(low) > 0.5
    if SCREENSHOTS:
        page.locator("#sequence").scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS / "progress-stopped.png"), full_page=True)
    view.close()
