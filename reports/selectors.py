"""The one seam from the ORM to pandas: ratings, comparisons and prompts as frames."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Count, IntegerField, Max, Sum
from django.db.models.functions import Cast

from annotations.models import Comparison, Evaluation, FlagReview, Rating
from generations.models import Generation, Prompt
from judges.models import Judgement

from .values import EvaluationSummary, ExcludedPair, FlagReviews, Stopping

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
    "comment": "comment",
    "safety_a": "safety_a",
    "safety_b": "safety_b",
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
}
# What a report reads: no times, labels or external ids (each costs at scale).
REPORT_RATING_FIELDS = {
    k: v
    for k, v in RATING_FIELDS.items()
    if k not in ("created_at", "scale", "source", "comment", "safety_a", "safety_b")
}
REPORT_COMPARISON_FIELDS = {
    k: v
    for k, v in COMPARISON_FIELDS.items()
    if k not in ("comparison_external_id", "prompt_external_id")
}
# Words of the responses, stored with their text (``generations.words``).
RESPONSE_WORD_FIELDS = {
    "candidate_words": "candidate_generation__word_count",
    "baseline_words": "baseline_generation__word_count",
}
RATINGS_COLUMNS = [
    "rating_id", "evaluation_id", "comparison_id", "comparison_external_id",
    "prompt_id", "prompt_external_id", "candidate", "baseline", "annotator", "scale",
    "choice", "candidate_on_left", "score", "seconds", "source", "comment",
    "safety_a", "safety_b", "created_at",
    "categories", "num_turns", "prompt_words", "word_count", "collection_method",
]  # fmt: skip


def reported_ratings():
    """Ratings that enter reports: those of pairs no flag review excluded.

    Every report figure, table and export reads ratings through this (or through
    ``ratings_frame``, ``comparisons_frame`` and ``judgements_frame``, which leave
    the same pairs out)."""
    return Rating.objects.filter(comparison__excluded=False)


def report_ratings(evaluation_ids: Sequence[int]):
    """The ratings query of ``ratings_frame``: the evaluations' reported ratings,
    by id."""
    return (
        reported_ratings()
        .filter(comparison__evaluation_id__in=list(evaluation_ids))
        .order_by("id")
    )


def report_comparisons(evaluation_ids: Sequence[int]):
    """The comparisons query of ``comparisons_frame``: the evaluations' pairs that
    no flag review excluded."""
    return Comparison.objects.filter(
        evaluation_id__in=list(evaluation_ids), excluded=False
    ).order_by()


FETCH_ROWS = 2000  # rows converted at a time (see ``_columns``)


def _columns(queryset, lookups: list[str]) -> list[list]:
    """Run the queryset's SQL once and fetch its values column by column.

    Django's per-row converters are skipped (they cost more than the query on
    large reports); callers decode what needs decoding, column by column. Rows
    are fetched a few thousand at a time and their values moved into one list per
    column, so each row's tuple is freed at once: tens of thousands of tuples
    alive together would make the garbage collector walk the whole process again
    and again, while plain numbers and strings are never tracked by it.
    """
    sql, params = queryset.values_list(*lookups).query.sql_with_params()
    columns: list[list] = [[] for _ in lookups]
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                column.extend(values)
    return columns


def frame_of(queryset, fields: dict[str, str]) -> pd.DataFrame:
    """A frame of the queryset's values, ``fields`` mapping each column to its lookup;
    one query, no per-row converters (decode times and JSON yourself). Column by
    column: numpy arrays where the values allow, pandas' inference else.

    About twice as fast as ``DataFrame.from_records`` on report-sized results.
    """
    data = {}
    for column, values in zip(
        fields, _columns(queryset, list(fields.values())), strict=True
    ):
        first = values[0] if values else None
        if isinstance(first, int | float | bool) and None not in values:
            data[column] = np.array(values)
        elif isinstance(first, list | dict | str):
            # Plain object columns: converting every label to Arrow strings costs
            # more than the report's statistics spend on them.
            data[column] = pd.Series(values, dtype=object)
        else:
            data[column] = pd.Series(values)
    return pd.DataFrame(data)


def _json_column(values: pd.Series) -> pd.Series:
    """JSON columns arrive as text from SQLite (and from psycopg as Django sets it)."""
    if not len(values) or not isinstance(values.iloc[0], str | bytes):
        return values
    # Few distinct category lists repeat over many prompts: decode each once.
    decoded = {text: json.loads(text) for text in values.unique()}
    return values.map(decoded)


def comparisons_frame(
    evaluation_ids: Sequence[int], *, full: bool = True
) -> pd.DataFrame:
    """One row per comparison with its prompt's attributes, in one query; pairs a
    flag review excluded are left out.

    ``word_count`` is the words of the prompt (all turns) plus both responses, as
    stored. ``full=False`` leaves out the external ids.
    """
    fields = {**(COMPARISON_FIELDS if full else REPORT_COMPARISON_FIELDS),
              **RESPONSE_WORD_FIELDS}  # fmt: skip
    frame = frame_of(report_comparisons(evaluation_ids), fields)
    # A single-response comparison has no baseline: no words of one.
    baseline_words = pd.to_numeric(frame["baseline_words"]).fillna(0).astype(int)
    frame["word_count"] = (
        frame["prompt_words"] + frame["candidate_words"] + baseline_words
    )
    frame["collection_method"] = frame["collection_method"].fillna("")
    frame["categories"] = _json_column(frame["categories"])
    return frame.drop(columns=list(RESPONSE_WORD_FIELDS))


def ratings_frame(evaluation_ids: Sequence[int], *, full: bool = True) -> pd.DataFrame:
    """Ratings in long form, one row per rating: two queries (ratings, comparisons).

    Columns: ``rating_id``, ``evaluation_id``, ``comparison_id``,
    ``comparison_external_id``, ``prompt_id``, ``prompt_external_id``, ``candidate``
    and ``baseline`` (chat model names; model x and y in a tournament),
    ``annotator`` (username), ``scale`` ("seven", "three" or "preference"),
    ``choice`` (as shown: positive prefers A, the left response),
    ``candidate_on_left``, ``score`` (the candidate's point of view: positive
    prefers the candidate), ``seconds`` (may be missing), ``source``, ``comment``
    ("" when none), ``safety_a`` and ``safety_b`` (the preference scale's labels
    of Model A's and Model B's responses, as shown: "safe", "unsafe", or "" when
    none), ``created_at`` (UTC),
    ``categories`` (a list),
    ``num_turns``, ``prompt_words``, ``word_count`` (prompt plus both responses) and
    ``collection_method`` ("" when none). Sorted by rating id. ``full=False``
    leaves out ``created_at``, ``scale``, ``source``, ``comment``, the safety labels
    and the external ids, which reports do not need and which cost the most to convert.
    """
    ratings = frame_of(
        report_ratings(evaluation_ids), RATING_FIELDS if full else REPORT_RATING_FIELDS
    )
    comparisons = comparisons_frame(evaluation_ids, full=full)
    # Every rating has its comparison: look rows up by position instead of merging.
    position = pd.Index(comparisons["comparison_id"]).get_indexer(
        ratings["comparison_id"]
    )
    found = position >= 0  # a comparison deleted between the two queries
    ratings, position = ratings[found], position[found]
    attributes = comparisons.drop(columns="comparison_id").take(position)
    frame = pd.concat(
        [ratings.reset_index(drop=True), attributes.reset_index(drop=True)], axis=1
    )
    frame["seconds"] = frame["seconds"].astype("float64")
    frame["candidate_on_left"] = frame["candidate_on_left"].astype(bool)
    if not full:
        return frame[[c for c in RATINGS_COLUMNS if c in frame]]
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame[RATINGS_COLUMNS]


def report_version(evaluation_id: int) -> str:
    """What a cached report of the evaluation is keyed on, read in one query.

    The evaluation's creation time (its identity beyond the id), its data version
    token (``reports.invalidation`` gives it a new one whenever data a report shows
    changes in place) and its ratings' count, last id and last time, which any new
    or removed rating changes. "" when there is no such evaluation.
    """
    return report_version_and_size(evaluation_id)[0]


def report_version_and_size(evaluation_id: int) -> tuple[str, int]:
    """``report_version`` and the evaluation's number of ratings, in one query."""
    return report_versions_and_sizes([evaluation_id]).get(evaluation_id, ("", 0))


