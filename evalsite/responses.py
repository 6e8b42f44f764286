"""Small HTTP responses the apps share."""

from django.http import HttpResponseBadRequest


def bad_request(message: str) -> HttpResponseBadRequest:
    """400 with the message as plain text: it often repeats what the user sent, which
    must never be read as HTML."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
