"""Tournaments: Bradley-Terry scores (evalica), bootstrap intervals, ranks."""

from __future__ import annotations

import evalica
import numpy as np
import pandas as pd

from .outcomes import LOSS, WIN


def _winners(outcomes: pd.Series) -> list:
    values = outcomes.to_numpy()
    mapping = {WIN: evalica.Winner.X, LOSS: evalica.Winner.Y}
    return [mapping.get(int(v), evalica.Winner.Draw) for v in values]


def ranks_of(scores: pd.Series) -> pd.Series:
    """Rank 1 is the highest score; equal scores share the best rank."""
    return scores.rank(ascending=False, method="min").astype(int)


def bradley_terry(
    outcomes: pd.DataFrame, *, resamples: int = 200, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Bradley-Terry scores of the models, with percentile bootstrap intervals.

    Expects ``candidate`` (model x), ``baseline`` (model y) and ``outcome`` (1: x
    won, -1: y won, 0: tie, counted half). Returns one row per model, best first:
    ``model``, ``score``, ``low``, ``high``, ``rank``, ``matches``, ``wins``,
    ``ties``, ``losses``. Resamples draw outcomes with replacement (seeded).
    """
    xs = outcomes["candidate"].tolist()
    ys = outcomes["baseline"].tolist()
    winners = _winners(outcomes["outcome"])
    result = evalica.bradley_terry(xs, ys, winners)
    scores = result.scores
    table = pd.DataFrame({"model": scores.index, "score": scores.to_numpy()})
    if resamples > 0 and len(xs) > 1:
        boot = evalica.bootstrap(
            evalica.bradley_terry,
            xs,
            ys,
            winners,
            n_resamples=resamples,
            confidence_level=level,
            bootstrap_method="percentile",
            random_state=seed,
        )
        table["low"] = boot.low.reindex(scores.index).to_numpy()
        table["high"] = boot.high.reindex(scores.index).to_numpy()
    else:
        table["low"] = table["high"] = np.nan
    table["rank"] = ranks_of(table["score"]).to_numpy()
    long = pd.concat(
        [
            pd.DataFrame(
                {"model": outcomes["candidate"], "result": outcomes["outcome"]}
            ),
            pd.DataFrame(
                {"model": outcomes["baseline"], "result": -outcomes["outcome"]}
            ),
        ]
    )
    tally = pd.crosstab(long["model"], long["result"]).reindex(
        columns=[WIN, 0, LOSS], fill_value=0
    )
    table["wins"] = table["model"].map(tally[WIN]).fillna(0).astype(int)
    table["ties"] = table["model"].map(tally[0]).fillna(0).astype(int)
    table["losses"] = table["model"].map(tally[LOSS]).fillna(0).astype(int)
    table["matches"] = table["wins"] + table["ties"] + table["losses"]
    return table.sort_values(["rank", "model"]).reset_index(drop=True)


def win_matrix(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Share of the row model's matches against the column model that it won.

    Ties count half. Expects ``candidate``, ``baseline`` and ``outcome``; models
    that never met are missing (NaN). Row and column order: by name.
    """
    points = (outcomes["outcome"].to_numpy() + 1) / 2
    both = pd.DataFrame(
        {
            "row": np.concatenate([outcomes["candidate"], outcomes["baseline"]]),
            "col": np.concatenate([outcomes["baseline"], outcomes["candidate"]]),
            "points": np.concatenate([points, 1 - points]),
        }
    )
    matrix = both.pivot_table(
        index="row", columns="col", values="points", aggfunc="mean"
    )
    models = sorted(set(matrix.index) | set(matrix.columns))
    matrix = matrix.reindex(index=models, columns=models)
    matrix.index.name = matrix.columns.name = None
    return matrix
