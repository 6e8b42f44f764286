"""Reading uploaded JSONL and CSV files into records; errors name the line and field."""

import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .fields import (
    optional_float,
    optional_int,
    optional_object,
    required,
    text_check,
    text_field,
)
from .lines import LineProblem, Source, open_source, text_lines
from .record_values import (
    FieldError,
    clean_object,
    json_loads,
    record_check,
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
    "iter_records",
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
# How often ``iter_records`` reports progress, in records.
PROGRESS_EVERY = 10_000


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

    @property
    def listed(self) -> list[LineError]:
        """The errors as a user is shown them: when the check stopped at
        ``MAX_ERRORS``, a last one says so (50 errors of a file with thousands
        read as if they were all)."""
        if len(self.errors) < MAX_ERRORS:
            return self.errors
        note = (
            f"only the first {MAX_ERRORS} errors are listed: correct them and upload "
            "the file again to see any others"
        )
        return [*self.errors, LineError(None, None, note)]


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
    *,
    file_name: str,
    data: Source,
    csv_columns: Iterable[str] | None = None,
    csv_known: Iterable[str] | None = None,
) -> list[Record]:
    """Parse a JSONL or CSV file; raise ImportFileError on any malformed line."""
    return list(
        iter_records(
            file_name=file_name,
            source=data,
            csv_columns=csv_columns,
            csv_known=csv_known,
        )
    )


def iter_records(
    *,
    file_name: str,
    source: Source,
    csv_columns: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
    csv_empty: Iterable[str] = (),
    csv_known: Iterable[str] | None = None,
) -> Iterator[Record]:
    """Parse a JSONL or CSV file as a stream of records, in bounded memory.

    The file is read one line at a time, so memory holds one line and what the
    caller keeps. A malformed line raises ImportFileError once the file is read to
    the end (or MAX_ERRORS are found), naming every malformed line; records read
    before it were yielded already, so a caller must store nothing until the
    iterator is exhausted. ``progress`` is called with the number of records read
    so far, every PROGRESS_EVERY records and at the end. A CSV's empty cell is a
    value left out, except in the columns ``csv_empty`` names (an empty response,
    say, which JSONL writes as "") and the required ``csv_columns``, where it is ""
    (so a check says the value is empty, not that the column is missing). A CSV
    header column not among ``csv_known`` (when given) is an error of line 1: a
    format with a fixed set of fields names a misspelt column where it is, not on
    every row.
    """
    try:
        stream = open_source(source)
        start = stream.tell()
        head = _first_text(text_lines(stream))
        if head is None:
            raise LineProblem(1, "the file is empty")
        stream.seek(start)
        lines = text_lines(stream)
        if _is_csv(file_name, head):
            records = _read_csv(lines, csv_columns, csv_empty, csv_known)
        elif head.lstrip().startswith("["):
            # One error for the file, not one per line of a pretty-printed array.
            raise LineProblem(_first_line(stream, start), _ARRAY)
        else:
            records = _read_jsonl(lines)
        count = 0
        for count, record in enumerate(records, start=1):
            yield record
            if progress and count % PROGRESS_EVERY == 0:
                progress(count)
    except LineProblem as exc:
        raise ImportFileError([LineError(exc.line, None, exc.message)]) from None
    if not count:
        raise ImportFileError([LineError(1, None, "the file holds no records")])
    if progress:
        progress(count)


def _first_text(lines: Iterable[tuple[int, str]]) -> str | None:
    """The first line that is not blank, or None if there is none."""
    return next((text for _, text in lines if text.strip()), None)


def _first_line(stream, start: int) -> int:
    """The number of the first line that is not blank (the file has one)."""
    stream.seek(start)
    return next(number for number, text in text_lines(stream) if text.strip())


_ARRAY = (
    "this is a JSON array; the import reads JSON Lines (JSONL): one JSON object per "
    "line, with no enclosing [ ] and no commas between the objects"
)


def _is_csv(file_name: str, head: str) -> bool:
    lowered = file_name.lower()
    if lowered.endswith(".csv"):
        return True
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return False
    return not head.lstrip().startswith(("{", "["))


def _read_jsonl(lines: Iterable[tuple[int, str]]) -> Iterator[Record]:
    errors = []
    for number, text in lines:
        raw = text.removesuffix("\n").removesuffix("\r")
        if not raw.strip():
            continue
        try:
            value = clean_object(raw)
            if value is None:  # the checks below name what is wrong
                value = json_loads(raw)
                if not isinstance(value, dict):
                    raise FieldError(None, "expected a JSON object")
                record_check(value)
        except FieldError as exc:
            errors.append(LineError(number, exc.field, exc.message))
            if len(errors) >= MAX_ERRORS:
                break
        else:
            if not errors:
                yield Record(number, value)
    if errors:
        raise ImportFileError(errors)


