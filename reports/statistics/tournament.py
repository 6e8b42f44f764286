"""Tournaments: Bradley-Terry leaderboards and per-pair results, with 95% intervals
from a bootstrap over prompts (a drawn prompt brings all of its votes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .bradley_terry import fit
from .outcomes import LOSS, TIE, WIN

CLUSTER = "prompt"
# Resamples fitted at once: a fit's memory grows with them (each resample's Newton
# system is models x models), so more are fitted a chunk at a time.
CHUNK = 1000


@dataclass(frozen=True)
class PairCounts:
    """Votes counted per prompt and pair of models (i < j, models in name order).

    ``first``, ``second``, ``ties``: sparse (prompts x pairs) counts of i winning,
    j winning and ties; ``pairs``: (n_pairs, 2) model indices.
    """

    models: np.ndarray
    pairs: np.ndarray
    first: sparse.csr_array
    second: sparse.csr_array
    ties: sparse.csr_array

    @property
    def n_prompts(self) -> int:
        return self.first.shape[0]

    def totals(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """First, second and tie counts per pair, each prompt counted ``weights``
        times: ``(n_pairs,)`` without weights, ``(resamples, n_pairs)`` with."""
        if weights is None:
            return tuple(c.sum(axis=0) for c in (self.first, self.second, self.ties))
        return tuple((c.T @ weights.T).T for c in (self.first, self.second, self.ties))


def pair_counts(outcomes: pd.DataFrame) -> PairCounts:
    """Count votes per prompt and pair; expects ``prompt_id``, ``candidate``,
    ``baseline`` and ``outcome`` (1: candidate won, -1: baseline won, 0: tie)."""
    x_codes, y_codes = (outcomes[c].to_numpy() for c in ("candidate", "baseline"))
    codes, models = pd.factorize(np.concatenate([x_codes, y_codes]), sort=True)
    x, y = codes[: len(outcomes)], codes[len(outcomes) :]
    prompt, _ = pd.factorize(outcomes["prompt_id"], sort=True)
    result = outcomes["outcome"].to_numpy()
    low, high = np.minimum(x, y), np.maximum(x, y)
    pair_code, pairs = pd.factorize(low * len(models) + high, sort=True)
    pairs = np.asarray(pairs)
    lower_won = np.where(x == low, result, -result)  # the first model's view
    shape = (int(prompt.max()) + 1 if len(prompt) else 0, len(pairs))

    def counted(mask: np.ndarray) -> sparse.csr_array:
        ones = np.ones(int(mask.sum()))
        return sparse.csr_array((ones, (prompt[mask], pair_code[mask])), shape=shape)

    return PairCounts(
        models=np.asarray(models),
        pairs=np.stack([pairs // max(len(models), 1), pairs % max(len(models), 1)], 1),
        first=counted(lower_won == WIN),
        second=counted(lower_won == LOSS),
        ties=counted(lower_won == TIE),
    )


def prompt_weights(n_prompts: int, resamples: int, seed: int) -> np.ndarray:
    """How often each prompt is drawn in each resample: ``(resamples, n_prompts)``.

    Each resample draws ``n_prompts`` prompts with replacement:
    ``numpy.random.default_rng(seed).integers(0, n_prompts, (resamples, n_prompts))``,
    row by row; prompts are numbered in the order of their ids.
    """
    chunks = list(prompt_weight_chunks(n_prompts, resamples, seed))
    return np.concatenate(chunks) if chunks else np.zeros((0, n_prompts))


def prompt_weight_chunks(
    n_prompts: int, resamples: int, seed: int, rows: int | None = None
) -> Iterator[np.ndarray]:
    """``prompt_weights`` ``rows`` (``CHUNK``) resamples at a time: one generator draws
    the chunks one after the other, so together they are the single draw's rows."""
    rows = rows or CHUNK
    rng = np.random.default_rng(seed)
    for begin in range(0, resamples, rows):
        size = min(rows, resamples - begin)
        drawn = rng.integers(0, n_prompts, (size, n_prompts))
        index = np.repeat(np.arange(size), n_prompts)
        flat = np.bincount(
            index * n_prompts + drawn.ravel(), minlength=size * n_prompts
        )
        yield flat.reshape(size, n_prompts).astype(float)


def ranks_of(scores: pd.Series) -> pd.Series:
    """Rank 1 is the highest score; equal scores share the best rank."""
    return scores.rank(ascending=False, method="min").astype(int)


