"""Reads for the home's table of evaluations: where each one stands, for all of them
in a fixed number of queries (never one per evaluation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, Max, Q
from django.utils import timezone

from generations.models import Generation, Prompt

from .models import Comparison, Evaluation, PoolMember, Rating

ACTIVE_HOURS = 24


@dataclass(frozen=True)
class Stage:
    """One evaluation's figures: done generations of its chat models on its prompt
    set (out of prompts x models), pairs, ratings (of the pairs no flag review
    excluded, out of those pairs x N), ratings given here since midnight, annotators
    who rated here in the last 24 hours (imports are neither), and the pool's size."""

    generations_ready: int
    generations_needed: int
    pairs: int
    ratings: int
    ratings_needed: int
    ratings_today: int
    active_annotators: int
    pool: int
    # Single response: the mean quality (1 to 7) per chat model, best first.
    means: tuple[tuple[str, float, int], ...] = ()
    # Prompts added to the set since the pairs were last built (Build pairs adds them).
    newer_prompts: bool = False


def evaluations_listed() -> list[Evaluation]:
    """Every evaluation, by name, with what its row shows."""
    return list(
        Evaluation.objects.select_related("prompt_set", "candidate", "baseline")
        .prefetch_related("chat_models")
        .order_by("name")
    )


def _by_evaluation(queryset, key: str, **figures) -> dict[int, dict]:
    rows = queryset.values(key).annotate(**figures).order_by()
    return {row.pop(key): row for row in rows}


def evaluation_stages(
    evaluations: Sequence[Evaluation], *, now: datetime | None = None
) -> dict[int, Stage]:
    """The ``Stage`` of each evaluation (loaded with its chat models prefetched, as
    ``evaluations_listed`` does), in six queries whatever their number."""
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0,
                                               microsecond=0)  # fmt: skip
    ids = [item.pk for item in evaluations]
    prompts = {
        prompt_set: (n, newest)
        for prompt_set, n, newest in Prompt.objects.filter(
            prompt_set__in={e.prompt_set_id for e in evaluations}
        )
        .values_list("prompt_set")
        .annotate(n=Count("id"), newest=Max("id"))
        .order_by()
    }
    ready = _by_evaluation(
        # Each done generation of an evaluation's chat model on its prompt set.
        Generation.objects.filter(
            status=Generation.Status.DONE,
            chat_model__evaluations__in=ids,
            prompt__prompt_set=F("chat_model__evaluations__prompt_set"),
        ),
        "chat_model__evaluations",
        n=Count("id"),
    )
    pairs = _by_evaluation(
        Comparison.objects.filter(evaluation__in=ids),
        "evaluation",
        n=Count("id"),
        # A pair a flag review excluded is closed to rating: it needs nothing more.
        kept=Count("id", filter=Q(excluded=False)),
    )
    here = Q(source=Rating.Source.NATIVE)
    ratings = _by_evaluation(
        Rating.objects.filter(comparison__evaluation__in=ids),
        "comparison__evaluation",
        n=Count("id", filter=Q(comparison__excluded=False)),
        # Work done here: an import's ratings (stamped when imported) are not today's.
        today=Count("id", filter=Q(created_at__gte=midnight) & here),
        active=Count(
            "annotator",
            distinct=True,
            filter=Q(created_at__gte=now - timedelta(hours=ACTIVE_HOURS)) & here,
        ),
    )
    pools = _by_evaluation(
        PoolMember.objects.filter(evaluation__in=ids), "evaluation", n=Count("id")
    )
    means: dict[int, list[tuple[str, float, int]]] = {}
    single = [e.pk for e in evaluations if e.kind == Evaluation.Kind.SINGLE]
    for row in (
        Rating.objects.filter(comparison__evaluation__in=single)
        .values("comparison__evaluation", "comparison__candidate_generation__chat_model__name")
        .annotate(mean=Avg("score"), n=Count("id"))
        .order_by("-mean")
    ):  # fmt: skip
        means.setdefault(row["comparison__evaluation"], []).append(
            (row["comparison__candidate_generation__chat_model__name"], row["mean"],
             row["n"])
        )  # fmt: skip
    stages = {}
    for item in evaluations:
        n_pairs = pairs.get(item.pk, {}).get("n", 0)
        kept = pairs.get(item.pk, {}).get("kept", 0)
        rated = ratings.get(item.pk, {})
        n_prompts, newest = prompts.get(item.prompt_set_id, (0, 0))
        stages[item.pk] = Stage(
            generations_ready=ready.get(item.pk, {}).get("n", 0),
            generations_needed=n_prompts * len(item.chat_models.all()),
            pairs=n_pairs,
            ratings=rated.get("n", 0),
            ratings_needed=kept * item.annotators_per_pair,
            ratings_today=rated.get("today", 0),
            active_annotators=rated.get("active", 0),
            pool=pools.get(item.pk, {}).get("n", 0),
            means=tuple(means.get(item.pk, ())),
            newer_prompts=newest > item.built_through_prompt,
        )
    return stages
