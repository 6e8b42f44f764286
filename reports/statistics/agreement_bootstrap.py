"""95% intervals of agreement: one percentile bootstrap over prompts, vectorised.

A resample draws the evaluation's prompts with replacement; a drawn prompt brings
all its units (comparisons). Resample b draws the prompts (coded 0 to P - 1, in
sorted order) of row b of ``numpy.random.default_rng(seed).integers(0, P,
size=(resamples, P))``, so its weights (how often it drew each prompt) are
multinomial counts. Every figure is computed on the same resamples: the overall
coefficients, each group's (a category's: its units among the drawn prompts) and
each annotator pair's Cohen's kappa (its shared units among the drawn prompts).

Every coefficient is a nonlinear step on sums over units (``agreement_sums``),
and Cohen's kappa one on a pair's table of (rating, rating) cells. So a resample
needs only weights @ (prompts x columns), where a column is a distinct count
pattern of a unit within a group (three ratings on seven points make at most 84
patterns) or a (pair, cell) of Cohen's tables: a sparse matrix, multiplied a
chunk of resamples at a time so that memory stays bounded. A resample in which a
figure is undefined (no unit of its group drawn) is left out of its percentiles.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .agreement_sums import COEFFICIENTS, coefficients, unit_terms

# Values per dense array of one chunk of resamples: 256k floats (2 MB) keep the
# sparse products in cache; larger chunks are slower, not faster.
CHUNK_ENTRIES = 2**18


@dataclass(frozen=True)
class KappaCells:
    """The rating pairs behind Cohen's kappas: per rating pair, its prompt (code),
    its annotator pair (row of the kappa table) and its two ratings' scale
    positions ``a`` and ``b``; ``n_pairs`` rows and ``q`` scale points."""

    prompt: np.ndarray
    pair: np.ndarray
    a: np.ndarray
    b: np.ndarray
    n_pairs: int
    q: int


def prompt_weights(
    n_prompts: int, resamples: int, seed: int, *, columns: int = 0
) -> Iterator[np.ndarray]:
    """Bootstrap weights, prompts x resamples, a chunk of resamples at a time.

    Chunks hold at most ``CHUNK_ENTRIES`` weights (or ``columns`` values per
    resample); their rows are drawn one after the other from one generator, so
    they are the rows of the single draw described in the module's docstring.
    """
    rng = np.random.default_rng(seed)
    size = max(1, CHUNK_ENTRIES // max(n_prompts, columns, 1))
    for start in range(0, resamples, size):
        rows = min(size, resamples - start)
        # int32 draws are the same numbers as the default int64 ones, made faster.
        drawn = rng.integers(0, n_prompts, size=(rows, n_prompts), dtype=np.int32)
        codes = drawn * rows + np.arange(rows)[:, None]
        counts = np.bincount(codes.ravel(), minlength=n_prompts * rows)
        yield counts.reshape(n_prompts, rows).astype(float)


def percentile_bounds(
    draws: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each row of ``draws`` (figures x resamples), leaving
    NaN out: ``numpy.percentile`` of the row's other values (linear
    interpolation). NaN where a row has no value."""
    ordered = np.sort(draws, axis=1)  # NaN sorts last
    finite = (~np.isnan(draws)).sum(axis=1)
    tail = (1 - level) / 2
    bounds = []
    for share in (tail, 1 - tail):
        position = share * np.maximum(finite - 1, 0)
        below = np.floor(position).astype(int)
        above = np.minimum(below + 1, np.maximum(finite - 1, 0))
        low = np.take_along_axis(ordered, below[:, None], axis=1)[:, 0]
        high = np.take_along_axis(ordered, above[:, None], axis=1)[:, 0]
        value = low + (high - low) * (position - below)
        bounds.append(np.where(finite > 0, value, np.nan))
    return bounds[0], bounds[1]


def _kappa_reduction(cells: KappaCells, columns: np.ndarray) -> sparse.csr_matrix:
    """Sums of (pair, cell) counts into each pair's agreeing count and margins.

    ``columns`` codes each (pair, cell) as pair * q * q + a * q + b; the result has
    rows: agreeing (pairs), first margins (pairs x q), second margins (pairs x q).
    """
    q, n_pairs = cells.q, cells.n_pairs
    pair, a, b = columns // (q * q), columns // q % q, columns % q
    rows = np.concatenate(
        [pair, n_pairs + pair * q + a, (1 + q) * n_pairs + pair * q + b]
    )
    data = np.concatenate([(a == b).astype(float), np.ones(2 * len(columns))])
    source = np.tile(np.arange(len(columns)), 3)
    return sparse.csr_matrix(
        (data, (rows, source)), shape=((1 + 2 * q) * n_pairs, len(columns))
    )


