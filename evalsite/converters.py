"""Path converters of the project's URLs, and the same rule for ids in queries."""

import re

from django.urls.converters import IntConverter

# A record's id as text: at most 18 digits, so every id fits the databases' 64-bit
# integers (SQLite raises OverflowError on a larger one).
ID_PATTERN = "[0-9]{1,18}"
_ID = re.compile(ID_PATTERN)


class IdConverter(IntConverter):
    """A record's id in a path (``<id:pk>``): a longer number than any id could be
    is a 404 before any view runs."""

    regex = ID_PATTERN


def record_id(text: str) -> int | None:
    """The id a query value names, or None when it is no id (letters, a superscript
    digit, a number past 64 bits)."""
    return int(text) if _ID.fullmatch(text) else None