def _csv_lines(lines: Iterable[tuple[int, str]]) -> Iterator[str]:
    """The text split as ``io.StringIO(text, newline="")`` splits it: on "\r\n",
    "\n" and a lone "\r", each piece with its line end."""
    for _, text in lines:
        yield from _CSV_LINE.findall(text)


_CSV_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


_QUOTES = (
    "a quote mark inside a value that is not quoted, or a quoted value left open "
    "(CSV writes a quote mark inside a value as two, and quotes the whole value)"
)


def _read_csv(
    lines: Iterable[tuple[int, str]],
    required: Iterable[str] | None,
    empty: Iterable[str] = (),
    known: Iterable[str] | None = None,
) -> Iterator[Record]:
    """Records of a CSV file, each at the line where it starts (a quoted value may
    span lines). Strict about quotes: a stray quote mark would otherwise be dropped,
    or swallow the rows up to the next one, without a word."""
    rows = csv.reader(_csv_lines(lines), strict=True)
    try:
        header = [name.strip() for name in next(rows, [])]
    except csv.Error:
        error = LineError(1, None, f"malformed CSV header: {_QUOTES}")
        raise ImportFileError([error]) from None
    # A required column's empty cell is kept: its field's check then says it is
    # empty, where a left-out one read as a column missing from the file.
    kept = {*empty, *(required or [])}
    # A column with no name (a trailing comma) is skipped while its cells are empty.
    nameless = [index for index, name in enumerate(header) if not name]
    errors = [
        LineError(1, name, "column named twice in the CSV header")
        for name in sorted({name for name in header if name and header.count(name) > 1})
    ]
    errors += [
        LineError(1, name, _missing_column(name, header))
        for name in (required or [])
        if name not in header
    ]
    if known is not None:
        known = list(known)
        errors += [
            LineError(1, name, f"unknown column; the columns are {', '.join(known)}")
            for name in header
            if name and name not in known
        ]
    if errors:
        raise ImportFileError(errors)
    end = rows.line_num
    while len(errors) < MAX_ERRORS:
        line = end + 1
        try:
            row = next(rows, None)
        except csv.Error:
            errors.append(LineError(line, None, f"malformed CSV: {_QUOTES}"))
            break  # where the next row starts is unknown
        if row is None:
            break
        end = rows.line_num
        if not any(row):  # a blank line, or a row of empty cells
            continue
        problem = _row_problem(row, header) or _nameless_value(row, nameless)
        if problem:
            errors.append(LineError(line, None, problem))
            continue
        values = {
            # A short row leaves its last columns out (as empty ones are).
            name: value
            for name, value in zip(header, row, strict=False)
            if name and (value != "" or name in kept)
        }
        try:
            record_check(values)
        except FieldError as exc:
            errors.append(LineError(line, exc.field, exc.message))
            continue
        if values and not errors:
            yield Record(line, values)
    if errors:
        raise ImportFileError(errors[:MAX_ERRORS])


_SEPARATORS = {"\t": "tabs", ";": "semicolons", "|": "vertical bars"}


def _missing_column(name: str, header: list[str]) -> str:
    """Why ``name`` is not in the header, where it can tell: a header written in
    capitals ("ID") or a file separated by tabs or semicolons read "column missing"
    for every column, though the user could see them all."""
    message = "column missing from the CSV header"
    written = [column for column in header if column.lower() == name]
    if written:
        return f"{message} (it has {written[0]!r}: column names are lower case)"
    if len(header) == 1:
        for separator, separators in _SEPARATORS.items():
            if separator in header[0]:
                return (
                    f"{message}: its values are separated by {separators}, not commas"
                )
    return message


def _nameless_value(row: list[str], nameless: list[int]) -> str:
    """A value under a column with no name, or "" (such a column is left out)."""
    for index in nameless:
        if index < len(row) and row[index].strip():
            return f"a value in column {index + 1}, which has no name in the CSV header"
    return ""


def _row_problem(row: list[str], header: list[str]) -> str:
    """What makes a CSV row unreadable, or "": files joined end to end leave a
    second header, and a byte order mark, where the second file began."""
    if len(row) > len(header):
        return "more values than columns"
    if row and row[0].startswith("\ufeff"):
        return "a byte order mark inside the file (were two files joined?)"
    if row and [value.strip() for value in row] == header:
        return "the header again (were two files joined?)"
    return ""


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
