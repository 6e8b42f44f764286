"""Quality checks that act: an annotator who crosses a threshold of an evaluation
with ``qc_pause`` on is paused, with a message saying why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Evaluation, PoolMember
from ..quality import AnnotatorQuality, annotator_quality, evaluation_quality
from ..quality_selectors import quality_inputs
from .membership import annotator_pause

PAUSE_INTRO = "Paused by quality control: "


@dataclass(frozen=True)
class QualityCheck:
    username: str
    quality: AnnotatorQuality
    paused: bool


def pause_message(quality: AnnotatorQuality) -> str:
    """What the paused annotator (and the admin) reads: every warning."""
    return PAUSE_INTRO + "; ".join(w.message for w in quality.warnings) + "."


def quality_check_annotator(
    *, evaluation: Evaluation, annotator, now: datetime | None = None
) -> QualityCheck:
    """Compute the annotator's figures (two queries) and, when the evaluation
    pauses on warnings and they have one, pause them unless they are paused already
    or not in the pool. Call it after an answer is committed: the pause is its own
    durable transaction (``membership.annotator_pause``)."""
    inputs = quality_inputs(evaluation=evaluation, annotator_id=annotator.pk)
    quality = annotator_quality(
        annotator_id=annotator.pk,
        ratings=inputs.ratings,
        golds=inputs.golds,
        repeats=inputs.repeats,
        thresholds=inputs.thresholds,
    )
    paused = bool(
        evaluation.qc_pause
        and quality.warnings
        and _pause_if_active(evaluation, annotator, quality, now)
    )
    return QualityCheck(annotator.get_username(), quality, paused)


def quality_check_evaluation(
    *, evaluation: Evaluation, now: datetime | None = None
) -> list[QualityCheck]:
    """``quality_check_annotator`` for every pool member, reading the answers once."""
    inputs = quality_inputs(evaluation=evaluation)
    figures = evaluation_quality(
        ratings=inputs.ratings,
        golds=inputs.golds,
        repeats=inputs.repeats,
        thresholds=inputs.thresholds,
    )
    checks = []
    members = PoolMember.objects.filter(evaluation=evaluation).select_related("user")
    for member in members.order_by("user__username"):
        quality = figures.get(member.user_id) or annotator_quality(
            annotator_id=member.user_id, ratings=[], thresholds=inputs.thresholds
        )
        paused = bool(
            evaluation.qc_pause
            and quality.warnings
            and member.paused_at is None
            and _pause_if_active(evaluation, member.user, quality, now)
        )
        checks.append(QualityCheck(member.user.get_username(), quality, paused))
    return checks


def _pause_if_active(
    evaluation: Evaluation, annotator, quality: AnnotatorQuality, now
) -> bool:
    active = PoolMember.objects.filter(
        evaluation=evaluation, user=annotator, paused_at__isnull=True
    ).exists()
    if not active:
        return False
    try:
        annotator_pause(
            evaluation=evaluation,
            annotator=annotator,
            message=pause_message(quality),
            now=now,
        )
    except PoolMember.DoesNotExist:  # left the pool meanwhile
        return False
    return True
