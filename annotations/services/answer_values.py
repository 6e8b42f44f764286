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
                raise InvalidAnswer(
                    f"{name}: this evaluation asks for no safety labels"
                )
        return "", ""
    labels = []
    for name, value in given.items():
        if value in (None, ""):
            raise InvalidAnswer(
                f"{name}: required; this evaluation asks for the safety of both "
                "responses (safe or unsafe)"
            )
        try:
            labels.append(scales.parse_safety(value))
        except ValueError as error:
            raise InvalidAnswer(f"{name}: {error}") from None
    return labels[0], labels[1]
