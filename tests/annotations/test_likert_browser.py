"""The single-response (Likert) rating page in headless Chromium, keyboard only."""

import os
from pathlib import Path

import pytest

from annotations import scales
from annotations.models import Assignment, Rating
from tests.conftest import browser_login

from .conftest import in_id_order
from .single_support import SECRET_MODELS, build_single

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/rating-likert.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"

ANSWER = (
    "Read it line by line and skip blank lines:\n\n```python\n"
    "with open(path) as f:\n    for line in f:\n        if line.strip():\n"
    "            print(line)\n```\n\nThe `with` block closes the file for you."
)


def _pair_id(page) -> str:
    return page.get_attribute("#pair", "data-assignment")


def _wait_for_next(page, before: str) -> None:
    page.wait_for_function(
        "(before) => { const p = document.getElementById('pair');"
        " return p && p.dataset.assignment !== before; }",
        arg=before,
    )


def test_annotator_rates_single_responses_with_the_keyboard(live_server, page):
    evaluation, _, (user,) = build_single(
        prompts=3,
        annotators=1,
        per_pair=1,
        models=1,
        texts=[ANSWER, "Use `filter(str.strip, f)`.", "Broken."],
    )
    in_id_order(evaluation)  # the steps below follow the responses in this order
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")  # rate.js, deferred, has the keys

    # One response, the Likert question, keys 1 to 7 left to right.
    assert page.get_attribute("#pair", "data-scale") == "likert"
    assert page.locator(".response").count() == 1
    assert page.locator(".response pre code").count() == 1
    assert page.inner_text("#question") == scales.LIKERT_QUESTION
    keys = page.locator("input[name=choice]")
    assert [keys.nth(i).get_attribute("data-key") for i in range(7)] == [
        str(n) for n in range(1, 8)
    ]
    assert not any(name in page.content() for name in SECRET_MODELS)
    page.keyboard.press("5")
    assert page.is_checked("input[data-key='5']")
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "rating-likert.png"), full_page=True)

    # Enter submits; the next response replaces this one without a reload.
    page.evaluate("window.__same_page = true")
    first = _pair_id(page)
    page.keyboard.press("Enter")
    _wait_for_next(page, first)
    assert page.evaluate("window.__same_page") is True
    rating = Rating.objects.get(assignment_id=int(first))
    assert (rating.scale, rating.choice, rating.score) == ("likert", 5, 5)
    assert rating.candidate_on_left is True
    assert 0 < rating.seconds < 60

    # A change of mind: 1, then 7, then Enter stores 7.
    second = _pair_id(page)
    page.keyboard.press("1")
    page.keyboard.press("7")
    assert page.is_checked("input[data-key='7']")
    assert not page.is_checked("input[data-key='1']")
    page.keyboard.press("Enter")
    _wait_for_next(page, second)
    assert Rating.objects.get(assignment_id=int(second)).score == 7

    # S skips the last one; nothing is left.
    third = _pair_id(page)
    page.keyboard.press("s")
    page.wait_for_selector("text=All done")
    assert Assignment.objects.get(pk=int(third)).state == "skipped"
    assert Rating.objects.filter(comparison__evaluation=evaluation).count() == 2
