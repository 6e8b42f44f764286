"""Build a report (``values.Report``) from a ratings frame: pure pandas, no Django."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from . import statistics as st
from .report_metadata import data_hash, definitions, software_versions
from .report_options import ReportOptions
from .values import (
    Agreement,
    Alpha,
    AnnotatorRow,
    BreakdownRow,
    Breakdowns,
    CategoryAgreement,
    ChanceCorrected,
    CohenKappaRow,
    EvaluationSummary,
    Headline,
    LeaderboardRow,
    Metadata,
    PercentAgreement,
    PositionBias,
    PromptCounts,
    Proportion,
    QuintileEdge,
    Report,
    ShareBounds,
    Tournament,
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
TOURNAMENT_RESAMPLES = 200  # Bradley-Terry refits per resample: cap their number


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


def _chance(result: Mapping[str, Any]) -> ChanceCorrected:
    return ChanceCorrected(**_finite_items(result))


def headline(
    outcomes: pd.DataFrame, ratings: pd.DataFrame, options: ReportOptions
) -> Headline:
    """Shares over all outcomes, both intervals, and what they were counted from."""
    shares = {"wins": None, "ties": None, "losses": None}
    shares.update(_finite_items(st.shares(outcomes["outcome"])))
    bounds = {
        "bootstrap": _bounds(
            st.bootstrap_shares(
                outcomes,
                resamples=options.resamples,
                seed=options.seed,
                level=options.level,
            )
        ),
        "wilson": _bounds(st.wilson_shares(outcomes["outcome"])),
    }
    return Headline(
        **shares,
        **bounds,
        interval=bounds[options.interval],
        n_prompts=int(outcomes["prompt_id"].nunique()),
        n_pairs=int(ratings["comparison_id"].nunique()),
        n_ratings=len(ratings),
        rule=options.aggregation,
    )


def _agreement_by_category(
    ratings, score_counts, outcome_counts, points, weights
) -> tuple[CategoryAgreement, ...]:
    """AC2 and percent agreement per prompt category (a pair counts in each of its)."""
    _, first = np.unique(pd.factorize(ratings["comparison_id"])[0], return_index=True)
    unit_categories = ratings["categories"].to_numpy()[first]
    lengths = np.fromiter(map(len, unit_categories), dtype=int, count=len(first))
    codes, names = pd.factorize(
        np.array(list(itertools.chain.from_iterable(unit_categories)), dtype=object),
        sort=True,
    )
    units = np.repeat(np.arange(len(first)), lengths)
    rows = []
    for code, category in enumerate(names):
        mask = np.zeros(len(first), dtype=bool)
        mask[units[codes == code]] = True
        ac2 = st.gwet_ac(score_counts[mask], points, weights=weights)
        percent = st.percent_agreement(outcome_counts[mask], OUTCOME_POINTS)
        rows.append(
            CategoryAgreement(
                category=category,
                ac2=_finite(ac2["coefficient"]),
                n_pairs=ac2["n_units"],
                percent_with_ties=_finite(percent["with_ties"]["value"]),
                percent_without_ties=_finite(percent["without_ties"]["value"]),
            )
        )
    return tuple(rows)


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
    ac2 = {
        weights: _chance(st.gwet_ac(score_counts, points, weights=weights))
        for weights in st.WEIGHTS[1:]
    }
    percent = st.percent_agreement(outcome_counts, OUTCOME_POINTS)
    alpha = st.krippendorff_alpha(score_counts, points, level="ordinal")
    kappas = st.cohen_kappa_pairs(scores, points, min_shared=20, pairs=pairs)
    return Agreement(
        ac2=ac2[options.weights],
        ac2_all_weights=ac2,
        ac1_scores=_chance(st.gwet_ac(score_counts, points)),
        ac1_outcomes=_chance(st.gwet_ac(outcome_counts, OUTCOME_POINTS)),
        fleiss_kappa_outcomes=_chance(st.fleiss_kappa(outcome_counts, OUTCOME_POINTS)),
        krippendorff_alpha=Alpha(**_finite_items(alpha)),
        percent=PercentAgreement(
            **{
                name: Proportion(**_finite_items(part))
                for name, part in percent.items()
            }
        ),
        by_category=_agreement_by_category(
            ratings, score_counts, outcome_counts, points, options.weights
        ),
        cohen_kappa=tuple(CohenKappaRow(**row) for row in records(kappas)),
    )


def tournament(outcomes: pd.DataFrame, options: ReportOptions) -> Tournament:
    """Leaderboard (Bradley-Terry, evalica) and pairwise win matrix."""
    resamples = min(options.resamples, TOURNAMENT_RESAMPLES)
    board = st.bradley_terry(outcomes, resamples=resamples, seed=options.seed)
    matrix = json.loads(st.win_matrix(outcomes).to_json(orient="split"))
    return Tournament(
        leaderboard=tuple(LeaderboardRow(**row) for row in records(board)),
        method="Bradley-Terry (evalica), ties count half; percentile bootstrap "
        f"over outcomes ({resamples} resamples, seed {options.seed})",
        win_matrix=WinMatrix(
            columns=tuple(matrix["columns"]),
            index=tuple(matrix["index"]),
            data=tuple(map(tuple, matrix["data"])),
        ),
        n_outcomes=len(outcomes),
    )


def _breakdowns(
    outcomes: pd.DataFrame, options: ReportOptions
) -> tuple[Breakdowns, tuple[QuintileEdge, ...]]:
    parts = st.breakdowns(
        outcomes,
        interval=options.interval,
        resamples=options.resamples,
        seed=options.seed,
    )
    edges = tuple(QuintileEdge(**edge) for edge in parts.pop("quintile_edges"))
    tables = {
        name: tuple(BreakdownRow(**row) for row in records(table))
        for name, table in parts.items()
    }
    return Breakdowns(**tables), edges


def build_report(
    ratings: pd.DataFrame,
    evaluation: EvaluationSummary,
    options: ReportOptions,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The whole report of one evaluation.

    ``ratings`` is the long frame of ``reports.selectors.ratings_frame`` (its
    ``full=False`` columns suffice). ``progress``, if given, is told each stage
    ("outcomes", "agreement", "intervals") as it starts.
    """
    progress = progress or (lambda stage: None)
    progress("outcomes")
    points = SCALE_POINTS[evaluation.scale]
    ratings = ratings.assign(outcome=st.outcome_of(ratings["score"], options.threshold))
    outcomes = st.pair_outcomes(
        ratings,
        rule=options.aggregation,
        threshold=options.threshold,
        carry=PAIR_COLUMNS,
    )
    prompts = ratings[["prompt_id", "num_turns"]].drop_duplicates("prompt_id")
    scores = _scores(ratings)
    pairs = st.rating_pairs(scores)  # shared by two tables below
    progress("agreement")
    annotators = st.annotator_table(ratings, scale_max=points[-1], pairs=pairs)
    common = {
        "metadata": Metadata(
            evaluation=evaluation,
            options=options,
            definitions=definitions(options, points),
            data_sha256=data_hash(ratings),
            software=dict(software_versions()),
            generated_at=datetime.now(UTC),
        ),
        "prompt_counts": PromptCounts(**st.prompt_counts_table(prompts)),
        "position_bias": PositionBias(**_finite_items(st.position_bias(ratings))),
        "annotators": tuple(AnnotatorRow(**row) for row in records(annotators)),
        "agreement": agreement(ratings, points, options, pairs, scores),
    }
    progress("intervals")
    if evaluation.is_tournament:
        return Report(**common, tournament=tournament(outcomes, options))
    breakdowns, edges = _breakdowns(outcomes, options)
    return Report(
        **common,
        headline=headline(outcomes, ratings, options),
        quintile_edges=edges,
        breakdowns=breakdowns,
    )
