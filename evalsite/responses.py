"""Small HTTP responses the apps share."""

from django.http import HttpResponseBadRequest

# Every CSV download is UTF-8, and its type says so: without a charset a text/* body
# is ISO-8859-1 to HTTP clients (requests' ``.text``), and non-ASCII names came out
# garbled.
CSV = "text/csv; charset=utf-8"


def bad_request(message: str) -> HttpResponseBadRequest:
    """400 with the message as plain text: it often repeats what the user sent, which
    must never be read as HTML."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
