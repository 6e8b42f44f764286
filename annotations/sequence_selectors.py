"""Reads for sequential monitoring: a head-to-head evaluation's pair outcomes in
completion order and its always-valid intervals now (docs/sequential.md)."""

from __future__ import annotations

from .models import Evaluation, Rating
from .sequential_rules import SequenceNow, completion_ordered, sequence_now


def completed_outcomes(*, evaluation: Evaluation) -> list[int]:
    """Outcomes (1 win, 0 tie, -1 loss, by the reports' default rule) of the
    evaluation's complete pairs, in the order they completed; pairs a flag review
    excluded are left out, as in reports. One query."""
    rows = Rating.objects.filter(
        comparison__evaluation_id=evaluation.pk, comparison__excluded=False
    ).values_list("comparison_id", "id", "score")
    return completion_ordered(list(rows), per_pair=evaluation.annotators_per_pair)


def evaluation_sequence(*, evaluation: Evaluation) -> SequenceNow | None:
    """The sequence's intervals now; None for a tournament or single-response
    evaluation (the sequence is for head-to-head win rates)."""
    if evaluation.kind != Evaluation.Kind.HEAD_TO_HEAD:
        return None
    return sequence_now(completed_outcomes(evaluation=evaluation))
