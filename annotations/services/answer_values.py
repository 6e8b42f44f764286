"""Checks of the values in an annotator's rating beyond its choice: the safety labels
the preference scale may ask for."""

from __future__ import annotations

from .. import scales
from ..models import Evaluation
from .assignment_errors import InvalidAnswer

SAFETY_FIELDS = ("safety_a", "safety_b")


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
