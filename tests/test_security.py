"""Login throttling, API throttles, the Content-Security-Policy, 405 pages, the favicon
and Swagger UI served from the app with the network blocked."""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from tests.conftest import browser_login, make_user

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"


def _login(client, username, password, address, url="/accounts/login/"):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_eleventh_failed_login_is_refused_and_another_user_still_logs_in(
    client, url
):
    make_user("victim", None, is_staff=True)
    make_user("colleague", None, is_staff=True)
    for _ in range(9):
        response = _login(client, "victim", "wrong", "10.0.0.1", url)
        assert response.status_code == 200  # the form again, with its error
        assert LOCKED not in response.content.decode()
    # The tenth failure reaches the limit: it is answered with the refusal already.
    assert _login(client, "victim", "wrong", "10.0.0.1", url).status_code == 429

    refused = _login(client, "victim", "wrong", "10.0.0.1", url)
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert "Try again in 15 minutes" in refused.content.decode()
    # Locked out: even the right password is refused, from this address or another.
    assert _login(client, "victim", "pw-for-tests", "10.0.0.9", url).status_code == 429
    assert "_auth_user_id" not in client.session

    ok = _login(client, "colleague", "pw-for-tests", "10.0.0.2", url)
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(
        get_user_model().objects.get(username="colleague").pk
    )


def test_failures_from_one_address_lock_that_address_for_every_username(client):
    make_user("someone", None)
    for index in range(10):
        _login(client, f"guess{index}", "wrong", "10.0.0.3")
    response = _login(client, "someone", "pw-for-tests", "10.0.0.3")
    assert response.status_code == 429
    assert _login(client, "someone", "pw-for-tests", "10.0.0.4").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_failure_limit_is_a_setting(client):
    make_user("short", None)
    for _ in range(2):
        assert _login(client, "short", "wrong", "10.0.0.5").status_code == 200
    assert _login(client, "short", "wrong", "10.0.0.5").status_code == 429
    assert _login(client, "short", "wrong", "10.0.0.5").status_code == 429


def test_token_authentication_still_works(researcher):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=researcher)
    api = APIClient()
    # No credentials, or a wrong token: 401 with the challenge a client can act on
    # (log in again), not a 403 it could not tell from "forbidden".
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token bogus"}):
        response = api.get("/api/reports/999999/", **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    # Past authentication and permission: the report does not exist.
    assert api.get("/api/reports/999999/").status_code == 404


def test_a_tiny_api_rate_answers_429(researcher):
    api = APIClient()
    api.force_authenticate(researcher)
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/minute"}
    with override_settings(
        REST_FRAMEWORK={
            **api_settings.user_settings,
            "DEFAULT_THROTTLE_RATES": rates,
        }
    ):
        from django.core.cache import cache

        cache.delete(f"throttle_user_{researcher.pk}")
        assert api.get("/api/reports/999999/").status_code == 404
        assert api.get("/api/reports/999999/").status_code == 404
        response = api.get("/api/reports/999999/")
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"].lower()
    assert "Retry-After" in response


def test_the_default_api_rates_allow_a_click_a_second():
    from evalsite import settings as project

    rates = project.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    for rate in rates.values():
        number, period = rate.split("/")
        per_second = int(number) / {"second": 1, "minute": 60, "hour": 3600}[period]
        assert per_second >= 2


def test_pages_carry_a_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_favicon_answers(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][1] == 301
    icon = b"".join(response.streaming_content)
    assert icon[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.parametrize(
    "name",
    [
        "annotations:next",
        "annotations:answer",
        "generations:job-cancel",
        "generations:job-resume",
    ],
)
def test_get_on_a_post_only_page_is_405_with_a_message(client, admin_user, name):
    client.force_login(admin_user)
    response = client.get(reverse(name, args=[1]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert "Method not allowed" in body
    assert "does not answer a GET request" in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_with_the_network_blocked(page, live_server):
    make_user("reader", "researcher")
    outside = []

    def only_the_live_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_live_server)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    browser_login(page, live_server, "reader", then=None)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.eval_on_selector_all(
        ".opblock-summary-path", "nodes => nodes.map(n => n.textContent)"
    )
    assert any("/api/evaluations/" in path for path in paths)
    assert page.locator(".info .title").inner_text().startswith("evalsite API")
    assert violations == []
    assert outside == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_site_and_admin_pages_break_no_rule_of_the_policy(page, live_server):
    make_user("boss", "admin", is_superuser=True)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append((page.url, message.text))
            if "Content Security Policy" in message.text
            else None
        ),
    )
    browser_login(page, live_server, "boss")
    for path in [
        "/",
        "/reports/",
        "/generations/jobs/",
        "/generations/jobs/new/",
        "/evaluations/new/",
        "/admin/",
        "/admin/annotations/evaluation/",
        "/admin/annotations/evaluation/add/",
        "/admin/generations/promptset/upload-prompts/",
        "/admin/auth/user/add/",
        "/api/docs/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_markdown_tables_align_columns_without_inline_style():
    from evalsite.rendering import _render

    html = _render('| a | b |\n|:--|--:|\n| 1 | 2 |\n\n` style="text-align:left"`')
    assert "style=" not in html.split("<code>")[0]
    assert '<th class="align-left">a</th>' in html
    assert '<td class="align-right">2</td>' in html
    # The same characters typed in the text stay text.
    assert '<code> style="text-align:left"</code>' in html


def test_behind_a_proxy_failures_count_per_client_not_per_proxy(rf, settings):
    from evalsite.security import client_ip_address

    request = rf.get("/", REMOTE_ADDR="10.9.9.9")
    request.META["HTTP_X_FORWARDED_FOR"] = "6.6.6.6, 203.0.113.7"
    assert client_ip_address(request) == "10.9.9.9"
    settings.EVALSITE_PROXY_COUNT = 1
    # The proxy appended the address it saw; what the client sent before it is ignored.
    assert client_ip_address(request) == "203.0.113.7"
