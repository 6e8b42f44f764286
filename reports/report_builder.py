"""Build a report (``values.Report``) from a ratings frame: pure pandas, no Django."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from . import statistics as st
from .annotator_filters import annotator_filter
from .report_metadata import data_hash, definitions, software_versions
from .report_options import ReportOptions, refuse_for_tournament
from .report_warnings import MIN_GROUP_PROMPTS, report_warnings
from .values import (
    Agreement,
    Alpha,
    AnnotatorRow,
    BreakdownRow,
    Breakdowns,
    CategoryAgreement,
    ChanceCorrected,
    CohenKappaRow,
    DesignEffect,
    EvaluationSummary,
    Headline,
    KappaSummary,
    LeaderboardRow,
    Metadata,
    PairResult,
    PercentAgreement,
    PositionBias,
    PromptCounts,
    Proportion,
    QuintileEdge,
    Report,
    ShareBounds,
    ShareDesignEffects,
    Tournament,
    TournamentMethod,
    WinMatrix,
)

SCALE_POINTS = {"seven": (-3, -2, -1, 0, 1, 2, 3), "three": (-1, 0, 1)}
OUTCOME_POINTS = (-1, 0, 1)
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
CATEGORY_FIGURES = ("ac1_outcomes", "fleiss_kappa_outcomes", "alpha_ordinal",
                    "alpha_nominal", "percent_with_ties", "percent_without_ties")  # fmt: skip


def _finite(value: Any) -> Any:
    """NaN and infinities as None; every other value as it is."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _finite_items(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _finite(value) for key, value in mapping.items()}


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-ready rows (NaN becomes None; floats to 10 digits)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _bounds(intervals: Mapping[str, tuple[float, float]]) -> ShareBounds:
    return ShareBounds(
        **{name: tuple(map(_finite, pair)) for name, pair in intervals.items()}
    )


def _chance(result: Mapping[str, Any], interval) -> ChanceCorrected:
    return ChanceCorrected(**_finite_items(result), interval=_pair(interval))


def _pair(bounds) -> tuple[float | None, float | None]:
    return (_finite(float(bounds[0])), _finite(float(bounds[1])))


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


def _category_units(ratings: pd.DataFrame, first: np.ndarray) -> list[tuple]:
    """(category, positions of its units) for every prompt category, sorted; a
    unit (pair) counts in each of its prompt's categories. ``first`` is each
    unit's first row in ``ratings``."""
    unit_categories = ratings["categories"].to_numpy()[first]
    lengths = np.fromiter(map(len, unit_categories), dtype=int, count=len(first))
    codes, names = pd.factorize(
        np.array(list(itertools.chain.from_iterable(unit_categories)), dtype=object),
        sort=True,
    )
    units = np.repeat(np.arange(len(first)), lengths)
    return [(name, np.unique(units[codes == code])) for code, name in enumerate(names)]


def _agreement_by_category(
    categories, found, score_counts, weights
) -> tuple[CategoryAgreement, ...]:
    """Every coefficient per prompt category, with its interval (``found``:
    ``statistics.agreement_intervals`` with the categories after the overall)."""
    figures = {"ac2": f"ac2_{weights}", **{name: name for name in CATEGORY_FIGURES}}
    rows = []
    for g, (category, units) in enumerate(categories, start=1):
        value, interval = found.estimates[g], found.bounds[g]
        rows.append(
            CategoryAgreement(
                category=category,
                n_pairs=int((score_counts[units].sum(axis=1) >= 2).sum()),
                **{field: _finite(value[name]) for field, name in figures.items()},
                **{
                    f"{field}_interval": _pair(interval[name])
                    for field, name in figures.items()
                },
            )
        )
    return tuple(rows)


