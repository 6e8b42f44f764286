"""The annotator's controls in headless Chromium: rate two pairs, go back and change
the first with a reason; skip and undo; the progress line stays in view."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session

from annotations.models import AnswerChange, Assignment, Rating
from annotations.services import assignments as services
from tests.conftest import browser_login

from .conftest import build_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/rating-edit.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"


def _wait_for_next(page, before: str) -> None:
    page.wait_for_function(
        "(before) => { const p = document.getElementById('pair');"
        " return p && p.dataset.assignment !== before; }",
        arg=before,
    )


def _open_first_pair(page, live_server, pairs: int):
    _, _, (user,) = build_evaluation(pairs=pairs, annotators=1, per_pair=2)
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    return user


def test_annotator_changes_an_earlier_rating_with_a_reason(live_server, page):
    user = _open_first_pair(page, live_server, pairs=3)
    first = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("2")  # A is better
    page.keyboard.press("Enter")
    _wait_for_next(page, first)
    assert page.inner_text("#confirmation") == "Saved: A is better"

    second = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("6")  # B is better, with a reason (R opens its box)
    page.keyboard.press("r")
    page.keyboard.type("B answers the question")
    page.keyboard.press("Enter")
    _wait_for_next(page, second)
    assert page.inner_text("#confirmation") == "Saved: B is better"
    assert Rating.objects.get(assignment_id=int(second)).comment == (
        "B answers the question"
    )
    # The confirmation goes by itself.
    page.wait_for_selector("#confirmation", state="detached", timeout=5000)

    # Go back: the last ratings, newest first; change the first one.
    page.click("#recent summary")
    items = page.locator(".recent-list li")
    items.nth(1).wait_for()  # loaded when the panel opens
    assert items.count() == 2
    assert "B is better" in items.nth(0).inner_text()
    items.nth(1).locator(".recent-change").click()
    page.wait_for_selector("#edit-form")
    assert page.is_checked("input[name=choice][value='2']")  # as answered
    page.keyboard.press("5")  # B is slightly better
    page.fill("#rationale", "On second reading B is more accurate")
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "rating-edit.png"), full_page=True)
    page.click("#save-change")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")  # rate.js, deferred, has the keys
    assert "Saved: B is slightly better (changed)" in page.inner_text(".messages")

    rating = Rating.objects.get(assignment_id=int(first))
    assert (rating.choice, rating.comment) == (
        -1,
        "On second reading B is more accurate",
    )
    assert rating.score == (-1 if rating.candidate_on_left else 1)
    history = {
        (c.field, c.old_value, c.new_value)
        for c in AnswerChange.objects.filter(rating=rating)
    }
    assert history == {
        ("choice", "2", "-1"),
        ("comment", "", "On second reading B is more accurate"),
    }
    assert Rating.objects.filter(annotator=user).count() == 2


def test_annotator_undoes_a_skip_and_the_progress_stays_in_view(live_server, page):
    _open_first_pair(page, live_server, pairs=2)
    page.set_viewport_size({"width": 900, "height": 400})
    skipped = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("s")
    _wait_for_next(page, skipped)
    assert "Skipped." in page.inner_text("#undo-form")

    # Keys keep working while the confirmation shows; the progress line stays at
    # the top of the window as the page scrolls.
    page.keyboard.press("3")
    assert page.is_checked("input[data-key='3']")
    page.mouse.wheel(0, 600)
    # A function, not an expression: polling an expression needs eval, which the
    # page's Content-Security-Policy refuses.
    page.wait_for_function("() => window.scrollY > 100")
    assert 0 <= page.locator(".progress").bounding_box()["y"] < 60

    page.keyboard.press("u")
    page.wait_for_function(
        "(id) => document.getElementById('pair').dataset.assignment === id",
        arg=skipped,
    )
    assert Assignment.objects.get(pk=int(skipped)).state == "leased"
    change = AnswerChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "state",
        "skipped",
        "leased",
    )


def test_last_ratings_after_the_session_expired_say_so_instead_of_the_login_page(
    live_server, page
):
    """The panel is fetched; with the session gone the fetch followed the redirect
    and the whole login page (header, a second h1, a login form leading to the
    panel's bare fragment) was put inside the panel."""
    user = _open_first_pair(page, live_server, pairs=2)
    first = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    _wait_for_next(page, first)
    pair = page.url
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)

    page.click("#recent summary")
    panel = page.locator("#recent")
    panel.get_by_text("Your session has expired").wait_for()
    assert panel.locator("form, h1, header").count() == 0
    page.click("#recent a")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("#answer-form")
    assert page.url == pair


def test_an_undo_refused_on_all_done_says_why(live_server, page):
    """After skipping the last pair, "All done" offers Undo; when the pair had been
    taken and rated meanwhile, the refusal went to the answer form's error box,
    which "All done" has not: Undo vanished and nothing said why."""
    evaluation, _, (user, other) = build_evaluation(pairs=1, annotators=2, per_pair=1)
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    page.keyboard.press("s")
    page.wait_for_selector("text=All done")

    taken = services.assignment_next(evaluation=evaluation, annotator=other)
    services.rating_submit(assignment_id=taken.pk, annotator=other, choice=1, seconds=5)
    page.keyboard.press("u")
    error = page.locator("#answer-error")
    error.wait_for()
    assert "took the last place on that pair" in error.inner_text()
    assert page.locator("#undo-form").count() == 0


def test_an_undo_after_the_session_expired_links_to_the_login(live_server, page):
    """It said "Your session has expired; log in again." with no link, and took the
    Undo button away though the skip could still be undone once logged in."""
    _, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    page.keyboard.press("s")
    page.wait_for_selector("text=All done")
    Session.objects.all().delete()  # expired on the server; the cookies stay
    page.keyboard.press("u")
    login = page.locator("#answer-error #login-again")
    login.wait_for()
    assert "/accounts/login/?next=" in login.get_attribute("href")
    assert page.locator("#undo-form").count() == 1


def test_enter_in_the_reason_saves_the_change_as_on_the_rating_page(live_server, page):
    """On the rating page Enter in the reason sends the answer; on the edit page it
    started a new line, and the change was saved only by a click."""
    _open_first_pair(page, live_server, pairs=2)
    first = page.get_attribute("#pair", "data-assignment")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    _wait_for_next(page, first)
    rating = Rating.objects.get(assignment_id=int(first))
    page.goto(f"{live_server.url}/ratings/{rating.pk}/edit/")
    page.wait_for_selector("#edit-form")
    page.wait_for_load_state("load")
    page.click("#rationale")
    page.keyboard.type("First line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages")
    rating.refresh_from_db()
    # A form sends a text box's lines ended by CRLF.
    assert rating.comment.splitlines() == ["First line", "second line"]
