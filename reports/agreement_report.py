"""The report's agreement section (``values.Agreement``) from a ratings frame."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import statistics as st
from .json_ready import finite as _finite
from .json_ready import finite_items as _finite_items
from .json_ready import records
from .report_options import ReportOptions
from .values import (
    Agreement,
    Alpha,
    CategoryAgreement,
    ChanceCorrected,
    CohenKappaRow,
    KappaSummary,
    PercentAgreement,
    Proportion,
)

OUTCOME_POINTS = (-1, 0, 1)
CATEGORY_FIGURES = ("ac1_outcomes", "fleiss_kappa_outcomes", "alpha_ordinal",
                    "alpha_nominal", "percent_with_ties", "percent_without_ties")  # fmt: skip


def _chance(result: Mapping[str, Any], interval) -> ChanceCorrected:
    return ChanceCorrected(**_finite_items(result), interval=_pair(interval))


def _pair(bounds) -> tuple[float | None, float | None]:
    return (_finite(float(bounds[0])), _finite(float(bounds[1])))


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


def rating_scores(ratings: pd.DataFrame) -> pd.DataFrame:
    """The ratings as agreement reads them: unit (the comparison), rater, value."""
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
    ``scores``: their ``rating_scores``, likewise.
    """
    points = list(scale_points)
    scores = rating_scores(ratings) if scores is None else scores
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