def _kappa_summary(kappas: pd.DataFrame) -> KappaSummary:
    values = kappas["kappa"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return KappaSummary(n_pairs=len(kappas), median=None, q1=None, q3=None)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return KappaSummary(
        n_pairs=len(kappas), median=float(median), q1=float(q1), q3=float(q3)
    )


def _scores(ratings: pd.DataFrame) -> pd.DataFrame:
    return ratings.rename(
        columns={"comparison_id": "unit", "annotator": "rater", "score": "value"}
    )[["unit", "rater", "value"]]


def agreement(
    ratings: pd.DataFrame,
    scale_points: Sequence[int],
    options: ReportOptions,
    pairs=None,
    scores=None,
) -> Agreement:
    """Agreement on candidate-view scores and on their outcomes.

    ``pairs``: ``statistics.rating_pairs`` of these ratings, when already made;
    ``scores``: their ``_scores``, likewise.
    """
    points = list(scale_points)
    scores = _scores(ratings) if scores is None else scores
    outcomes = scores.assign(value=st.outcome_of(scores["value"], options.threshold))
    # Count once: every coefficient below reads the same two count matrices.
    score_counts = st.count_matrix(scores, points)
    outcome_counts = st.count_matrix(outcomes, OUTCOME_POINTS)
    kappas = st.cohen_kappa_pairs(scores, points, min_shared=20, pairs=pairs)
    # Count matrix rows follow the units' first rows; prompts coded in sorted order.
    _, first = np.unique(pd.factorize(ratings["comparison_id"])[0], return_index=True)
    row_prompts = pd.factorize(ratings["prompt_id"], sort=True)[0]
    categories = _category_units(ratings, first)
    found = st.agreement_intervals(
        score_counts,
        outcome_counts,
        points,
        row_prompts[first],
        [np.arange(len(first)), *(units for _, units in categories)],
        st.kappa_cells(scores, points, row_prompts, kappas, pairs=pairs),
        resamples=options.resamples,
        seed=options.seed,
        level=options.level,
    )
    overall = found.bounds[0]
    ac2 = {
        weights: _chance(
            st.gwet_ac(score_counts, points, weights=weights), overall[f"ac2_{weights}"]
        )
        for weights in st.WEIGHTS[1:]
    }
    percent = st.percent_agreement(outcome_counts, OUTCOME_POINTS)
    paired = int((score_counts.sum(axis=1) >= 2).sum())
    alpha = {  # the krippendorff package's alpha, from the sums (tested equal)
        level: Alpha(
            coefficient=_finite(found.estimates[0][f"alpha_{level}"]),
            n_units=paired,
            level=level,
            interval=_pair(overall[f"alpha_{level}"]),
        )
        for level in ("ordinal", "nominal")
    }
    return Agreement(
        ac2=ac2[options.weights],
        ac2_all_weights=ac2,
        ac1_scores=_chance(st.gwet_ac(score_counts, points), overall["ac1_scores"]),
        ac1_outcomes=_chance(
            st.gwet_ac(outcome_counts, OUTCOME_POINTS), overall["ac1_outcomes"]
        ),
        fleiss_kappa_outcomes=_chance(
            st.fleiss_kappa(outcome_counts, OUTCOME_POINTS),
            overall["fleiss_kappa_outcomes"],
        ),
        krippendorff_alpha=alpha["ordinal"],
        krippendorff_alpha_nominal=alpha["nominal"],
        percent=PercentAgreement(
            **{
                name: Proportion(
                    **_finite_items(part), interval=_pair(overall[f"percent_{name}"])
                )
                for name, part in percent.items()
            }
        ),
        by_category=_agreement_by_category(
            categories, found, score_counts, options.weights
        ),
        cohen_kappa=tuple(
            CohenKappaRow(**row, kappa_interval=_pair(interval))
            for row, interval in zip(records(kappas), found.kappa_bounds, strict=True)
        ),
        cohen_kappa_summary=_kappa_summary(kappas),
    )


def tournament(outcomes: pd.DataFrame, options: ReportOptions) -> Tournament:
    """Leaderboard (Bradley-Terry), per-pair results and the pairwise win matrix,
    with intervals from a bootstrap over prompts."""
    refuse_for_tournament(options)
    fitted = st.tournament_fit(
        outcomes,
        tie_model=options.ties,
        resamples=options.resamples,
        seed=options.seed,
        level=options.level,
    )
    method = TournamentMethod(
        ties=fitted.tie_model,
        tie_parameter=fitted.tie_parameter,
        tie_parameter_low=fitted.tie_parameter_low,
        tie_parameter_high=fitted.tie_parameter_high,
        resamples=fitted.resamples,
        seed=fitted.seed,
        level=fitted.level,
        cluster=fitted.cluster,
        n_clusters=fitted.n_clusters,
    )
    matrix = json.loads(st.win_matrix(outcomes).to_json(orient="split"))
    return Tournament(
        leaderboard=tuple(LeaderboardRow(**row) for row in records(fitted.leaderboard)),
        method=f"{method.model_text}; {method.interval_text}",
        win_matrix=WinMatrix(
            columns=tuple(matrix["columns"]),
            index=tuple(matrix["index"]),
            data=tuple(map(tuple, matrix["data"])),
        ),
        n_outcomes=len(outcomes),
        fitted=method,
        pairs=tuple(PairResult(**row) for row in records(fitted.pairs)),
    )


def _breakdowns(
    outcomes: pd.DataFrame, options: ReportOptions
) -> tuple[Breakdowns, tuple[QuintileEdge, ...]]:
    parts = st.breakdowns(
        outcomes,
        interval=options.interval,
        resamples=options.resamples,
        seed=options.seed,
        clustered=options.aggregation == "rating",
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
    ratings: pd.DataFrame, evaluation: EvaluationSummary, options: ReportOptions
) -> Report:
    """The whole report of one evaluation.

    ``ratings`` is the long frame of ``reports.selectors.ratings_frame`` (its
    ``full=False`` columns suffice). The annotators the options leave out
    (``reports.annotator_filters``) are dropped before anything but the annotator
    table is computed; that table has every annotator, with the filters' flags.
    """
    points = SCALE_POINTS[evaluation.scale]
    ratings = ratings.assign(outcome=st.outcome_of(ratings["score"], options.threshold))
    scores = _scores(ratings)
    pairs = st.rating_pairs(scores)  # shared by two tables below
    annotators = st.annotator_table(ratings, scale_max=points[-1], pairs=pairs)
    # The filters read the table of all ratings; the rest reads the ratings kept.
    chosen = annotator_filter(annotators, options)
    if excluded := chosen.excluded:
        ratings = ratings[~ratings["annotator"].isin(excluded)]
        scores = _scores(ratings)
        pairs = st.rating_pairs(scores)
    outcomes = st.pair_outcomes(
        ratings,
        rule=options.aggregation,
        threshold=options.threshold,
        carry=PAIR_COLUMNS,
    )
    prompts = ratings[["prompt_id", "num_turns"]].drop_duplicates("prompt_id")
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
        ),
        "prompt_counts": PromptCounts(**st.prompt_counts_table(prompts)),
        "position_bias": PositionBias(**_finite_items(st.position_bias(ratings))),
        "annotators": tuple(AnnotatorRow(**row) for row in records(chosen.table)),
        "agreement": agreement(ratings, points, options, pairs, scores),
    }
    rule = options.aggregation
    if evaluation.is_tournament:
        return Report(
            **common,
            tournament=board,
            warnings=report_warnings(ratings, evaluation, rule),
        )
    breakdowns, edges = _breakdowns(outcomes, options)
    head = headline(outcomes, ratings, options)
    return Report(
        **common,
        headline=head,
        quintile_edges=edges,
        breakdowns=breakdowns,
        warnings=report_warnings(ratings, evaluation, rule, head, breakdowns),
    )
