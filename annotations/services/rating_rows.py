"""The rows of a ratings file: each record checked in Python, in batches of
BATCH_ROWS, so that an import holds about one batch of the file in memory."""

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from evalsite.imports.fields import known_fields
from evalsite.imports.limits import (
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_SECONDS,
    MAX_USERNAME_CHARS,
)
from evalsite.imports.reader import (
    MAX_ERRORS,
    FieldError,
    ImportFileError,
    LineError,
    Record,
    optional_float,
    text_field,
)

from .. import scales

COLUMNS = ("prompt_id", "model_a", "model_b", "annotator", "choice")
# A judge's verdicts have no annotator (judges/services/verdict_imports.py).
VERDICT_COLUMNS = ("prompt_id", "model_a", "model_b", "choice")
# Every field a ratings file may have (a verdicts file's ``annotator`` is not read).
FIELDS = (
    *COLUMNS,
    "created_at",
    "seconds",
    "comment",
    "candidate",
    "pair_id",
    "safety_a",
    "safety_b",
)
# Records read, checked and staged at a time: an import's memory holds one batch.
BATCH_ROWS = 10_000
# No chat model was rated before this; a rating from the future is a wrong clock.
EARLIEST_RATING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RatingRow:
    prompt_id: str
    model_a: str
    model_b: str
    annotator: str
    choice: int
    created_at: datetime | None
    seconds: float | None
    comment: str
    candidate: str | None
    pair_id: str
    safety_a: str = ""
    safety_b: str = ""

    @property
    def pair(self) -> tuple[str, frozenset[str]]:
        return self.prompt_id, frozenset((self.model_a, self.model_b))


def rating_row(record: Record, scale: str, *, judged: bool = False) -> RatingRow:
    """A record's row. ``judged``: a judge's verdict, whose annotator is not read
    ("" in the row) and which holds no safety labels (a judgement has none)."""
    data = record.data
    known_fields(data, FIELDS)
    model_a = text_field(data, "model_a", max_length=MAX_NAME_CHARS)
    model_b = text_field(data, "model_b", max_length=MAX_NAME_CHARS)
    if model_a == model_b:
        raise FieldError("model_b", "model_a and model_b must differ")
    raw = data.get("choice")
    if raw is None:  # an empty one is "none given", as one of spaces
        raise FieldError("choice", "required field is missing")
    try:
        choice = scales.parse_choice(scale, raw)
    except ValueError as exc:
        raise FieldError("choice", str(exc)) from None
    created_at = _created_at(data)
    if judged:
        _no_safety(data)
    safety_a, safety_b = _safety(data, scale)
    candidate = data.get("candidate") or None
    if candidate is not None and candidate not in (model_a, model_b):
        raise FieldError("candidate", "must be model_a or model_b")
    return RatingRow(
        prompt_id=text_field(data, "prompt_id", max_length=MAX_NAME_CHARS),
        model_a=model_a,
        model_b=model_b,
        annotator="" if judged else _annotator(data),
        choice=choice,
        created_at=created_at,
        seconds=optional_float(data, "seconds", maximum=MAX_SECONDS),
        comment=_optional_text(data, "comment", MAX_COMMENT_CHARS),
        candidate=candidate,
        pair_id=_optional_text(data, "pair_id", MAX_NAME_CHARS).strip(),
        safety_a=safety_a,
        safety_b=safety_b,
    )


SAFETY_FIELDS = ("safety_a", "safety_b")


def _no_safety(data: dict) -> None:
    for name in SAFETY_FIELDS:
        if data.get(name) not in (None, ""):
            raise FieldError(name, "a judge's verdict holds no safety labels")


def _safety(data: dict, scale: str) -> tuple[str, str]:
    """The safety labels of Model A's and Model B's responses: both or neither, and
    only on the preference scale."""
    given = [name for name in SAFETY_FIELDS if data.get(name) not in (None, "")]
    if not given:
        return "", ""
    if scale != "preference":
        raise FieldError(given[0], "safety labels are only on the preference scale")
    if len(given) == 1:
        missing = next(name for name in SAFETY_FIELDS if name not in given)
        raise FieldError(
            missing, f"required with {given[0]}: label both responses (safe or unsafe)"
        )
    labels = []
    for name in SAFETY_FIELDS:
        try:
            labels.append(scales.parse_safety(data[name]))
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None
    return labels[0], labels[1]


