"""Reading uploaded JSONL and CSV files into records; errors name the line and field."""

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

# Every import service reads its file here, checks every record, and stores nothing
# unless the whole file is clean. Errors are collected up to this limit so that a
# user can fix a file in one pass.
MAX_ERRORS = 50
MAX_TEXT_CHARS = 200_000


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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError([LineError(line, None, "not valid UTF-8 text")]) from None
    if not text.strip():
        raise ImportFileError([LineError(1, None, "the file is empty")])
    if _is_csv(file_name, text):
        records = _read_csv(text, csv_columns)
    else:
        records = _read_jsonl(text)
    if not records:
        raise ImportFileError([LineError(1, None, "the file holds no records")])
    return records


def _is_csv(file_name: str, text: str) -> bool:
    lowered = file_name.lower()
    if lowered.endswith(".csv"):
        return True
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return False
    return not text.lstrip().startswith("{")


def _read_jsonl(text: str) -> list[Record]:
    records, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, None, f"not valid JSON ({exc.msg})"))
        else:
            if isinstance(value, dict):
                records.append(Record(number, value))
            else:
                errors.append(LineError(number, None, "expected a JSON object"))
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
            if values:
                records.append(Record(reader.line_num, values))
    except csv.Error as exc:
        errors.append(LineError(reader.line_num, None, f"malformed CSV ({exc})"))
    if errors:
        raise ImportFileError(errors[:MAX_ERRORS])
    return records


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


def text_field(data: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    value = required(data, name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(name, "expected a string")
    value = str(value)
    if not allow_empty and not value.strip():
        raise FieldError(name, "must not be empty")
    if len(value) > MAX_TEXT_CHARS:
        raise FieldError(name, f"longer than {MAX_TEXT_CHARS} characters")
    return value if allow_empty else value.strip()


def optional_int(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FieldError(name, f"expected a whole number, got {value!r}") from None
    if isinstance(value, bool) or number < 0 or str(number) != str(value).strip():
        raise FieldError(name, f"expected a whole number of at least 0, got {value!r}")
    return number


def optional_float(data: dict[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(name, f"expected a number, got {value!r}") from None
    if isinstance(value, bool) or number < 0 or number != number:
        raise FieldError(name, f"expected a number of at least 0, got {value!r}")
    return number


def optional_object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise FieldError(name, "expected a JSON object") from None
    if not isinstance(value, dict):
        raise FieldError(name, "expected an object")
    return value
