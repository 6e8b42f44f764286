"""Assemble a whole report from a ratings frame: pure pandas, no Django."""

from __future__ import annotations

import hashlib
import json
import math
import platform
import tomllib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import statistics as st

SCALE_POINTS = {"seven": [-3, -2, -1, 0, 1, 2, 3], "three": [-1, 0, 1]}
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
SOFTWARE = ("evalsite", "pandas", "numpy", "scipy", "evalica", "krippendorff")


@dataclass(frozen=True)
class ReportOptions:
    """What a report computes; every field is stated in the report's metadata."""

    aggregation: str = "majority"
    threshold: int = 1
    seed: int = 0
    resamples: int = 1000
    interval: str = "bootstrap"
    weights: str = "quadratic"
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.aggregation not in st.RULES:
            raise ValueError(f"aggregation: use one of {', '.join(st.RULES)}")
        if self.threshold not in (1, 2):
            raise ValueError("threshold: use 1 or 2")
        if self.interval not in ("bootstrap", "wilson"):
            raise ValueError("interval: use bootstrap or wilson")
        if self.weights not in st.WEIGHTS[1:]:
            raise ValueError(f"weights: use one of {', '.join(st.WEIGHTS[1:])}")
        if not 0 <= self.resamples <= 100_000:
            raise ValueError("resamples: use 0 to 100000")
        if self.seed < 0:
            raise ValueError("seed: use a non-negative integer")


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-ready rows (NaN becomes None)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def clean(value):
    """Replace NaN and infinities by None, tuples by lists, all the way down."""
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def data_hash(ratings: pd.DataFrame) -> str:
    """SHA-256 of the ratings that enter the report (ids, annotators, choices)."""
    key = ratings[["rating_id", "comparison_id", "annotator", "choice", "score"]]
    hashed = pd.util.hash_pandas_object(key, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def _project_version() -> str:
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "evalsite": _project_version()}
    for name in SOFTWARE[1:]:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def definitions(options: ReportOptions, scale: str) -> dict:
    t = options.threshold
    return {
        "outcome": f"win if score >= {t}, loss if score <= -{t}, tie otherwise "
        "(score from the candidate's point of view)",
        "aggregation": options.aggregation,
        "aggregation_rule": st.RULE_TEXT[options.aggregation],
        "threshold": t,
        "win_no_ties": "win / (win + loss)",
        "interval": (
            f"{options.level:.0%} percentile bootstrap over prompts "
            f"({options.resamples} resamples, seed {options.seed})"
            if options.interval == "bootstrap"
            else f"{options.level:.0%} Wilson score interval on pair outcomes"
        ),
        "resamples": options.resamples,
        "seed": options.seed,
        "agreement_weights": options.weights,
        "scale_points": SCALE_POINTS[scale],
        "percent_agreement": "agreeing pairs among all pairs of ratings of the same "
        "comparison (outcomes); without ties drops pairs with a tie",
        "quintiles": "five equal-frequency bins of words (prompt, all turns, plus "
        "both responses) over the pairs in the report",
        "cohen_kappa": "unweighted, on scores, for annotators sharing >= 20 pairs",
        "position_bias": "share of ratings preferring the response shown on the left",
    }


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


def agreement(ratings: pd.DataFrame, scale: str, options: ReportOptions) -> dict:
    """Agreement on candidate-view scores and on their outcomes."""
    points = SCALE_POINTS[scale]
    scores = ratings.rename(
        columns={"comparison_id": "unit", "annotator": "rater", "score": "value"}
    )[["unit", "rater", "value"]]
    outcomes = scores.assign(value=st.outcome_of(scores["value"], options.threshold))
    ac2 = {w: st.gwet_ac(scores, points, weights=w) for w in st.WEIGHTS[1:]}
    return {
        "ac2": ac2[options.weights],
        "ac2_all_weights": ac2,
        "ac1_outcomes": st.gwet_ac(outcomes, [-1, 0, 1]),
        "fleiss_kappa_outcomes": st.fleiss_kappa(outcomes, [-1, 0, 1]),
        "krippendorff_alpha": st.krippendorff_alpha(scores, points, level="ordinal"),
        "percent": st.percent_agreement(outcomes),
        "cohen_kappa": records(st.cohen_kappa_pairs(scores, points, min_shared=20)),
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
    prompts = ratings.drop_duplicates("prompt_id")
    report: dict = {
        "metadata": {
            "evaluation": evaluation,
            "options": asdict(options),
            "definitions": definitions(options, scale),
            "data_sha256": data_hash(ratings),
            "software": _versions(),
            "generated_at": datetime.now(UTC).isoformat(),
        },
        "prompt_counts": st.prompt_counts_table(prompts),
        "position_bias": st.position_bias(ratings),
        "annotators": records(
            st.annotator_table(ratings, scale_max=SCALE_POINTS[scale][-1])
        ),
        "agreement": agreement(ratings, scale, options),
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
