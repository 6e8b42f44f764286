"""Build a report (``values.Report``) from a ratings frame: pure pandas, no Django."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime

import pandas as pd

from . import statistics as st
from .agreement_report import agreement, rating_scores
from .annotator_filters import annotator_filter
from .json_ready import finite as _finite
from .json_ready import finite_items as _finite_items
from .json_ready import records
from .report_metadata import data_hash, definitions, software_versions
from .report_options import ReportOptions
from .report_sequence import sequence_bounds
from .report_warnings import MIN_GROUP_PROMPTS, report_warnings
from .tournament_report import tournament
from .values import (
    AnnotatorRow,
    BreakdownRow,
    Breakdowns,
    DesignEffect,
    EvaluationSummary,
    FlagReviews,
    Headline,
    Metadata,
    PositionBias,
    PromptCounts,
    QuintileEdge,
    Report,
    ShareBounds,
    ShareDesignEffects,
)

SCALE_POINTS = {
    "seven": (-3, -2, -1, 0, 1, 2, 3),
    "three": (-1, 0, 1),
    # No tie: every rating prefers one side, so outcomes are the sign of the score.
    "preference": (-4, -3, -2, -1, 1, 2, 3, 4),
}
PAIR_COLUMNS = (
    "evaluation_id",
    "comparison_external_id",
    "candidate",
    "baseline",
    "prompt_external_id",
    "categories",
    "num_turns",
    "word_count",
    "collection_method",
)


def _bounds(intervals: Mapping[str, tuple[float, float]]) -> ShareBounds:
    return ShareBounds(
        **{name: tuple(map(_finite, pair)) for name, pair in intervals.items()}
    )


def _clustered_wilson(outcomes: pd.DataFrame) -> tuple[ShareBounds, ShareDesignEffects]:
    """Cluster-robust Wilson intervals over prompts, and what they were taken at."""
    robust = st.clustered_wilson_shares(st.prompt_counts(outcomes))
    bounds = _bounds({name: (item.low, item.high) for name, item in robust.items()})
    design = {
        name: DesignEffect(_finite(item.design_effect), _finite(item.n_effective))
        for name, item in robust.items()
    }
    return bounds, ShareDesignEffects(**design)


def headline(
    outcomes: pd.DataFrame, ratings: pd.DataFrame, options: ReportOptions
) -> Headline:
    """Shares over all outcomes, both intervals, and what they were counted from.

    Under the ``rating`` aggregation (several outcomes per prompt) Wilson's
    interval is cluster-robust, its design effects kept beside it.
    """
    shares = {"wins": None, "ties": None, "losses": None}
    shares.update(_finite_items(st.shares(outcomes["outcome"])))
    design = None
    if options.aggregation == "rating":
        wilson, design = _clustered_wilson(outcomes)
    else:
        wilson = _bounds(st.wilson_shares(outcomes["outcome"]))
    n_prompts = int(outcomes["prompt_id"].nunique())
    bounds = {
        "bootstrap": _bounds(
            st.bootstrap_shares(
                outcomes,
                resamples=options.resamples,
                seed=options.seed,
                level=options.level,
            )
        ),
        "wilson": wilson,
    }
    return Headline(
        **shares,
        **bounds,
        interval=bounds[options.interval],
        n_prompts=n_prompts,
        n_pairs=int(ratings["comparison_id"].nunique()),
        n_ratings=len(ratings),
        rule=options.aggregation,
        reliable=n_prompts >= MIN_GROUP_PROMPTS,
        wilson_design_effects=design,
    )


def breakdown_tables(
    outcomes: pd.DataFrame,
    options: ReportOptions,
    edges: tuple[QuintileEdge, ...] | None = None,
) -> tuple[Breakdowns, tuple[QuintileEdge, ...]]:
    """The breakdown tables and the word-count quintiles' edges; with ``edges``
    (another report's) the outcomes carry their ``quintile`` in those."""
    parts = st.breakdowns(
        outcomes,
        interval=options.interval,
        resamples=options.resamples,
        seed=options.seed,
        clustered=options.aggregation == "rating",
        edges=None if edges is None else [asdict(edge) for edge in edges],
    )
    edges = tuple(QuintileEdge(**edge) for edge in parts.pop("quintile_edges"))
    tables = {
        name: tuple(
            BreakdownRow(**row, reliable=row["n_prompts"] >= MIN_GROUP_PROMPTS)
            for row in records(table)
        )
        for name, table in parts.items()
    }
    return Breakdowns(**tables), edges


def build_report(
    ratings: pd.DataFrame,
    evaluation: EvaluationSummary,
    options: ReportOptions,
    progress: Callable[[str], None] | None = None,
    flag_reviews: FlagReviews | None = None,
) -> Report:
    """The whole report of one evaluation.

    ``ratings`` is the long frame of ``reports.selectors.ratings_frame`` (its
    ``full=False`` columns suffice). The annotators the options leave out
    (``reports.annotator_filters``) are dropped before anything but the annotator
    table is computed; that table has every annotator, with the filters' flags.
    ``progress``, if given, is told each stage ("outcomes", "agreement",
    "intervals") as it starts. ``flag_reviews`` (``selectors.flag_reviews``) is
    stated in the metadata; the excluded pairs' ratings are not in ``ratings``.
    """
    progress = progress or (lambda stage: None)
    progress("outcomes")
    points = SCALE_POINTS[evaluation.scale]
    ratings = ratings.assign(outcome=st.outcome_of(ratings["score"], options.threshold))
    scores = rating_scores(ratings)
    pairs = st.rating_pairs(scores)  # shared by two tables below
    annotators = st.annotator_table(ratings, scale_max=points[-1], pairs=pairs)
    # The filters read the table of all ratings; the rest reads the ratings kept.
    chosen = annotator_filter(annotators, options)
    if excluded := chosen.excluded:
        ratings = ratings[~ratings["annotator"].isin(excluded)]
        scores = rating_scores(ratings)
        pairs = st.rating_pairs(scores)
    outcomes = st.pair_outcomes(
        ratings,
        rule=options.aggregation,
        threshold=options.threshold,
        carry=PAIR_COLUMNS,
    )
    prompts = ratings[["prompt_id", "num_turns"]].drop_duplicates("prompt_id")
    progress("agreement")
    agreed = agreement(ratings, points, options, pairs, scores)
    progress("intervals")
    board = tournament(outcomes, options) if evaluation.is_tournament else None
    common = {
        "metadata": Metadata(
            evaluation=evaluation,
            options=options,
            definitions=definitions(options, points, board and board.fitted),
            data_sha256=data_hash(ratings),
            software=dict(software_versions()),
            generated_at=datetime.now(UTC),
            exclusions=chosen.exclusions,
            flag_reviews=flag_reviews or FlagReviews(),
        ),
        "prompt_counts": PromptCounts(**st.prompt_counts_table(prompts)),
        "position_bias": PositionBias(**_finite_items(st.position_bias(ratings))),
        "annotators": tuple(AnnotatorRow(**row) for row in records(chosen.table)),
        "agreement": agreed,
    }
    rule = options.aggregation
    if evaluation.is_tournament:
        return Report(
            **common,
            tournament=board,
            warnings=report_warnings(
                ratings, evaluation, rule, tournament=board, resamples=options.resamples
            ),
        )
    breakdowns, edges = breakdown_tables(outcomes, options)
    # The always-valid sequence follows the pairs as they complete with N ratings:
    # with annotators left out none would (it said "over 0 complete pairs").
    head = replace(
        headline(outcomes, ratings, options),
        sequence=None
        if excluded
        else sequence_bounds(
            ratings,
            outcomes,
            per_pair=evaluation.annotators_per_pair,
            options=options,
        ),
    )
    return Report(
        **common,
        headline=head,
        quintile_edges=edges,
        breakdowns=breakdowns,
        warnings=report_warnings(
            ratings, evaluation, rule, head, breakdowns, resamples=_bootstrap(options)
        ),
    )


def _bootstrap(options: ReportOptions) -> int | None:
    """The bootstrap's resamples behind the head-to-head intervals; None for Wilson."""
    return options.resamples if options.interval == "bootstrap" else None
