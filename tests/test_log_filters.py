"""A refused request is logged as one line; a server error keeps its traceback."""

import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.log import log_response

from evalsite.log_filters import RefusalsWithoutTraceback


@pytest.fixture
def console():
    """The console handler settings.LOGGING configures, writing into a buffer."""
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RefusalsWithoutTraceback) for f in h.filters)
    ]
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


def _logged(status: int, error: Exception) -> None:
    request = RequestFactory().get("/reports/3/")
    try:
        raise error
    except type(error) as exc:
        response = type("Response", (), {"status_code": status})()
        log_response(
            "Refused: %s", request.path, response=response, request=request,
            exception=exc,
        )  # fmt: skip


def test_a_refusal_is_one_line_without_its_traceback(console):
    _logged(403, PermissionDenied("no"))
    assert console.getvalue() == "Refused: /reports/3/\n"


def test_a_server_error_keeps_its_traceback(console):
    _logged(500, RuntimeError("boom"))
    text = console.getvalue()
    assert text.startswith("Refused: /reports/3/\nTraceback")
    assert "RuntimeError: boom" in text


def test_a_forbidden_page_logs_no_traceback(console, client, db):
    """Through a real view: an annotator asking for a report."""
    from tests.conftest import make_user

    client.force_login(make_user("log-annotator", "annotator"))
    assert client.get("/reports/").status_code == 403
    assert "Forbidden" in console.getvalue()
    assert "Traceback" not in console.getvalue()
