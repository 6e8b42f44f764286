"""Reading the fields of uploaded records: each reader returns a clean value or
raises FieldError naming the field (record_values.py checks a record as a whole)."""

import math
from typing import Any

from .limits import MAX_INT, MAX_TEXT_CHARS
from .record_values import NUL, FieldError, json_loads, value_check

# Field readers: each returns a clean value or raises FieldError naming the field.


def known_fields(data: dict[str, Any], known: tuple[str, ...]) -> None:
    """FieldError naming the first field a format does not have: a misspelt optional
    field ("secs", "min_strenght") was dropped without a word, and a re-upload of a
    gold pair then wiped the value it meant to set."""
    for name in data:
        if name not in known:
            raise FieldError(name, f"unknown field; the fields are {', '.join(known)}")


def required(data: dict[str, Any], name: str) -> Any:
    if name not in data or data[name] is None:
        raise FieldError(name, "required field is missing")
    return data[name]


def text_field(
    data: dict[str, Any],
    name: str,
    *,
    allow_empty: bool = False,
    max_length: int = MAX_TEXT_CHARS,
) -> str:
    value = data.get(name)
    if type(value) is not str:  # a number is taken as its digits
        value = required(data, name)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise FieldError(name, "expected a string")
        value = str(value)
    if NUL in value or len(value) > max_length:
        text_check(value, name, max_length=max_length)
    if allow_empty:
        return value
    value = value.strip()
    if not value:
        raise FieldError(name, "must not be empty")
    return value


def text_check(value: str, name: str, *, max_length: int = MAX_TEXT_CHARS) -> str:
    """Refuse text with a NUL character or over ``max_length`` characters."""
    if NUL in value:
        raise FieldError(name, "contains a NUL character (\\u0000)")
    if len(value) > max_length:
        raise FieldError(
            name, f"longer than {max_length} characters ({len(value)} given)"
        )
    return value


def shown(value: Any) -> str:
    """A value as an error quotes it: its repr, cut to 40 characters (a file's
    value may be a page long, and an answer lists up to 50 errors)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def optional_int(
    data: dict[str, Any], name: str, *, maximum: int = MAX_INT
) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) > 40:
        raise FieldError(name, f"expected a whole number, got {shown(value)}")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldError(name, f"expected a whole number, got {shown(value)}") from None
    if isinstance(value, bool) or number < 0 or str(number) != str(value).strip():
        raise FieldError(
            name, f"expected a whole number of at least 0, got {shown(value)}"
        )
    if number > maximum:
        raise FieldError(name, f"{number} is over the maximum of {maximum}")
    return number


def optional_float(
    data: dict[str, Any], name: str, *, maximum: float | None = None
) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) > 40:
        raise FieldError(name, f"expected a number, got {shown(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldError(name, f"expected a number, got {shown(value)}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise FieldError(
            name, f"expected a finite number of at least 0, got {shown(value)}"
        )
    if maximum is not None and number > maximum:
        raise FieldError(name, f"{number} is over the maximum of {maximum}")
    return number


def optional_object(data: dict[str, Any], name: str) -> dict[str, Any]:
    """An object, or a JSON text of one (a CSV cell); checked like a record's field."""
    value = data.get(name)
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json_loads(value)
        except FieldError as exc:
            raise FieldError(name, f"expected a JSON object: {exc.message}") from None
    if not isinstance(value, dict):
        raise FieldError(name, "expected an object")
    value_check(value, name)
    return value
