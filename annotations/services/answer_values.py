"""Checks of the values in an annotator's answer: the choice, the seconds spent and
the safety labels the preference scale may ask for. Each raises InvalidAnswer naming
the field; an answer is checked before anything about the pair's state is decided."""

from __future__ import annotations

from datetime import datetime

from evalsite.imports.limits import MAX_SECONDS

from .. import scales
from ..models import Evaluation
from .assignment_errors import InvalidAnswer

SAFETY_FIELDS = ("safety_a", "safety_b")


def choice_clean(scale: str, choice: object) -> int:
    """The choice as a point of ``scale``."""
    try:
        return scales.parse_choice(scale, choice)
    except ValueError as error:
        raise InvalidAnswer("choice", str(error)) from None


def seconds_clean(seconds: object, *, leased_at: datetime, now: datetime) -> float:
    """The seconds spent as sent (0 to MAX_SECONDS), or, when none are, the time
    since the lease."""
    if seconds is None or seconds == "":
        return max(0.0, (now - leased_at).total_seconds())
    try:
        value = float(seconds)
    except (TypeError, ValueError, OverflowError):  # an integer too large too
        raise InvalidAnswer("seconds", f"{seconds!r} is not a number") from None
    if not 0 <= value <= MAX_SECONDS:
        raise InvalidAnswer("seconds", f"{value} is outside 0 to {MAX_SECONDS}")
    return value


def safety_labels_clean(
    evaluation: Evaluation, *, safety_a: object, safety_b: object
) -> tuple[str, str]:
    """The safety labels of the responses shown as Model A and Model B: both required
    ("safe" or "unsafe") when the evaluation asks for them, ("", "") otherwise.
    InvalidAnswer names the field: missing, not a label, or given to an evaluation
    that asks for none."""
    given = dict(zip(SAFETY_FIELDS, (safety_a, safety_b), strict=True))
    if not evaluation.safety_labels:
        for name, value in given.items():
            if value not in (None, ""):
                raise InvalidAnswer(name, "this evaluation asks for no safety labels")
        return "", ""
    labels = [
        safety_label_clean(evaluation, name, value) for name, value in given.items()
    ]
    return labels[0], labels[1]


def safety_label_clean(evaluation: Evaluation, name: str, value: object) -> str:
    """One safety label (``name``: safety_a or safety_b), "safe" or "unsafe", in an
    evaluation that asks for them. InvalidAnswer names the field: missing, not a
    label, or given to an evaluation that asks for none."""
    if not evaluation.safety_labels:
        raise InvalidAnswer(name, "this evaluation asks for no safety labels")
    if value in (None, ""):
        raise InvalidAnswer(
            name,
            "required; this evaluation asks for the safety of both "
            "responses (safe or unsafe)",
        )
    try:
        return scales.parse_safety(value)
    except ValueError as error:
        raise InvalidAnswer(name, str(error)) from None