def report_versions_and_sizes(
    evaluation_ids: Sequence[int],
) -> dict[int, tuple[str, int]]:
    """``report_version_and_size`` of several evaluations, in one query (the home
    reads the cached reports of every evaluation); evaluations that do not exist
    are left out."""
    rows = (
        Evaluation.objects.filter(pk__in=list(evaluation_ids))
        .values("pk", "created_at", "report_data_version__token")
        .annotate(
            n=Count("comparisons__ratings"),
            last=Max("comparisons__ratings__id"),
            at=Max("comparisons__ratings__created_at"),
        )
        .order_by()
    )
    versions = {}
    for row in rows:
        at = row["at"].isoformat() if row["at"] else "-"
        token = row["report_data_version__token"] or "-"
        version = (
            f"{row['created_at'].isoformat()}-{token}-{row['n']}-{row['last']}-{at}"
        )
        versions[row["pk"]] = (version, row["n"])
    return versions


def annotator_names(evaluation_id: int) -> set[str]:
    """Usernames of the annotators with a rating in the evaluation."""
    return set(
        Rating.objects.filter(comparison__evaluation_id=evaluation_id)
        .order_by()
        .values_list("annotator__username", flat=True)
        .distinct()
    )


def evaluation_summary(evaluation_id: int) -> EvaluationSummary:
    """The evaluation's descriptive fields, as a report states them, read afresh.

    Read after the report's key (never from an evaluation loaded before it), so that
    a rename committed meanwhile is not stored under the new key with the old name.
    """
    evaluation = Evaluation.objects.select_related(
        "prompt_set", "candidate", "baseline"
    ).get(pk=evaluation_id)
    return EvaluationSummary(
        id=evaluation.pk,
        name=evaluation.name,
        kind=evaluation.kind,
        scale=evaluation.scale,
        prompt_set=evaluation.prompt_set.name,
        candidate=evaluation.candidate.name if evaluation.candidate else None,
        baseline=evaluation.baseline.name if evaluation.baseline else None,
        annotators_per_pair=evaluation.annotators_per_pair,
        source=evaluation.source,
        left_out=evaluation.left_out,
        stopping=Stopping(
            rule=evaluation.stop_rule,
            width=evaluation.stop_width,
            min_pairs=evaluation.stop_min_pairs,
            stopped_at=evaluation.stopped_at,
            pairs=evaluation.stop_pairs,
            reason=evaluation.stop_reason,
        ),
    )