def _kappas(totals: np.ndarray, n_pairs: int, q: int) -> np.ndarray:
    """Cohen's kappa of every pair (pairs x draws) from ``_kappa_reduction`` sums."""
    agree = totals[:n_pairs]
    margin_a = totals[n_pairs : (1 + q) * n_pairs].reshape(n_pairs, q, -1)
    margin_b = totals[(1 + q) * n_pairs :].reshape(n_pairs, q, -1)
    n = margin_a.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        po = agree / n
        pe = (margin_a * margin_b).sum(axis=1) / (n * n)
        return np.where((n > 0) & (pe < 1), (po - pe) / (1 - pe), np.nan)


def agreement_intervals(
    score_counts: np.ndarray,
    outcome_counts: np.ndarray,
    points: Sequence[float],
    unit_prompts: np.ndarray,
    groups: Sequence[np.ndarray],
    kappa: KappaCells | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[list[dict[str, tuple[float, float]]], np.ndarray]:
    """Bootstrap intervals of every coefficient of every group, and of every
    annotator pair's Cohen's kappa.

    ``score_counts`` and ``outcome_counts`` are the ``count_matrix`` rows of the
    units (as ``agreement_sums.unit_terms`` takes them); ``unit_prompts`` codes
    each unit's prompt 0 to P - 1 (every code used); ``groups`` are arrays of unit
    positions (all units for the overall figures). Returns, per group, name ->
    (low, high) for ``COEFFICIENTS``, and the kappas' bounds (pairs x 2). NaN
    where no resample defines a figure (or with no resamples).
    """
    n_prompts = int(unit_prompts.max()) + 1 if len(unit_prompts) else 0
    n_kappas = kappa.n_pairs if kappa is not None else 0
    nan = (float("nan"), float("nan"))
    if resamples < 1 or n_prompts == 0:
        return [dict.fromkeys(COEFFICIENTS, nan) for _ in groups], np.full(
            (n_kappas, 2), np.nan
        )
    # Units with the same counts contribute the same terms: one column each per
    # group, pattern-major, so that a chunk's picks are (patterns, groups x draws).
    patterns, unit_pattern = np.unique(
        np.hstack([score_counts, outcome_counts]).astype(np.int64),
        axis=0,
        return_inverse=True,
    )
    q, n_groups, k = score_counts.shape[1], len(groups), len(patterns)
    terms = unit_terms(patterns[:, :q], patterns[:, q:], points)
    rows = [unit_prompts[units] for units in groups]
    columns = [
        unit_pattern.ravel()[units] * n_groups + g for g, units in enumerate(groups)
    ]
    kappa_columns = np.zeros(0, dtype=np.int64)
    if kappa is not None and len(kappa.prompt):
        codes = (kappa.pair * kappa.q + kappa.a) * kappa.q + kappa.b
        kappa_columns, inverse = np.unique(codes, return_inverse=True)
        reduction = _kappa_reduction(kappa, kappa_columns)
        rows.append(kappa.prompt)
        columns.append(n_groups * k + inverse.ravel())
    width = n_groups * k + len(kappa_columns)
    row, column = np.concatenate(rows), np.concatenate(columns)
    # Columns x prompts: entry = that prompt's units (or rating pairs) in the column.
    design = sparse.csr_matrix(
        (np.ones(len(row)), (column, row)), shape=(width, n_prompts)
    )
    draws = np.empty((len(COEFFICIENTS), n_groups, resamples))
    kappa_draws = np.empty((n_kappas, resamples))
    size = max(width, n_kappas * (1 + 2 * q))
    start = 0
    for weights in prompt_weights(n_prompts, resamples, seed, columns=size):
        totals = design @ weights  # columns x resamples of the chunk
        stop = start + weights.shape[1]
        picks = totals[: n_groups * k].reshape(k, -1)  # patterns x (groups x draws)
        values = coefficients(terms.T @ picks, points)
        for c, name in enumerate(COEFFICIENTS):
            draws[c, :, start:stop] = values[name].reshape(n_groups, -1)
        if len(kappa_columns):
            tables = reduction @ totals[n_groups * k :]
            kappa_draws[:, start:stop] = _kappas(tables, n_kappas, kappa.q)
        start = stop
    low, high = percentile_bounds(draws.reshape(-1, resamples), level)
    low, high = low.reshape(len(COEFFICIENTS), -1), high.reshape(len(COEFFICIENTS), -1)
    bounds = [
        {
            name: (float(low[c, g]), float(high[c, g]))
            for c, name in enumerate(COEFFICIENTS)
        }
        for g in range(n_groups)
    ]
    if not len(kappa_columns):
        return bounds, np.full((n_kappas, 2), np.nan)
    kappa_low, kappa_high = percentile_bounds(kappa_draws, level)
    return bounds, np.stack([kappa_low, kappa_high], axis=1)
