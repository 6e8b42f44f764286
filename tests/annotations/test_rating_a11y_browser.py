"""The rating page as a screen reader and a keyboard meet it: after each answer the
focus is on the new pair and a live region that was there before says what was
stored and how many are left."""

import pytest

from tests.conftest import browser_login

from .conftest import build_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = (
    "(() => { const e = document.activeElement;"
    " return e.tagName + ':' + e.textContent.trim(); })()"
)


def _wait_for_next(page, before: str) -> None:
    page.wait_for_function(
        "(before) => { const p = document.getElementById('pair');"
        " return p && p.dataset.assignment !== before; }",
        arg=before,
    )


def test_after_each_answer_focus_is_on_the_new_pair_and_a_live_region_says_so(
    live_server, page
):
    """The pair was swapped for the next one with the focused radio inside it: the
    focus fell to the page's body (Tab started again from the site's header) and the
    confirmation, new in the page with its text already in it, was not announced; a
    screen reader said nothing after Enter."""
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    # A live region announces changes only if it is in the page before them.
    page.evaluate(
        "window.__live = [...document.querySelectorAll('[role=status], [aria-live]')]"
        ".filter((e) => !document.getElementById('pair').contains(e))"
    )
    assert page.evaluate("window.__live.length") == 1

    before = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    _wait_for_next(page, before)
    page.wait_for_function("() => window.__live[0].textContent.includes('Saved')")
    said = page.evaluate("window.__live[0].textContent")
    assert "Saved: A is better" in said
    assert "Rated 1 · 1 left" in said
    assert page.evaluate(FOCUSED) == f"H1:Evaluation {evaluation.pk}"
    page.keyboard.press("Tab")
    assert page.evaluate(
        "document.getElementById('pair').contains(document.activeElement)"
    )

    # The keys still answer from there; the last pair leads to "All done".
    before = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("s")
    page.wait_for_selector("text=All done")
    page.wait_for_function("() => window.__live[0].textContent.includes('Skipped')")
    assert "All done" in page.evaluate("window.__live[0].textContent")
    assert page.evaluate(FOCUSED) == "H1:All done"
