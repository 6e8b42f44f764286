"""Reading uploaded JSONL and CSV files into records; errors name the line and field."""

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from .limits import MAX_DEPTH, MAX_INT, MAX_TEXT_CHARS

# Every import service reads its file here, checks every record, and stores nothing
# unless the whole file is clean. Errors are collected up to this limit so that a
# user can fix a file in one pass.
MAX_ERRORS = 50
# A CSV cell may hold what a JSONL field may (the upload's size bounds both); the
# text limits are checked per field, naming it, instead of failing the whole line.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
NUL = "\x00"
# Byte order marks of encodings other than UTF-8, longest first.
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


@dataclass(frozen=True)
class LineError:
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


class ImportFileError(Exception):
    """The file cannot be imported; nothing of it was stored."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        shown = "; ".join(str(error) for error in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(shown + more)


class ImportConflictError(ImportFileError):
    """Another upload changed the same rows meanwhile; nothing of this one was stored.

    The API answers 409: sending the file again decides against the stored rows.
    """


class FieldError(Exception):
    """Raised by a record check for one field of one line."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Record:
    line: int
    data: dict[str, Any]


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "unchanged": self.unchanged, **self.details}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_records(
    *, file_name: str, data: bytes, csv_columns: Iterable[str] | None = None
) -> list[Record]:
    """Parse a JSONL or CSV file; raise ImportFileError on any malformed line."""
    limit = settings.EVALSITE_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise ImportFileError(
            [LineError(None, None, f"the file is over the size limit of {limit} bytes")]
        )
    text = _decode(data)
    if not text.strip():
        raise ImportFileError([LineError(1, None, "the file is empty")])
    if _is_csv(file_name, text):
        records = _read_csv(text, csv_columns)
    else:
        records = _read_jsonl(text)
    if not records:
        raise ImportFileError([LineError(1, None, "the file holds no records")])
    return records


def _decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte order mark; any other encoding is refused."""
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise ImportFileError(
                [LineError(1, None, f"the file is {encoding} text; save it as UTF-8")]
            )
    if b"\x00" in data[:4]:
        # UTF-16 or UTF-32 without a byte order mark: ASCII comes with NUL bytes.
        message = "the file looks like UTF-16 or UTF-32 text; save it as UTF-8"
        raise ImportFileError([LineError(1, None, message)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = (
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
            "save the file as UTF-8"
        )
        raise ImportFileError([LineError(line, None, message)]) from None


def _lines(text: str) -> Iterable[tuple[int, str]]:
    """Number the lines of a JSONL text, split on "\\n" (and "\\r\\n") only.

    ``str.splitlines`` would also split on U+2028, U+2029, U+0085 and other
    separators, which are valid inside JSON strings.
    """
    for number, raw in enumerate(text.split("\n"), start=1):
        yield number, raw.removesuffix("\r")


def _is_csv(file_name: str, text: str) -> bool:
    lowered = file_name.lower()
    if lowered.endswith(".csv"):
        return True
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return False
    return not text.lstrip().startswith("{")


def _read_jsonl(text: str) -> list[Record]:
    records, errors = [], []
    for number, raw in _lines(text):
        if not raw.strip():
            continue
        try:
            value = _json_loads(raw)
            if not isinstance(value, dict):
                raise FieldError(None, "expected a JSON object")
            record_check(value)
        except FieldError as exc:
            errors.append(LineError(number, exc.field, exc.message))
        else:
            records.append(Record(number, value))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportFileError(errors)
    return records


def _read_csv(text: str, required: Iterable[str] | None) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in (required or []) if name not in header]
    if missing:
        raise ImportFileError(
            [
                LineError(1, name, "column missing from the CSV header")
                for name in missing
            ]
        )
    records, errors = [], []
    try:
        for row in reader:
            if None in row:
                errors.append(
                    LineError(reader.line_num, None, "more values than columns")
                )
                continue
            values = {
                key: value for key, value in row.items() if value not in ("", None)
            }
            try:
                record_check(values)
            except FieldError as exc:
                errors.append(LineError(reader.line_num, exc.field, exc.message))
                continue
            if values:
                records.append(Record(reader.line_num, values))
    except csv.Error as exc:
        errors.append(LineError(reader.line_num, None, f"malformed CSV ({exc})"))
    if errors:
        raise ImportFileError(errors[:MAX_ERRORS])
    return records


def _json_loads(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FieldError(None, f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        message = f"nested more than {MAX_DEPTH} levels deep"
        raise FieldError(_deep_field(raw), message) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise FieldError(None, f"not valid JSON ({exc})") from None


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
    (PostgreSQL text and jsonb refuse them), NaN and infinite numbers, and objects
    or lists nested more than MAX_DEPTH levels deep."""
    for key, value in data.items():
        if NUL in key:
            raise FieldError(key.replace(NUL, "\\0"), "the name holds a NUL character")
        value_check(value, key)


def value_check(value: Any, name: str, depth: int = 0, top: str | None = None) -> None:
    """Check one field's value (see ``record_check``); errors name the path in it,
    or the field (``top``) for too deep a nesting."""
    top = top or name
    if isinstance(value, str):
        if NUL in value:
            raise FieldError(name, "contains a NUL character (\\u0000)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FieldError(name, f"expected a finite number, got {value}")
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
            value_check(item, f"{name}.{key}", depth + 1, top)


def check_records(
    records: list[Record], check: Callable[[Record], Any]
) -> list[tuple[Record, Any]]:
    """Run ``check`` on every record; collect FieldErrors; raise if there are any."""
    checked, errors = [], []
    for record in records:
        try:
            checked.append((record, check(record)))
        except FieldError as exc:
            errors.append(LineError(record.line, exc.field, exc.message))
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise ImportFileError(errors)
    return checked


# Field readers: each returns a clean value or raises FieldError naming the field.


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
    value = required(data, name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(name, "expected a string")
    value = text_check(str(value), name, max_length=max_length)
    if not allow_empty and not value.strip():
        raise FieldError(name, "must not be empty")
    return value if allow_empty else value.strip()


def text_check(value: str, name: str, *, max_length: int = MAX_TEXT_CHARS) -> str:
    """Refuse text with a NUL character or over ``max_length`` characters."""
    if NUL in value:
        raise FieldError(name, "contains a NUL character (\\u0000)")
    if len(value) > max_length:
        raise FieldError(
            name, f"longer than {max_length} characters ({len(value)} given)"
        )
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def optional_int(
    data: dict[str, Any], name: str, *, maximum: int = MAX_INT
) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) > 40:
        raise FieldError(name, f"expected a whole number, got {_shown(value)}")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldError(
            name, f"expected a whole number, got {_shown(value)}"
        ) from None
    if isinstance(value, bool) or number < 0 or str(number) != str(value).strip():
        raise FieldError(
            name, f"expected a whole number of at least 0, got {_shown(value)}"
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
        raise FieldError(name, f"expected a number, got {_shown(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldError(name, f"expected a number, got {_shown(value)}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise FieldError(
            name, f"expected a finite number of at least 0, got {_shown(value)}"
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
            value = _json_loads(value)
        except FieldError as exc:
            raise FieldError(name, f"expected a JSON object: {exc.message}") from None
    if not isinstance(value, dict):
        raise FieldError(name, "expected an object")
    value_check(value, name)
    return value
