"""API tokens: the user of a valid token is remembered, and forgotten when it changes."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evalsite import authentication

# Past authentication and permission, a report that does not exist answers 404.
ME = "/api/reports/999999/"
OK = 404


@pytest.fixture
def client_token(researcher):
    cache.clear()
    token = Token.objects.create(user=researcher)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    yield client, token
    cache.clear()


def _refused(response, why: str) -> bool:
    """Authentication failed (401 with the token's challenge: the first
    authentication class is the token's), for the reason given."""
    return (
        response.status_code == 401
        and response["WWW-Authenticate"] == "Token"
        and why in response.json()["detail"]
    )


def _token_queries(captured) -> int:
    return sum('"authtoken_token"' in query["sql"] for query in captured)


def test_a_second_request_does_not_look_the_token_up(
    client_token, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _ = client_token
    with CaptureQueriesContext(connection) as first:
        assert client.get(ME).status_code == OK
    with CaptureQueriesContext(connection) as second:
        assert client.get(ME).status_code == OK
    assert _token_queries(first.captured_queries) == 1
    assert _token_queries(second.captured_queries) == 0
    assert len(second.captured_queries) == len(first.captured_queries) - 1


def test_the_cache_holds_a_digest_not_the_token(client_token):
    client, token = client_token
    client.get(ME)
    assert cache.get(authentication._key(token.key)) is not None
    assert token.key not in authentication._key(token.key)


def test_a_deleted_token_is_refused_at_once(
    client_token, django_capture_on_commit_callbacks
):
    client, token = client_token
    assert client.get(ME).status_code == OK
    with django_capture_on_commit_callbacks(execute=True):
        token.delete()
    assert _refused(client.get(ME), "Invalid token")


def test_a_deactivated_user_is_refused_at_once(
    client_token, researcher, django_capture_on_commit_callbacks
):
    client, _ = client_token
    assert client.get(ME).status_code == OK
    with django_capture_on_commit_callbacks(execute=True):
        researcher.is_active = False
        researcher.save()
    assert _refused(client.get(ME), "inactive")


def test_a_user_losing_a_role_loses_it_at_once(
    client_token, researcher, django_capture_on_commit_callbacks
):
    client, _ = client_token
    assert client.get(ME).status_code == OK
    with django_capture_on_commit_callbacks(execute=True):
        researcher.groups.clear()
        researcher.save()
    response = client.get(ME)
    assert response.status_code == 403
    assert "permission" in response.json()["detail"]


def test_a_login_does_not_forget_the_token(client_token, researcher):
    client, token = client_token
    client.get(ME)
    researcher.save(update_fields=["last_login"])
    assert cache.get(authentication._key(token.key)) is not None


def test_a_wrong_token_is_refused(client_token):
    client, _ = client_token
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert _refused(client.get(ME), "Invalid token")


@override_settings(EVALSITE_TOKEN_CACHE_SECONDS=0)
def test_with_the_cache_off_every_request_looks_the_token_up(client_token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, token = client_token
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ME).status_code == OK
        assert _token_queries(captured.captured_queries) == 1
    assert cache.get(authentication._key(token.key)) is None


def test_a_failing_cache_falls_back_to_the_database(client_token, monkeypatch, caplog):
    client, _ = client_token

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(authentication.cache, "get", broken)
    monkeypatch.setattr(authentication.cache, "set", broken)
    assert client.get(ME).status_code == OK
    assert "token cache unavailable" in caplog.text
