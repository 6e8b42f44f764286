"""Reading uploaded JSONL and CSV files into records; errors name the line and field."""

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from .fields import (
    FieldError,
    json_loads,
    optional_float,
    optional_int,
    optional_object,
    record_check,
    required,
    text_check,
    text_field,
    value_check,
)

# The field readers are part of this module's interface for the import services.
__all__ = [
    "FieldError",
    "ImportConflictError",
    "ImportFileError",
    "ImportResult",
    "LineError",
    "Record",
    "check_records",
    "optional_float",
    "optional_int",
    "optional_object",
    "read_records",
    "record_check",
    "required",
    "sha256",
    "text_check",
    "text_field",
    "value_check",
]

# Every import service reads its file here, checks every record, and stores nothing
# unless the whole file is clean. Errors are collected up to this limit so that a
# user can fix a file in one pass.
MAX_ERRORS = 50
# A CSV cell may hold what a JSONL field may (the upload's size bounds both); the
# text limits are checked per field, naming it, instead of failing the whole line.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
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
            value = json_loads(raw)
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
