"""A Prolific-style campaign in headless Chromium: the admin makes a link, a participant
opens it with their crowd ids, starts, rates their quota and sees the completion code."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from annotations import roles
from annotations.models import Invitation, PoolMember, Rating
from tests.conftest import browser_login, make_user

from .conftest import build_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/invitation-join.png and
# docs/invitation-completed.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
CODE = "C7X2K9QP"
CROWD = "PROLIFIC_PID=5f1e2d3c4b5a69788796a5b4&STUDY_ID=64ab01&SESSION_ID=s-77"


def _rate(page) -> None:
    before = page.get_attribute("#pair", "data-assignment")
    # The key, not the label's text: "Saved: A is better" may still be on screen.
    page.keyboard.press("2")
    page.click("#submit-rating")
    page.wait_for_function(
        "(before) => { const p = document.getElementById('pair');"
        " return !p || p.dataset.assignment !== before; }",
        arg=before,
    )


def test_participant_joins_by_link_rates_their_quota_and_gets_the_code(
    live_server, browser, page
):
    evaluation, _, _ = build_evaluation(
        pairs=4,
        annotators=0,
        per_pair=1,
        guidelines="Prefer the **more helpful** answer; ties are fine.",
    )
    violations = []

    def watch(tab) -> None:
        tab.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    watch(page)
    admin = make_user("lead", roles.ADMIN)
    browser_login(page, live_server, admin.username, then=None)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/progress/")
    page.click("#invitations-link")
    page.fill("#id_label", "Prolific pilot")
    page.fill("#id_max_uses", "20")
    page.fill(
        "#id_expires_at",
        (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    page.fill("#id_quota", "2")
    page.fill("#id_completion_code", CODE)
    page.click("#invitation-form button[type=submit]")
    link = page.input_value("input.invitation-link")
    invitation = Invitation.objects.get(evaluation=evaluation)
    assert link == f"{live_server.url}/join/{invitation.token}/"

    # The participant: a browser of their own, never signed in.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    participant = context.new_page()
    watch(participant)
    participant.goto(f"{link}?{CROWD}")
    assert "more helpful" in participant.inner_text(".guidelines")
    assert "You will rate up to 2 pairs" in participant.inner_text(".join")
    assert not PoolMember.objects.filter(evaluation=evaluation).exists()
    if SCREENSHOTS:
        participant.screenshot(path=str(DOCS / "invitation-join.png"), full_page=True)
    participant.click("#join-start")
    participant.wait_for_selector("#answer-form")
    participant.wait_for_load_state("load")

    member = PoolMember.objects.get(evaluation=evaluation)
    assert (member.participant_id, member.study_id, member.session_id) == (
        "5f1e2d3c4b5a69788796a5b4",
        "64ab01",
        "s-77",
    )
    assert member.quota == 2
    _rate(participant)
    _rate(participant)
    participant.wait_for_selector(f"text={CODE}")
    assert Rating.objects.filter(annotator=member.user).count() == 2
    member.refresh_from_db()
    assert member.completed_at is not None
    if SCREENSHOTS:
        participant.screenshot(
            path=str(DOCS / "invitation-completed.png"), full_page=True
        )
    context.close()
    assert violations == []


def test_a_participant_with_a_completion_address_is_sent_there(live_server, browser):
    """With JavaScript, as without: the last answer of the quota goes on to the crowd
    platform's completion address (the page once stayed, with a button)."""
    evaluation, _, _ = build_evaluation(pairs=3, annotators=0, per_pair=1)
    back = f"{live_server.url}/platform/complete/?cc=XYZ"  # a stand-in (a 404 here)
    invitation = Invitation.objects.create(
        evaluation=evaluation,
        max_uses=5,
        expires_at=timezone.now() + timedelta(days=1),
        quota=1,
        completion_url=back,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    participant = context.new_page()
    participant.goto(f"{live_server.url}/join/{invitation.token}/?{CROWD}")
    participant.click("#join-start")
    participant.wait_for_selector("#answer-form")
    participant.wait_for_load_state("load")
    _rate(participant)
    participant.wait_for_url(back)
    member = PoolMember.objects.get(evaluation=evaluation)
    assert member.completed_at is not None
    context.close()


def test_revoking_a_link_asks_first(live_server, page):
    """Revoking cannot be undone, so the page asks (a new-user pass: one click on
    Revoke closed a live link)."""
    evaluation, _, _ = build_evaluation(pairs=1, annotators=0, per_pair=1)
    invitation = Invitation.objects.create(
        evaluation=evaluation,
        label="Pilot <1>",
        max_uses=5,
        expires_at=timezone.now() + timedelta(days=1),
    )
    browser_login(page, live_server, make_user("lead", roles.ADMIN).username, then=None)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/invitations/")
    asked = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.click("button.revoke")
    page.wait_for_timeout(300)  # a dismissed dialog sends nothing
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert asked == [
        "Revoke the link “Pilot <1>”? Nobody can join with it again (this cannot "
        "be undone); those who joined stay in the pool."
    ]
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.click("button.revoke")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "revoked" in page.inner_text("table")
