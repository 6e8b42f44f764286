"""A report's metadata: definitions in words, software versions, the data's hash."""

from __future__ import annotations

import functools
import hashlib
import platform
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

from annotations.sequential import CITATION

from . import statistics as st
from .report_options import ReportOptions
from .values import Definitions, TournamentMethod

SOFTWARE = ("evalsite", "pandas", "numpy", "scipy", "krippendorff")


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


@functools.cache
def software_versions() -> dict[str, str]:
    """Versions of the software behind a report (constant for the process)."""
    versions = {"python": platform.python_version(), "evalsite": _project_version()}
    for name in SOFTWARE[1:]:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


software_versions()  # read the package metadata once, at import


def _interval_text(options: ReportOptions) -> str:
    level = f"{options.level:.0%}"
    if options.interval == "bootstrap":
        return (
            f"{level} percentile bootstrap over prompts "
            f"({options.resamples} resamples, seed {options.seed})"
        )
    if options.aggregation == "rating":
        return (
            f"{level} cluster-robust Wilson score interval on rating outcomes: "
            "Wilson at the effective sample size n / design effect, the design "
            "effect being the cluster-robust variance of the share over prompts "
            "(ratio estimator, k/(k-1) correction) divided by the binomial "
            "variance, at least 1, since a prompt's ratings are not independent"
        )
    return f"{level} Wilson score interval on pair outcomes"


def definitions(
    options: ReportOptions,
    scale_points: Sequence[int],
    tournament: TournamentMethod | None = None,
) -> Definitions:
    """What the numbers of a report made with ``options`` mean, in words.

    ``tournament``: what a tournament's fit ran with; its intervals, resamples and
    seed are stated from it.
    """
    t = options.threshold
    return Definitions(
        outcome=f"win if score >= {t}, loss if score <= -{t}, tie otherwise "
        "(score from the candidate's point of view)",
        aggregation=options.aggregation,
        aggregation_rule=st.RULE_TEXT[options.aggregation],
        threshold=t,
        win_no_ties="win / (win + loss)",
        interval=tournament.interval_text if tournament else _interval_text(options),
        resamples=tournament.resamples if tournament else options.resamples,
        seed=tournament.seed if tournament else options.seed,
        agreement_weights=options.weights,
        scale_points=tuple(scale_points),
        percent_agreement="agreeing pairs among all pairs of ratings of the same "
        "comparison (outcomes); without ties drops pairs with a tie",
        quintiles="five equal-frequency bins of words (prompt, all turns, plus "
        "both responses) over the pairs in the report",
        cohen_kappa="unweighted, on scores, for annotators sharing >= 20 pairs",
        position_bias="share of ratings preferring the response shown on the left",
        agreement_interval=(
            f"{options.level:.0%} percentile bootstrap over prompts "
            f"({min(options.resamples, st.AGREEMENT_RESAMPLES)} resamples, seed "
            f"{options.seed}; at most {st.AGREEMENT_RESAMPLES}); every agreement "
            "figure on the same resampled prompts, a category's or an annotator "
            "pair's on the drawn prompts it holds; resamples in which a figure is "
            "undefined are left out of its percentiles"
        ),
        tournament_model=tournament.model_text if tournament else None,
        sequence=None if tournament else _sequence_text(options),
    )


def _sequence_text(options: ReportOptions) -> str:
    rule = "majority" if options.aggregation == "rating" else options.aggregation
    return (
        f"always-valid 95% confidence sequence: {CITATION} Intervals of the win "
        "rate and of win / (win + loss) (decisive pairs only) over the complete "
        "pairs (N ratings each) in the order they completed (the order their N-th "
        f"rating was stored), one outcome per pair by the {rule} rule. Valid under "
        "continuous monitoring: the chance that the true share ever leaves the "
        "interval, however often it is looked at, is at most 5%. Computed on a grid "
        "of 1,001 candidate shares, widened by one step; the running intersection "
        "is kept, so it only narrows"
    )
