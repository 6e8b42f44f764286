"""An admin creates an evaluation on the app's page and watches it on the home while
an annotator gives the first rating (headless Chromium)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import roles
from annotations.models import Evaluation, Rating
from tests.conftest import browser_login_with_form, make_user
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/home.png and docs/evaluation-new.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"


def _figure(page, figure: str) -> str:
    return page.inner_text(f"tr:has-text('helpfulness-q4') td[data-figure={figure}]")


@pytest.fixture
def new_page(browser):
    """Pages in contexts of their own (one per user), closed after the test."""
    contexts = []

    def open_page():
        contexts.append(browser.new_context(viewport={"width": 1280, "height": 900}))
        return contexts[-1].new_page()

    yield open_page
    for context in contexts:
        context.close()


def test_admin_creates_an_evaluation_and_sees_its_first_rating(new_page, live_server):
    prompt_set = PromptSetFactory(name="support-questions")
    cand, base = ChatModelFactory(name="helper-7b"), ChatModelFactory(name="helper-3b")
    for index in range(2):
        prompt = PromptFactory(
            prompt_set=prompt_set,
            turns=[{"role": "user", "content": f"Question {index}?"}],
        )
        GenerationFactory(prompt=prompt, chat_model=cand, text=f"Answer {index}.")
        GenerationFactory(prompt=prompt, chat_model=base, text=f"Reply {index}.")
    make_user("adm1", roles.ADMIN)
    make_user("ann-b", roles.ANNOTATOR)

    admin = new_page()
    browser_login_with_form(admin, live_server, "adm1")
    admin.click("#new-evaluation")
    # evaluation_new.js, at the end of the body, listens for the kind's changes: a
    # choice made before it has run would go unseen.
    admin.wait_for_url("**/evaluations/new/")
    admin.wait_for_load_state("load")
    admin.fill("#id_name", "helpfulness-q4")
    # The script shows the fieldsets of the chosen kind only.
    admin.select_option("#id_kind", "single")
    expect(admin.locator("#id_candidate")).to_be_hidden()
    expect(admin.locator("#id_scale")).to_have_value("likert")
    admin.select_option("#id_kind", "tournament")
    expect(admin.locator("#id_scale")).to_have_value("seven")
    admin.select_option("#id_kind", "head_to_head")
    expect(admin.locator("#id_candidate")).to_be_visible()
    expect(admin.locator("text=Tournament: two or more chat models")).to_be_hidden()
    admin.select_option("#id_prompt_set", label="support-questions")
    admin.select_option("#id_candidate", label="helper-7b")
    admin.select_option("#id_baseline", label="helper-3b")
    admin.fill("#id_guidelines", "Prefer the **more helpful** answer.")
    admin.check("#evaluation-form label:has-text('ann-b') input")
    admin.click("button[name=check]")
    assert "Every chat model has answered every prompt." in admin.inner_text(
        "#readiness"
    )
    if SCREENSHOTS:
        admin.screenshot(path=str(DOCS / "evaluation-new.png"), full_page=True)
    admin.click("button[name=create]")
    admin.wait_for_url(f"{live_server.url}/")
    assert "2 pairs built." in admin.inner_text(".messages")
    assert _figure(admin, "ratings") == "0 / 6"
    evaluation = Evaluation.objects.get(name="helpfulness-q4")
    assert list(evaluation.pool.values_list("username", flat=True)) == ["ann-b"]

    annotator = new_page()
    browser_login_with_form(annotator, live_server, "ann-b")
    annotator.click("button.start")
    annotator.wait_for_selector("#answer-form")
    annotator.wait_for_load_state("load")  # rate.js, deferred, has the keys
    first = annotator.get_attribute("#pair", "data-assignment")
    annotator.click("text=A is better")
    annotator.wait_for_timeout(300)
    annotator.click("#submit-rating")
    annotator.wait_for_function(
        "(first) => document.getElementById('pair')?.dataset.assignment !== first",
        arg=first,
    )
    assert Rating.objects.filter(comparison__evaluation=evaluation).count() == 1

    admin.reload()
    assert _figure(admin, "ratings") == "1 / 6"
    assert _figure(admin, "today") == "1"
    assert _figure(admin, "active") == "1"
    if SCREENSHOTS:
        admin.screenshot(path=str(DOCS / "home.png"), full_page=True)