def _percentiles(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column over the draws where it is defined (not
    NaN), interpolated as ``numpy.percentile`` does; NaN where none is."""
    ordered = np.sort(draws, axis=0)  # NaN last
    defined = np.isfinite(draws).sum(axis=0)
    bounds = []
    for quantile in ((1 - level) / 2, (1 + level) / 2):
        position = np.maximum(defined - 1, 0) * quantile
        below = np.floor(position).astype(int)
        above = np.ceil(position).astype(int)
        low = np.take_along_axis(ordered, below[None], axis=0)[0]
        high = np.take_along_axis(ordered, above[None], axis=0)[0]
        value = low + (position - below) * (high - low)
        bounds.append(np.where(defined > 0, value, np.nan))
    return bounds[0], bounds[1]


@dataclass(frozen=True)
class TournamentFit:
    """A tournament's tables and exactly how they were computed.

    ``leaderboard``: ``model``, ``score``, ``low``, ``high``, ``rank``, ``wins``,
    ``ties``, ``losses``, ``matches``, best first. ``pairs``: one row per pair of
    models with votes: ``model``, ``opponent``, ``n``, ``wins``, ``ties``,
    ``losses`` (the first model's), ``win``, ``tie``, ``loss`` shares and their
    ``*_low`` / ``*_high`` bounds. ``resamples``: how many were drawn (0: no
    intervals); ``tie_parameter``: Davidson's nu (None for ties as half wins).
    """

    leaderboard: pd.DataFrame
    pairs: pd.DataFrame
    tie_model: str
    tie_parameter: float | None
    tie_parameter_low: float | None
    tie_parameter_high: float | None
    resamples: int
    seed: int
    level: float
    cluster: str
    n_clusters: int


def _tally(outcomes: pd.DataFrame, models: np.ndarray) -> pd.DataFrame:
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
        index=models, columns=[WIN, TIE, LOSS], fill_value=0
    )
    return pd.DataFrame(
        {"wins": tally[WIN], "ties": tally[TIE], "losses": tally[LOSS]}
    ).astype(int)


def _pair_table(counts: PairCounts, draws, level: float) -> pd.DataFrame:
    first, second, ties = counts.totals()
    n = first + second + ties
    table = pd.DataFrame(
        {
            "model": counts.models[counts.pairs[:, 0]],
            "opponent": counts.models[counts.pairs[:, 1]],
            "n": n.astype(int),
            "wins": first.astype(int),
            "ties": ties.astype(int),
            "losses": second.astype(int),
        }
    )
    for name, count, drawn in zip(("win", "tie", "loss"), (first, ties, second),
                                  draws, strict=True):  # fmt: skip
        table[name] = count / n
        table[f"{name}_low"], table[f"{name}_high"] = drawn
    return table


def tournament_fit(
    outcomes: pd.DataFrame,
    *,
    tie_model: str = "half",
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> TournamentFit:
    """Bradley-Terry scores and per-pair results, with percentile intervals from
    ``resamples`` draws of prompts (``prompt_weights``); every draw refits the model.

    Expects ``prompt_id``, ``candidate``, ``baseline`` and ``outcome`` (1:
    candidate won, -1: baseline won, 0: tie). ``tie_model``: "half" or "davidson".
    """
    counts = pair_counts(outcomes)
    m = len(counts.models)
    point = fit(counts.pairs, *counts.totals(), n_models=m, tie_model=tie_model)
    resamples = resamples if counts.n_prompts > 0 else 0
    nan = np.full(m, np.nan)
    low, high, nu_bounds = nan, nan, (np.nan, np.nan)
    share_draws = [(np.full(len(counts.pairs), np.nan),) * 2] * 3
    if resamples > 0:
        start = np.log(point.scores)
        scores = np.empty((resamples, m))
        nus = np.empty((resamples, 1)) if point.tie_parameter is not None else None
        shares = [np.empty((resamples, len(counts.pairs))) for _ in range(3)]
        done = 0
        for weights in prompt_weight_chunks(counts.n_prompts, resamples, seed):
            rows = slice(done, done + len(weights))
            done += len(weights)
            first, second, ties = counts.totals(weights)
            drawn = fit(counts.pairs, first, second, ties, n_models=m,
                        tie_model=tie_model, start=start)  # fmt: skip
            scores[rows] = drawn.scores
            if nus is not None:
                nus[rows, 0] = drawn.tie_parameter
            with np.errstate(invalid="ignore", divide="ignore"):
                n = first + second + ties
                for share, count in zip(shares, (first, ties, second), strict=True):
                    share[rows] = count / n
        low, high = _percentiles(scores, level)
        if nus is not None:
            nu_bounds = _percentiles(nus, level)
        share_draws = [_percentiles(share, level) for share in shares]
    board = pd.DataFrame({"model": counts.models, "score": point.scores,
                          "low": low, "high": high})  # fmt: skip
    board["rank"] = ranks_of(board["score"]).to_numpy()
    board = board.join(_tally(outcomes, counts.models), on="model")
    board["matches"] = board["wins"] + board["ties"] + board["losses"]
    nu = point.tie_parameter

    def number(value) -> float | None:
        return None if value is None or not np.isfinite(value) else float(value)

    return TournamentFit(
        leaderboard=board.sort_values(["rank", "model"]).reset_index(drop=True),
        pairs=_pair_table(counts, share_draws, level),
        tie_model=tie_model,
        tie_parameter=number(nu),
        tie_parameter_low=number(np.ravel(nu_bounds[0])[0]) if nu is not None else None,
        tie_parameter_high=number(np.ravel(nu_bounds[1])[0])
        if nu is not None
        else None,
        resamples=resamples,
        seed=seed,
        level=level,
        cluster=CLUSTER,
        n_clusters=counts.n_prompts,
    )


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
