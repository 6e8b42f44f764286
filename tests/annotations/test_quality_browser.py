"""The quality-control page in a browser: an admin reads the warnings and pauses
an annotator. With EVALSITE_SCREENSHOTS=1 it refreshes docs/quality-control.png."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from annotations import roles
from annotations.models import PoolMember
from tests.conftest import browser_login, make_user

from .conftest import build_evaluation
from .quality_support import answer_task, gold_pair, rate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
DOCS = Path(settings.BASE_DIR) / "docs"


def _campaign():
    """Five annotators on eight pairs. a-ruiz, b-chen and c-okafor agree; d-fast
    answers in 2 s, always A; e-contrary disagrees with the rest and fails gold."""
    evaluation, comparisons, _ = build_evaluation(
        name="pilot-campaign",
        pairs=8,
        annotators=0,
        per_pair=5,
        gold_rate=0.1,
        repeat_rate=0.05,
        min_seconds=5,
        qc_min_answers=5,
        qc_min_gold_accuracy=0.7,
        qc_min_self_consistency=0.7,
        qc_min_agreement=0.5,
        qc_max_fast_share=0.3,
        qc_max_tie_share=0.4,
        qc_max_side_bias=0.6,
    )
    names = ["a-ruiz", "b-chen", "c-okafor", "d-fast", "e-contrary"]
    people = [make_user(name, roles.ANNOTATOR) for name in names]
    evaluation.pool.add(*people)
    golds = [gold_pair(evaluation, expected=1) for _ in range(3)]
    for index, comparison in enumerate(comparisons):
        for person, base in zip(people, (2, 1, 2, 1, -2), strict=True):
            score = base if (index + len(person.username)) % 5 else 0
            left = (index + person.pk) % 2 == 0
            if person.username == "d-fast":
                left = score >= 0  # always chooses A
            seconds = 2.0 if person.username == "d-fast" else 9.0 + index * 1.5
            rating = rate(comparison, person, score, left=left, seconds=seconds)
            if index < 2:
                repeat = score if person.username != "e-contrary" else -score or 1
                answer_task(evaluation, person, repeat, repeat_of=rating, left=not left,
                            seconds=seconds)  # fmt: skip
    for person in people:
        wrong = person.username == "e-contrary"
        for gold in golds:
            answer_task(evaluation, person, -2 if wrong else 2, gold=gold, seconds=12)
    return evaluation, people


def test_admin_reads_warnings_and_pauses_an_annotator(page, live_server):
    evaluation, people = _campaign()
    make_user("adm1", roles.ADMIN)
    browser_login(page, live_server, "adm1", then=None)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/progress/")
    page.click("#quality-link")
    contrary = page.locator('tr[data-annotator="e-contrary"]')
    assert "agreement 0.00 < 0.50" in contrary.locator(".warnings").inner_text()
    assert contrary.locator('td.error[data-figure="gold_accuracy"]').count() == 1
    fast = page.locator('tr[data-annotator="d-fast"]')
    assert fast.locator('td.error[data-figure="fast_share"]').count() == 1
    fast.locator('input[name="message"]').fill("Please read each pair fully.")
    fast.locator('button[value="pause"]').click()
    page.wait_for_selector('tr[data-annotator="d-fast"] button[value="resume"]')
    assert "Please read each pair fully." in page.inner_text(
        'tr[data-annotator="d-fast"] .state'
    )
    member = PoolMember.objects.get(evaluation=evaluation, user=people[3])
    assert member.paused_at is not None
    if SCREENSHOTS:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(DOCS / "quality-control.png"), full_page=True)
