"""Fixtures shared by every test: users in each role, the database, the demo, a browser."""

import gc
import io
import os

import pytest
from django.core.management import call_command
from django.db import connection

from annotations import roles

from .factories import UserFactory
from .support import requests_in_flight

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


# .ci/run sets this: there a test that skips for want of a real part (PostgreSQL, Redis,
# the llama.cpp vocabulary, Chromium, the data) fails instead, so a setup step that
# silently stopped working cannot turn the real-parts tests into skips. Only the
# screenshot refreshers, which are opt-in, may still skip.
REQUIRE_REAL_PARTS = os.environ.get("EVALSITE_REQUIRE_REAL_PARTS") == "1"
OPT_IN_SKIPS = ("EVALSITE_SCREENSHOTS",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (REQUIRE_REAL_PARTS and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = (
        report.longrepr[2]
        if isinstance(report.longrepr, tuple)
        else str(report.longrepr)
    )
    if not any(marker in reason for marker in OPT_IN_SKIPS):
        report.outcome = "failed"
        report.longrepr = f"skipped where EVALSITE_REQUIRE_REAL_PARTS=1: {reason}"


def pytest_collection_finish(session):
    """Move what collection built (Django, the libraries, the test modules) out of the
    garbage collector's reach: it lives for the whole session, and without this every
    full collection walks it again (about a tenth of a test process's CPU)."""
    gc.freeze()


def make_user(username: str, role: str | None, **extra):
    user = UserFactory(username=username, **extra)
    if role:
        user.groups.add(roles.group_for(role))
    if role == roles.ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def annotator(db):
    return make_user("ann1", roles.ANNOTATOR)


@pytest.fixture
def researcher(db):
    return make_user("res1", roles.RESEARCHER)


@pytest.fixture
def admin_user(db):
    return make_user("adm1", roles.ADMIN)


@pytest.fixture
def on_postgres(db) -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The LLMFAO demo (``load_demo``), loaded once for a module whose tests read it.

    It is committed before the module's first test; every test still runs in its own
    transaction, so what a test writes is rolled back and the next one sees the demo as
    loaded. After the module the tables are emptied, as after a transactional test.
    """
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo(db, demo_data):
    """The demo data, for a test that runs in a rolled-back transaction on top of it."""


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _live_server_requests_end(request):
    """After a test on the live server, wait for the requests it still serves.

    A page closed at the end of a test may leave a request in flight (a figure, a
    poll); the transactional test's flush then emptied the tables under it, and
    PostgreSQL broke the deadlock by killing the flush (an error in teardown, seen
    once in a full run). The test settings count the requests being served
    (``tests.support.requests_in_flight``; the server's threads themselves may stay
    on, waiting on a kept-alive connection). This fixture is set up after the
    database's (pytest-django's marker fixture is a plugin's), so its teardown
    runs first.
    """
    yield
    if "live_server" in request.fixturenames:
        requests_in_flight.wait_until_idle(timeout=10)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, live_server, username: str, *, then: str | None = "/"):
    """Sign the browser in as ``username`` with a session made by Django's test
    client (``force_login``: the same session and signal as the login page) and open
    ``then`` (the home, where the login page leads; None: open nothing).

    The login page itself is driven through its form by ``browser_login_with_form``
    (in the home's and the rating page's browser tests); every other browser test
    skips its two requests and its page load.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get_by_natural_key(username))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session,
                "url": live_server.url,
            }
        ]
    )
    if then is not None:
        page.goto(f"{live_server.url}{then}")


def browser_login_with_form(
    page, live_server, username: str, password: str = "pw-for-tests"
):
    """Log in through the real login page (which leads home)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
