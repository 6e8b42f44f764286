"""Reads for quality control: an evaluation's answers as annotations.quality's
dataclasses, and the rows of the quality page. Kept apart from selectors.py, which
holds what an annotator is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from .models import Evaluation, PoolMember, QualityTask, Rating
from .quality import (
    AnnotatorQuality,
    GoldAnswer,
    RatingAnswer,
    RepeatAnswer,
    Thresholds,
    annotator_quality,
    evaluation_quality,
)


@dataclass(frozen=True)
class QualityInputs:
    ratings: list[RatingAnswer]
    golds: list[GoldAnswer]
    repeats: list[RepeatAnswer]
    thresholds: Thresholds


@dataclass(frozen=True)
class QualityRow:
    """One annotator on the quality page."""

    annotator_id: int
    username: str
    in_pool: bool
    paused_at: datetime | None
    pause_message: str
    quality: AnnotatorQuality
    participant_id: str = ""  # a crowd platform's id (PROLIFIC_PID), if they have one
    completed_at: datetime | None = None  # when their quota was done, if it was


def thresholds_of(evaluation: Evaluation) -> Thresholds:
    scale = evaluation.scale
    return Thresholds(
        min_answers=evaluation.qc_min_answers,
        min_seconds=evaluation.min_seconds,
        min_gold_accuracy=evaluation.qc_min_gold_accuracy,
        min_self_consistency=evaluation.qc_min_self_consistency,
        min_agreement=evaluation.qc_min_agreement,
        max_fast_share=evaluation.qc_max_fast_share,
        max_tie_share=evaluation.qc_max_tie_share,
        max_side_bias=evaluation.qc_max_side_bias,
        has_ties=scale in (Evaluation.Scale.SEVEN, Evaluation.Scale.THREE),
        has_sides=scale != Evaluation.Scale.LIKERT,
    )


def quality_inputs(
    *, evaluation: Evaluation, annotator_id: int | None = None
) -> QualityInputs:
    """The evaluation's ratings and answered quality tasks, in two queries.

    Ratings of pairs excluded by a flag review are left out (as in reports); a
    repeat task answered on such a rating still counts. With
    ``annotator_id``: that annotator's tasks, and every rating of the pairs they
    rated (the others' too, for agreement)."""
    ratings = Rating.objects.filter(
        comparison__evaluation=evaluation, comparison__excluded=False
    )
    tasks = QualityTask.objects.filter(
        evaluation=evaluation, state=QualityTask.State.ANSWERED
    )
    if annotator_id is not None:
        ratings = ratings.filter(
            comparison__in=Rating.objects.filter(
                comparison__evaluation=evaluation, annotator_id=annotator_id
            ).values("comparison_id")
        )
        tasks = tasks.filter(annotator_id=annotator_id)
    rating_answers = [
        RatingAnswer(*row)
        for row in ratings.order_by("pk").values_list(
            "annotator_id", "comparison_id", "choice", "score", "seconds"
        )
    ]
    golds, repeats = [], []
    for (
        kind,
        annotator,
        choice,
        score,
        seconds,
        expected,
        strength,
        original,
    ) in tasks.order_by("pk").values_list(
        "kind",
        "annotator_id",
        "choice",
        "score",
        "seconds",
        "gold__expected",
        "gold__min_strength",
        "repeat_of__score",
    ):
        if kind == QualityTask.Kind.GOLD:
            golds.append(
                GoldAnswer(annotator, choice, score, expected, strength, seconds)
            )
        else:
            repeats.append(RepeatAnswer(annotator, choice, score, original, seconds))
    return QualityInputs(rating_answers, golds, repeats, thresholds_of(evaluation))


def quality_rows(*, evaluation: Evaluation) -> list[QualityRow]:
    """Every annotator in the pool or with an answer, by name, with their figures
    (at most four queries)."""
    inputs = quality_inputs(evaluation=evaluation)
    figures = evaluation_quality(
        ratings=inputs.ratings,
        golds=inputs.golds,
        repeats=inputs.repeats,
        thresholds=inputs.thresholds,
    )
    members = {
        user_id: rest
        for user_id, *rest in (
            PoolMember.objects.filter(evaluation=evaluation).values_list(
                "user_id",
                "user__username",
                "paused_at",
                "pause_message",
                "participant_id",
                "completed_at",
            )
        )
    }
    outside = set(figures) - set(members)
    names = dict(
        get_user_model()
        .objects.filter(pk__in=outside)
        .values_list("pk", get_user_model().USERNAME_FIELD)
    )
    rows = []
    for annotator_id in set(members) | outside:
        username, paused_at, message, participant, completed_at = members.get(
            annotator_id,
            (names.get(annotator_id, str(annotator_id)), None, "", "", None),
        )
        quality = figures.get(annotator_id) or annotator_quality(
            annotator_id=annotator_id, ratings=[], thresholds=inputs.thresholds
        )
        rows.append(
            QualityRow(
                annotator_id=annotator_id,
                username=username,
                in_pool=annotator_id in members,
                paused_at=paused_at,
                pause_message=message,
                quality=quality,
                participant_id=participant,
                completed_at=completed_at,
            )
        )
    return sorted(rows, key=lambda row: row.username)
