"""The requests the live test server is serving, counted (a middleware of the test
settings), so that a test's teardown can wait for them (``tests.conftest``)."""

from __future__ import annotations

import threading

_idle = threading.Condition()
_serving = 0


class RequestsInFlight:
    """Counts the requests inside the middleware chain (all of Django's work on
    them, static files included), across the live server's request threads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        global _serving
        with _idle:
            _serving += 1
        try:
            return self.get_response(request)
        finally:
            with _idle:
                _serving -= 1
                _idle.notify_all()


def wait_until_idle(timeout: float) -> bool:
    """Wait until no request is being served; False if one still is at ``timeout``."""
    with _idle:
        return _idle.wait_for(lambda: _serving == 0, timeout)