def flag_reviews(evaluation_id: int) -> FlagReviews:
    """The evaluation's pairs by the action of their latest flag review, and the
    excluded pairs (``Comparison.excluded``), in two queries."""
    latest: dict[int, str] = {}
    for pk, action in (
        FlagReview.objects.filter(comparison__evaluation_id=evaluation_id)
        .order_by("comparison_id", "-reviewed_at", "-id")
        .values_list("comparison_id", "action")
    ):
        latest.setdefault(pk, action)
    actions = list(latest.values())
    excluded = Comparison.objects.filter(
        evaluation_id=evaluation_id, excluded=True
    ).order_by("id")
    return FlagReviews(
        excluded=actions.count(FlagReview.Action.EXCLUDE),
        kept=actions.count(FlagReview.Action.KEEP),
        reopened=actions.count(FlagReview.Action.REOPEN),
        excluded_pairs=tuple(
            ExcludedPair(pk, external_id)
            for pk, external_id in excluded.values_list("id", "prompt__external_id")
        ),
    )


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


def prompts_by_id(prompt_ids: Sequence[int]) -> dict[int, Prompt]:
    """The prompts (their external ids and turns only), by id, in one query."""
    prompts = Prompt.objects.filter(pk__in=list(prompt_ids)).only(
        "external_id", "turns"
    )
    return {prompt.pk: prompt for prompt in prompts}


def pair_detail(evaluation_id: int, comparison_id: int) -> dict:
    """A pair of the evaluation: its prompt, both responses and every rating with its
    annotator. ``Comparison.DoesNotExist`` when the evaluation has no such pair."""
    comparison = Comparison.objects.select_related(
        "evaluation",
        "prompt__prompt_set",
        "candidate_generation__chat_model",
        "baseline_generation__chat_model",
    ).get(pk=comparison_id, evaluation_id=evaluation_id)
    ratings = list(comparison.ratings.select_related("annotator").order_by("id"))
    return {"comparison": comparison, "ratings": ratings}


JUDGEMENT_FIELDS = {
    "judgement_id": "id",
    "judge_id": "judge_id",
    "comparison_id": "comparison_id",
    "swapped": "swapped",
    "candidate_on_left": "candidate_on_left",
    "status": "status",
    "choice": "choice",
    "score": "score",
}


def judgements_frame(evaluation_id: int) -> pd.DataFrame:
    """Every judgement on the evaluation's comparisons (but the excluded ones), in
    one query.

    Columns ``judgement_id``, ``judge_id``, ``comparison_id``, ``swapped``,
    ``candidate_on_left``, ``status`` and ``choice`` / ``score`` (as shown and the
    candidate's view; NaN unless parsed). Sorted by id.
    """
    frame = frame_of(
        Judgement.objects.filter(
            comparison__evaluation_id=evaluation_id, comparison__excluded=False
        ).order_by("id"),
        JUDGEMENT_FIELDS,
    )
    for column in ("choice", "score"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def judges_on(evaluation_id: int) -> tuple[list[dict], str]:
    """The judges with judgements on the evaluation (``id``, ``name``,
    ``description``, by name) and a version of their judgements, in one query.

    The version changes with any judgement added, removed or changed, also by a
    bulk ``update()`` that leaves ``updated_at`` alone: it holds, per judge and
    status, the count, the last id and time and the sums of the verdicts. "" when
    there are none.
    """
    rows = list(
        Judgement.objects.filter(comparison__evaluation_id=evaluation_id)
        .values("judge_id", "judge__name", "judge__description", "status")
        .annotate(
            n=Count("id"),
            last=Max("id"),
            at=Max("updated_at"),
            choices=Sum("choice"),
            scores=Sum("score"),
            sides=Sum(Cast("candidate_on_left", IntegerField())),
        )
        .order_by("judge__name", "judge_id", "status")
    )
    judges: dict[int, dict] = {}
    for row in rows:
        judges.setdefault(
            row["judge_id"],
            {
                "id": row["judge_id"],
                "name": row["judge__name"],
                "description": row["judge__description"],
            },
        )
    version = json.dumps(rows, sort_keys=True, default=str) if rows else ""
    return list(judges.values()), version
