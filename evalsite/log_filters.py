"""Logging filters for the console handler (settings.LOGGING)."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """Keep a refused request (a 4xx: PermissionDenied, Http404, a bad request) as
    the one warning line ``django.request`` writes, without the traceback Django
    attaches: a role check left 66 tracebacks in a log with no server error, and
    an operator searching for "Traceback" must find crashes only. Server errors
    (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
