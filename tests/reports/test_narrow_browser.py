"""On a phone's width (375 px) no page scrolls sideways: a wide table scrolls inside
its card, figures shrink, and a tournament's row names a few of its chat models."""

import pytest
from django.core.cache import cache

from tests.conftest import browser_login, make_user
from tests.factories import ChatModelFactory

from .builders import head_to_head, tournament

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 740}


def _overflow(page) -> int:
    """How far the page reaches past the window's width, in CSS pixels."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )


def test_pages_fit_a_phone(browser, live_server):
    cache.clear()
    make_user("adm1", "admin")
    h2h = head_to_head()
    arena = tournament()
    arena.chat_models.add(*(ChatModelFactory(name=f"model-{k:02d}") for k in range(56)))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        browser_login(page, live_server, "adm1")
        for path in (
            "/",
            "/reports/",
            f"/reports/{h2h.pk}/?resamples=50",
            f"/evaluations/{h2h.pk}/quality/",
        ):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            assert _overflow(page) <= 0, path
        page.goto(f"{live_server.url}/")
        row = page.locator(f'tr[data-evaluation="{arena.pk}"]')
        assert row.bounding_box()["height"] < 400  # 59 names made it 5,000 px
    finally:
        context.close()
