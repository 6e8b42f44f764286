"""Assemble a whole report from a ratings frame: pure pandas, no Django."""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from . import statistics as st
from .metadata import clean, data_hash, definitions, records, software_versions
from .options import SCALE_POINTS, ReportOptions

__all__ = ["PAIR_COLUMNS", "SCALE_POINTS", "ReportOptions", "assemble"]

PAIR_COLUMNS = (
    "evaluation_id",
    "candidate",
    "baseline",
    "prompt_external_id",
    "categories",
    "num_turns",
    "word_count",
    "collection_method",
)


def _headline(outcomes: pd.DataFrame, ratings: pd.DataFrame, options) -> dict:
    headline = st.shares(outcomes["outcome"])
    headline["bootstrap"] = st.bootstrap_shares(
        outcomes, resamples=options.resamples, seed=options.seed, level=options.level
    )
    headline["wilson"] = st.wilson_shares(outcomes["outcome"])
    headline["interval"] = headline[options.interval]
    headline["n_prompts"] = int(outcomes["prompt_id"].nunique())
    headline["n_pairs"] = int(ratings["comparison_id"].nunique())
    headline["n_ratings"] = len(ratings)
    headline["rule"] = options.aggregation
    return headline


def _agreement_by_category(ratings, score_counts, outcome_counts, points, weights):
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
        percent = st.percent_agreement(outcome_counts[mask], [-1, 0, 1])
        rows.append(
            {
                "category": category,
                "ac2": ac2["coefficient"],
                "n_pairs": ac2["n_units"],
                "percent_with_ties": percent["with_ties"]["value"],
                "percent_without_ties": percent["without_ties"]["value"],
            }
        )
    return rows


def _scores(ratings: pd.DataFrame) -> pd.DataFrame:
    return ratings.rename(
        columns={"comparison_id": "unit", "annotator": "rater", "score": "value"}
    )[["unit", "rater", "value"]]


def agreement(
    ratings: pd.DataFrame, scale: str, options: ReportOptions, pairs=None, scores=None
) -> dict:
    """Agreement on candidate-view scores and on their outcomes.

    ``pairs``: ``statistics.rating_pairs`` of these ratings, when already made;
    ``scores``: their ``_scores``, likewise.
    """
    points = SCALE_POINTS[scale]
    scores = _scores(ratings) if scores is None else scores
    outcomes = scores.assign(value=st.outcome_of(scores["value"], options.threshold))
    # Count once: every coefficient below reads the same two count matrices.
    score_counts = st.count_matrix(scores, points)
    outcome_counts = st.count_matrix(outcomes, [-1, 0, 1])
    ac2 = {w: st.gwet_ac(score_counts, points, weights=w) for w in st.WEIGHTS[1:]}
    return {
        "ac2": ac2[options.weights],
        "ac2_all_weights": ac2,
        "ac1_scores": st.gwet_ac(score_counts, points),
        "ac1_outcomes": st.gwet_ac(outcome_counts, [-1, 0, 1]),
        "fleiss_kappa_outcomes": st.fleiss_kappa(outcome_counts, [-1, 0, 1]),
        "krippendorff_alpha": st.krippendorff_alpha(
            score_counts, points, level="ordinal"
        ),
        "percent": st.percent_agreement(outcome_counts, [-1, 0, 1]),
        "by_category": _agreement_by_category(
            ratings, score_counts, outcome_counts, points, options.weights
        ),
        "cohen_kappa": records(
            st.cohen_kappa_pairs(scores, points, min_shared=20, pairs=pairs)
        ),
    }


def assemble(ratings: pd.DataFrame, evaluation: dict, options: ReportOptions) -> dict:
    """The whole report of one evaluation as JSON-ready data.

    ``ratings`` is the long frame of ``reports.selectors.ratings_frame``;
    ``evaluation`` the plain fields of ``selectors.evaluation_meta``.
    """
    scale = evaluation["scale"]
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
    report: dict = {
        "metadata": {
            "evaluation": evaluation,
            "options": asdict(options),
            "definitions": definitions(options, scale),
            "data_sha256": data_hash(ratings),
            "software": dict(software_versions()),
            "generated_at": datetime.now(UTC).isoformat(),
        },
        "prompt_counts": st.prompt_counts_table(prompts),
        "position_bias": st.position_bias(ratings),
        "annotators": records(
            st.annotator_table(ratings, scale_max=SCALE_POINTS[scale][-1], pairs=pairs)
        ),
        "agreement": agreement(ratings, scale, options, pairs, scores),
    }
    if evaluation["kind"] == "tournament":
        report["tournament"] = tournament(outcomes, options)
        return clean(report)
    report["headline"] = _headline(outcomes, ratings, options)
    parts = st.breakdowns(
        outcomes,
        interval=options.interval,
        resamples=options.resamples,
        seed=options.seed,
    )
    report["quintile_edges"] = parts.pop("quintile_edges")
    report["breakdowns"] = {name: records(table) for name, table in parts.items()}
    return clean(report)


def tournament(outcomes: pd.DataFrame, options: ReportOptions) -> dict:
    """Leaderboard (Bradley-Terry, evalica) and pairwise win matrix."""
    board = st.bradley_terry(
        outcomes, resamples=min(options.resamples, 200), seed=options.seed
    )
    matrix = st.win_matrix(outcomes)
    return {
        "leaderboard": records(board),
        "method": "Bradley-Terry (evalica), ties count half; percentile bootstrap "
        f"over outcomes ({min(options.resamples, 200)} resamples, seed {options.seed})",
        "win_matrix": json.loads(matrix.to_json(orient="split")),
        "n_outcomes": len(outcomes),
    }
