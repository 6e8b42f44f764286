"""A gold pair on the rating page in headless Chromium: answered with the same keys
as a pair, stored on its QualityTask, then the next item arrives in place."""

import pytest

from annotations.models import QualityTask, Rating
from tests.conftest import browser_login

from .serving_support import checked_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_check_is_answered_in_the_browser_like_a_pair(live_server, page):
    _, _, (user,), _ = checked_evaluation(
        pairs=2, annotators=1, golds=1, per_pair=1, gold_rate=1.0
    )
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")  # rate.js, deferred, has the keys
    assert "/items/" in page.url
    assert "Known" in page.inner_text(".responses")  # the gold pair's answers
    before = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(before) => { const p = document.getElementById('pair');"
        " return p && p.dataset.assignment !== before; }",
        arg=before,
    )
    task = QualityTask.objects.get()
    assert (task.state, task.choice) == ("answered", 2)
    assert not Rating.objects.exists()
    assert "Known" not in page.inner_text(".responses")  # a normal pair now