class SafetyRule:
    """Every rating of an evaluation has safety labels, or none has: as the
    evaluation says (``asked``), or, for an evaluation the import creates, as the
    file's first rating does."""

    def __init__(self, asked: bool | None):
        self.asked = asked
        self.first_line: int | None = None

    def check(self, line: int, row: RatingRow) -> None:
        labelled = bool(row.safety_a)
        if self.asked is None:
            self.asked, self.first_line = labelled, line
        if labelled == self.asked:
            return
        if self.first_line is None:
            reason = (
                "the evaluation asks for safety labels: required"
                if self.asked
                else "the evaluation asks for no safety labels"
            )
        else:
            has = "has" if self.asked else "has no"
            reason = (
                f"line {self.first_line} {has} safety labels, and all ratings of an "
                "evaluation have them or none does"
            )
        raise FieldError("safety_a", reason)


def _optional_text(data: dict, name: str, max_length: int) -> str:
    if data.get(name) in (None, ""):
        return ""
    return text_field(data, name, allow_empty=True, max_length=max_length)


def _annotator(data: dict) -> str:
    name = text_field(data, "annotator", max_length=MAX_USERNAME_CHARS)
    problem = _username_problem(name)
    if problem:
        raise FieldError("annotator", problem)
    return name


@functools.lru_cache(maxsize=4096)
def _username_problem(name: str) -> str | None:
    """Why ``name`` is no valid username (None if it is); a file has few names."""
    try:
        get_user_model().username_validator(name)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def _created_at(data: dict) -> datetime | None:
    raw = data.get("created_at")
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise FieldError("created_at", "expected an ISO 8601 date and time")
    try:
        created_at = parse_datetime(raw)
    except ValueError as exc:  # well formed but impossible: 2023-02-30, month 13
        raise FieldError("created_at", f"{raw!r} is not a real date ({exc})") from None
    if created_at is None:
        raise FieldError("created_at", "expected an ISO 8601 date and time")
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at, UTC)
    latest = timezone.now() + timedelta(days=1)
    try:
        in_range = EARLIEST_RATING <= created_at <= latest
    except OverflowError:
        in_range = False
    if not in_range:
        raise FieldError("created_at", f"{raw!r} is not between 2000-01-01 and today")
    return created_at


Checked = list[tuple[Record, RatingRow]]


def checked_batches(
    records: Iterable[Record],
    scale: str,
    progress: Callable[[int], None] | None = None,
    *,
    safety_labels: bool | None = False,
    judged: bool = False,
) -> Iterator[Checked]:
    """Check the records BATCH_ROWS at a time, yielding each clean batch; raise
    ImportFileError naming every bad field (up to MAX_ERRORS) once all are read.
    ``progress`` is called after each batch with the number of records read.
    ``safety_labels``: whether every rating has them (the evaluation's setting), or
    None for a new evaluation, which takes the first rating's way (SafetyRule).
    ``judged``: a judge's verdicts (``rating_row``), under no safety rule."""
    records = iter(records)
    safety = SafetyRule(safety_labels)
    errors: list[LineError] = []
    read = 0
    while batch := list(itertools.islice(records, BATCH_ROWS)):
        read += len(batch)
        checked = []
        for record in batch:
            if len(errors) >= MAX_ERRORS:
                break  # the rest is still read: the reader's errors come first
            try:
                row = rating_row(record, scale, judged=judged)
                if not judged:
                    safety.check(record.line, row)
                checked.append((record, row))
            except FieldError as exc:
                errors.append(LineError(record.line, exc.field, exc.message))
        if not errors:
            yield checked
        if progress:
            progress(read)
    if errors:
        raise ImportFileError(errors)
