"""Reads for the flag review queue: flagged pairs, their flags and their reviews.

A flag is an assignment in state ``flagged`` (its ``ended_at`` is when it was raised,
its ``comment`` the annotator's note). A flag is reviewed once a ``FlagReview`` of its
pair is newer than it; a pair waits in the queue while it has a flag not reviewed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from evalsite.rendering import render_markdown, render_stored

from .models import Assignment, Comparison, Evaluation, FlagReview, Rating

FLAGGED = Assignment.State.FLAGGED


@dataclass(frozen=True)
class Flag:
    annotator: str
    comment: str
    flagged_at: datetime
    reviewed: bool
    candidate_shown_as: str  # "A" or "B": the side the annotator saw it on


@dataclass(frozen=True)
class Response:
    label: str  # "Candidate" or "Baseline" (model x and y in a tournament)
    chat_model: str
    text: str
    html: str


@dataclass(frozen=True)
class FlaggedPair:
    """One flagged pair as an admin reviews it; reviews newest first."""

    comparison_id: int
    evaluation_id: int
    evaluation_name: str
    prompt_external_id: str
    turns: tuple[dict, ...]  # role, content, html
    responses: tuple[Response, ...]
    flags: tuple[Flag, ...]
    reviews: tuple[FlagReview, ...]
    ratings: int
    per_pair: int
    excluded: bool

    @property
    def pending(self) -> int:
        return sum(not flag.reviewed for flag in self.flags)


def _last_flag():
    return Subquery(
        Assignment.objects.filter(comparison=OuterRef("pk"), state=FLAGGED)
        .order_by("-ended_at")
        .values("ended_at")[:1]
    )


def _last_review():
    return Subquery(
        FlagReview.objects.filter(comparison=OuterRef("pk"))
        .order_by("-reviewed_at")
        .values("reviewed_at")[:1]
    )


def pending_pairs(*, evaluation_id: int | None = None) -> QuerySet[Comparison]:
    """Pairs with a flag newer than their latest review (or never reviewed), the
    longest waiting first; of one evaluation, or of all."""
    # From the flags: few pairs have one, so the subqueries below run for those only.
    flagged = Assignment.objects.filter(state=FLAGGED).values("comparison_id")
    pairs = Comparison.objects.filter(pk__in=flagged)
    if evaluation_id is not None:
        pairs = pairs.filter(evaluation_id=evaluation_id)
    return (
        pairs.annotate(last_flag=_last_flag(), last_review=_last_review())
        .filter(Q(last_review__isnull=True) | Q(last_flag__gt=F("last_review")))
        .order_by("last_flag", "id")
    )


def is_flagged(*, comparison_id: int) -> bool:
    """Whether any annotator ever flagged the pair."""
    return Assignment.objects.filter(
        comparison_id=comparison_id, state=FLAGGED
    ).exists()


def flagged_pairs(comparison_ids: Sequence[int]) -> list[FlaggedPair]:
    """The pairs as ``FlaggedPair`` values, in the order given: five queries."""
    comparisons = Comparison.objects.select_related(
        "evaluation",
        "prompt",
        "candidate_generation__chat_model",
        "baseline_generation__chat_model",
    ).in_bulk(list(comparison_ids))
    flags: dict[int, list[Assignment]] = {}
    for flag in (
        Assignment.objects.filter(comparison_id__in=comparison_ids, state=FLAGGED)
        .select_related("annotator")
        .order_by("ended_at", "id")
    ):
        flags.setdefault(flag.comparison_id, []).append(flag)
    reviews: dict[int, list[FlagReview]] = {}
    for review in FlagReview.objects.filter(
        comparison_id__in=comparison_ids
    ).select_related("reviewed_by"):
        reviews.setdefault(review.comparison_id, []).append(review)
    counts = _rating_counts(comparison_ids)
    return [
        _flagged_pair(
            comparisons[pk], flags.get(pk, []), reviews.get(pk, []), counts.get(pk, 0)
        )
        for pk in comparison_ids
        if pk in comparisons
    ]


def _rating_counts(comparison_ids: Sequence[int]) -> dict[int, int]:
    return dict(
        Rating.objects.filter(comparison_id__in=comparison_ids)
        .order_by()
        .values_list("comparison_id")
        .annotate(n=Count("id"))
    )


def _flagged_pair(
    comparison: Comparison,
    flags: list[Assignment],
    reviews: list[FlagReview],
    ratings: int,
) -> FlaggedPair:
    last_review = reviews[0].reviewed_at if reviews else None
    tournament = comparison.evaluation.kind == Evaluation.Kind.TOURNAMENT
    labels = ("Model x", "Model y") if tournament else ("Candidate", "Baseline")
    sides = (comparison.candidate_generation, comparison.baseline_generation)
    return FlaggedPair(
        comparison_id=comparison.pk,
        evaluation_id=comparison.evaluation_id,
        evaluation_name=comparison.evaluation.name,
        prompt_external_id=comparison.prompt.external_id,
        turns=tuple(
            {
                "role": turn.get("role", ""),
                "content": turn.get("content", ""),
                "html": render_markdown(turn.get("content", "")),
            }
            for turn in comparison.prompt.turns
        ),
        responses=tuple(
            Response(
                label=label,
                chat_model=generation.chat_model.name,
                text=generation.text,
                html=render_stored(
                    generation.text, generation.html, generation.html_version
                ),
            )
            for label, generation in zip(labels, sides, strict=True)
            if generation is not None  # a single-response pair has no baseline
        ),
        flags=tuple(
            Flag(
                annotator=flag.annotator.username,
                comment=flag.comment,
                flagged_at=flag.ended_at,
                reviewed=last_review is not None and flag.ended_at <= last_review,
                candidate_shown_as="A" if flag.candidate_on_left else "B",
            )
            for flag in flags
        ),
        reviews=tuple(reviews),
        ratings=ratings,
        per_pair=comparison.evaluation.annotators_per_pair,
        excluded=comparison.excluded,
    )
