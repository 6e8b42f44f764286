"""The values of an uploaded record: a JSONL line parsed (orjson when the line is
clean, Python's json to name what is wrong), and every value checked for what no
column can hold; errors are FieldErrors naming the field."""

import json
import math
import re
from typing import Any

import orjson

from .limits import MAX_DEPTH

NUL = "\x00"
# orjson reads an integer outside [-2**63, 2**64) as a float, where Python's json
# keeps it whole: a line with a float this large is left to Python's json.
_FLOAT_BOUND = 2.0**63
# A surrogate code point that no pair completes: JSON's "\ud800" escape alone.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_HELD = "holds an unpaired surrogate (a \\ud800-\\udfff escape alone)"


# Python's json module reads these words, which JSON itself does not have.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


class FieldError(Exception):
    """Raised by a record check for one field of one line."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


def json_loads(raw: str) -> Any:
    """Parse one JSON text; what Python cannot parse is a FieldError, not a crash."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        # Where in the text: Python's message ends with a colon that wants it.
        where = f"character {exc.pos + 1}"
        if raw[exc.pos : exc.pos + 1] == NUL:  # a binary file, or bytes broken
            message = f"a NUL byte at {where}"
            raise FieldError(None, f"not valid JSON ({message})") from None
        raise FieldError(None, f"not valid JSON ({exc.msg}: {where})") from None
    except RecursionError:
        message = f"nested more than {MAX_DEPTH} levels deep"
        raise FieldError(_deep_field(raw), message) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise FieldError(None, f"not valid JSON ({exc})") from None


def clean_object(raw: str) -> dict[str, Any] | None:
    """The JSON object ``raw`` holds, when it is one that ``record_check`` accepts;
    None otherwise (then ``json_loads`` and ``record_check`` say what is wrong).

    orjson parses it, several times faster than Python's json. On what this returns
    the two agree: orjson refuses NaN, infinities, lone surrogates and deep nesting,
    which Python's json reads (a line with one of them is no clean object anyway),
    and a line with a float of 2**63 or more (which may be a large integer to
    orjson) is left to Python's json.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(value) is not dict or not _is_clean(value, -1):
        return None
    return value


def _is_clean(value: Any, depth: int) -> bool:
    """Whether ``value_check`` accepts a value of orjson's at ``depth``: the same
    rules, walked without building the names its errors give."""
    kind = type(value)
    if kind is str:
        return NUL not in value
    if kind is float:  # NaN, the infinities and large numbers fail
        return -_FLOAT_BOUND < value < _FLOAT_BOUND
    if kind is dict:
        if depth >= MAX_DEPTH or NUL in "".join(value):
            return False
        items = value.values()
    elif kind is list:
        if depth >= MAX_DEPTH:
            return False
        items = value
    else:
        return kind is int or kind is bool or value is None
    for item in items:
        kind = type(item)
        if kind is str:
            if NUL in item:
                return False
        elif not (kind is int or item is None or _is_clean(item, depth + 1)):
            return False
    return True


def _deep_field(raw: str) -> str | None:
    """The top-level field of a JSON object text that first nests past MAX_DEPTH;
    run only on a text too deep for Python's json module."""
    depth, in_string, escaped, start, key = 0, False, False, 0, None
    for index, char in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:
                    key = raw[start:index]
        elif char == '"':
            in_string, start = True, index + 1
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH + 1:
                return key
        elif char in "]}":
            depth -= 1
    return None


def record_check(data: dict[str, Any]) -> None:
    """Refuse what no column can hold, in any field of a record: NUL characters
    (PostgreSQL text and jsonb refuse them), unpaired surrogates (a JSON escape
    such as \\ud800 alone: no UTF-8 text holds one), NaN and infinite numbers, and
    objects or lists nested more than MAX_DEPTH levels deep."""
    for key, value in data.items():
        if NUL in key:
            raise FieldError(_name_shown(key), "the name holds a NUL character")
        if _SURROGATE.search(key):
            raise FieldError(_name_shown(key), f"the name {_SURROGATE_HELD}")
        value_check(value, key)


def value_check(value: Any, name: str, depth: int = 0, top: str | None = None) -> None:
    """Check one field's value (see ``record_check``); errors name the path in it,
    or the field (``top``) for too deep a nesting."""
    top = top or name
    if isinstance(value, str):
        if NUL in value:
            raise FieldError(name, "contains a NUL character (\\u0000)")
        if _SURROGATE.search(value):
            raise FieldError(name, _SURROGATE_HELD)
    elif isinstance(value, float):
        if not math.isfinite(value):
            # In any field, text ones too: say what is wrong with the value itself.
            raise FieldError(name, f"{_NON_FINITE[str(value)]} is not a JSON value")
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise FieldError(top, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, list):
            for index, item in enumerate(value):
                value_check(item, f"{name}[{index}]", depth + 1, top)
            return
        for key, item in value.items():
            if NUL in key:
                raise FieldError(name, "a key contains a NUL character (\\u0000)")
            if _SURROGATE.search(key):
                raise FieldError(name, f"a key {_SURROGATE_HELD}")
            value_check(item, f"{name}.{key}", depth + 1, top)


def _name_shown(name: str) -> str:
    """A field's name as an error can show it: NUL and surrogates escaped."""
    return name.replace(NUL, "\\0").encode("utf-8", "backslashreplace").decode()
