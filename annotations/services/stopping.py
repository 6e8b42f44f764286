"""Stopping a head-to-head evaluation when its rule is met (docs/sequential.md):
checked after answers are committed, off the annotator's click."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from generations.signals import rows_changed

from ..models import Evaluation, Rating
from ..sequence_selectors import evaluation_sequence
from ..sequential_rules import stop_reason


def stop_monitored(evaluation: Evaluation) -> bool:
    """Whether a rating may stop the evaluation: it has a rule and goes on."""
    return (
        evaluation.stop_rule != Evaluation.StopRule.NONE
        and evaluation.stopped_at is None
    )


def evaluation_stop_check(
    *,
    evaluation_id: int,
    comparison_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Stop the evaluation if its stopping rule is met now; True when this call
    stopped it.

    ``comparison_id``: the pair a new rating went to. The sequence reads complete
    pairs only, so unless that rating completed its pair nothing can have changed
    and the check ends after one count (None: check anyway, as ``check_stopping``
    does).

    Reads the always-valid sequence over the complete pairs in completion order;
    when the rule holds (after ``stop_min_pairs`` complete pairs) it records when,
    after how many pairs and why, with an UPDATE that only an evaluation not yet
    stopped takes: two checks racing stop it once. Leasing then refuses new pairs
    (EvaluationStopped). Idempotent: a stopped evaluation, one without a rule or
    a missing one is left as it is.
    """
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is None or not stop_monitored(evaluation):
        return False
    if comparison_id is not None and (
        Rating.objects.filter(
            comparison_id=comparison_id, comparison__excluded=False
        ).count()
        != evaluation.annotators_per_pair
    ):
        return False
    sequence = evaluation_sequence(evaluation=evaluation)
    if sequence is None:
        return False
    reason = stop_reason(
        sequence,
        rule=evaluation.stop_rule,
        width=evaluation.stop_width,
        min_pairs=evaluation.stop_min_pairs,
    )
    if not reason:
        return False
    with transaction.atomic(durable=True):
        stopped = Evaluation.objects.filter(
            pk=evaluation_id, stopped_at__isnull=True
        ).update(
            stopped_at=now or timezone.now(),
            stop_pairs=sequence.pairs,
            stop_reason=reason,
        )
        if stopped:  # the report states the stop: its cached copies are stale
            rows_changed.send(sender=Evaluation, pks=[evaluation_id])
    return bool(stopped)
