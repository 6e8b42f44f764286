"""The one seam from the ORM to pandas: ratings, comparisons and prompts as frames."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from django.db.models import Count, Max

from annotations.models import Comparison, Evaluation, Rating
from generations.models import Generation, Prompt

RATING_FIELDS = {
    "rating_id": "id",
    "comparison_id": "comparison_id",
    "annotator": "annotator__username",
    "scale": "scale",
    "choice": "choice",
    "candidate_on_left": "candidate_on_left",
    "score": "score",
    "seconds": "seconds",
    "source": "source",
    "created_at": "created_at",
}
COMPARISON_FIELDS = {
    "comparison_id": "id",
    "evaluation_id": "evaluation_id",
    "comparison_external_id": "external_id",
    "prompt_id": "prompt_id",
    "prompt_external_id": "prompt__external_id",
    "categories": "prompt__categories",
    "num_turns": "prompt__num_turns",
    "prompt_words": "prompt__word_count",
    "collection_method": "prompt__collection_method",
    "candidate": "candidate_generation__chat_model__name",
    "baseline": "baseline_generation__chat_model__name",
    "candidate_text": "candidate_generation__text",
    "baseline_text": "baseline_generation__text",
}
RATINGS_COLUMNS = [
    "rating_id", "evaluation_id", "comparison_id", "comparison_external_id",
    "prompt_id", "prompt_external_id", "candidate", "baseline", "annotator", "scale",
    "choice", "candidate_on_left", "score", "seconds", "source", "created_at",
    "categories", "num_turns", "prompt_words", "word_count", "collection_method",
]  # fmt: skip


def _frame(queryset, fields: dict[str, str]) -> pd.DataFrame:
    rows = list(queryset.values_list(*fields.values()))
    return pd.DataFrame.from_records(rows, columns=list(fields))


def comparisons_frame(evaluation_ids: Sequence[int]) -> pd.DataFrame:
    """One row per comparison with its prompt's attributes, in one query.

    ``word_count`` is the words of the prompt (all turns) plus both responses.
    """
    queryset = Comparison.objects.filter(evaluation_id__in=list(evaluation_ids))
    frame = _frame(queryset.order_by(), COMPARISON_FIELDS)
    words = [
        len(a.split()) + len(b.split())
        for a, b in zip(frame["candidate_text"], frame["baseline_text"], strict=True)
    ]
    frame["word_count"] = frame["prompt_words"] + pd.Series(words, dtype="int64")
    frame["collection_method"] = frame["collection_method"].fillna("")
    return frame.drop(columns=["candidate_text", "baseline_text"])


def ratings_frame(evaluation_ids: Sequence[int]) -> pd.DataFrame:
    """Ratings in long form, one row per rating: two queries (ratings, comparisons).

    Columns: ``rating_id``, ``evaluation_id``, ``comparison_id``,
    ``comparison_external_id``, ``prompt_id``, ``prompt_external_id``, ``candidate``
    and ``baseline`` (chat model names; model x and y in a tournament),
    ``annotator`` (username), ``scale`` ("seven" or "three"), ``choice`` (as shown:
    positive prefers A, the left response), ``candidate_on_left``, ``score`` (the
    candidate's point of view: positive prefers the candidate), ``seconds`` (may be
    missing), ``source``, ``created_at`` (UTC), ``categories`` (a list),
    ``num_turns``, ``prompt_words``, ``word_count`` (prompt plus both responses) and
    ``collection_method`` ("" when none). Sorted by rating id.
    """
    ratings = _frame(
        Rating.objects.filter(
            comparison__evaluation_id__in=list(evaluation_ids)
        ).order_by("id"),
        RATING_FIELDS,
    )
    comparisons = comparisons_frame(evaluation_ids)
    frame = ratings.merge(comparisons, on="comparison_id", how="inner", sort=False)
    frame["seconds"] = frame["seconds"].astype("float64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame[RATINGS_COLUMNS]


def ratings_fingerprint(evaluation_id: int) -> str:
    """A cheap key that changes whenever a rating of the evaluation comes or goes."""
    summary = Rating.objects.filter(comparison__evaluation_id=evaluation_id).aggregate(
        n=Count("id"), last=Max("id"), at=Max("created_at")
    )
    at = summary["at"].isoformat() if summary["at"] else "-"
    return f"{summary['n']}-{summary['last']}-{at}"


def evaluation_meta(evaluation: Evaluation) -> dict:
    """The evaluation's descriptive fields as plain data for a report."""
    return {
        "id": evaluation.pk,
        "name": evaluation.name,
        "kind": evaluation.kind,
        "scale": evaluation.scale,
        "prompt_set": evaluation.prompt_set.name,
        "candidate": evaluation.candidate.name if evaluation.candidate else None,
        "baseline": evaluation.baseline.name if evaluation.baseline else None,
        "annotators_per_pair": evaluation.annotators_per_pair,
        "source": evaluation.source,
        "left_out": evaluation.left_out,
    }


def evaluations_for_reports():
    return Evaluation.objects.select_related(
        "prompt_set", "candidate", "baseline"
    ).order_by("name")


def prompt_explorer(prompt_id: int) -> dict:
    """A prompt, every chat model's response to it, and the ratings of each pair."""
    prompt = Prompt.objects.select_related("prompt_set").get(pk=prompt_id)
    generations = list(
        Generation.objects.filter(prompt_id=prompt_id)
        .select_related("chat_model")
        .order_by("chat_model__name")
    )
    comparisons = list(
        Comparison.objects.filter(prompt_id=prompt_id)
        .select_related(
            "evaluation",
            "candidate_generation__chat_model",
            "baseline_generation__chat_model",
        )
        .order_by("evaluation__name", "id")
    )
    ratings = (
        Rating.objects.filter(comparison__prompt_id=prompt_id)
        .select_related("annotator")
        .order_by("comparison_id", "id")
    )
    by_comparison: dict[int, list[Rating]] = {}
    for rating in ratings:
        by_comparison.setdefault(rating.comparison_id, []).append(rating)
    for comparison in comparisons:
        comparison.rating_list = by_comparison.get(comparison.pk, [])
    return {"prompt": prompt, "generations": generations, "comparisons": comparisons}
