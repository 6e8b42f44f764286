"""Path converters of the project's URLs."""

from django.urls.converters import IntConverter


class IdConverter(IntConverter):
    """A record's id: at most 18 digits, so every id a URL carries fits the
    databases' 64-bit integers (SQLite raises OverflowError on a larger one; a
    longer number than any id could be is a 404 before any view runs)."""

    regex = "[0-9]{1,18}"
