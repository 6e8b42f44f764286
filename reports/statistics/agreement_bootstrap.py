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

Unlike ``intervals.bootstrap_shares`` (one multinomial over the distinct count
vectors), prompts are drawn one by one: the annotator pairs' cells make nearly
every prompt distinct, and one draw then serves every figure. The count patterns
still group the units, so the product's cost does not grow with the terms.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .agreement_sums import COEFFICIENTS, coefficients, unit_terms

# Resamples at most: every figure's draws are kept for its percentiles (an
# annotator pair's too: 1,800 pairs x 2,000 resamples are 29 MB).
AGREEMENT_RESAMPLES = 2000
# Values per dense array of one chunk of resamples: 256k float32 (1 MB) keep the
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
    """Bootstrap weights, prompts x resamples (float32), a chunk of resamples at
    a time.

    Chunks hold about ``CHUNK_ENTRIES`` weights (or ``columns`` values per
    resample); their rows are drawn one after the other from one generator, so
    they are the rows of the single draw described in the module's docstring.
    """
    rng = np.random.default_rng(seed)
    # At least 16 resamples a chunk: the products' cost per entry grows when few.
    size = max(16, CHUNK_ENTRIES // max(n_prompts, columns, 1))
    for start in range(0, resamples, size):
        rows = min(size, resamples - start)
        # int32 draws are the same numbers as the default int64 ones, made faster.
        drawn = rng.integers(0, n_prompts, size=(rows, n_prompts), dtype=np.int32)
        # Row b of a CSR matrix whose column indices are resample b's draws: its
        # dense form sums the repeated entries, so it counts each prompt's draws
        # (half the time of bincount on codes, with no codes to compute).
        draws = sparse.csr_matrix(
            (
                np.ones(drawn.size, dtype=np.float32),
                drawn.ravel(),
                np.arange(0, drawn.size + 1, n_prompts),
            ),
            shape=(rows, n_prompts),
        )
        yield np.ascontiguousarray(draws.toarray().T)


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
    data = np.concatenate([a == b, np.ones(2 * len(columns))]).astype(np.float32)
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


@dataclass(frozen=True)
class AgreementIntervals:
    """Per group, each coefficient's estimate and (low, high); per kappa pair (a
    row of ``kappa_bounds``), low and high."""

    estimates: list[dict[str, float]]
    bounds: list[dict[str, tuple[float, float]]]
    kappa_bounds: np.ndarray


def _distinct_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a non-negative integer array, and each row's index
    among them (one integer code per row: faster than ``np.unique(axis=0)``)."""
    base = int(counts.max()) + 1 if counts.size else 1
    if base ** counts.shape[1] >= 2**62:
        distinct, inverse = np.unique(counts, axis=0, return_inverse=True)
        return distinct, inverse.ravel()
    codes = counts @ (base ** np.arange(counts.shape[1], dtype=np.int64))
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return counts[first], inverse


def _by_group(values: dict[str, np.ndarray], n_groups: int) -> list[dict]:
    return [
        {name: float(value.reshape(n_groups)[g]) for name, value in values.items()}
        for g in range(n_groups)
    ]


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
) -> AgreementIntervals:
    """Every coefficient of every group with its bootstrap interval, and the
    interval of every annotator pair's Cohen's kappa.

    ``score_counts`` and ``outcome_counts`` are the ``count_matrix`` rows of the
    units (as ``agreement_sums.unit_terms`` takes them); ``unit_prompts`` codes
    each unit's prompt 0 to P - 1 (every code used); ``groups`` are arrays of unit
    positions (all units for the overall figures). Bounds are NaN where no
    resample defines a figure, and without resamples; ``resamples`` above
    ``AGREEMENT_RESAMPLES`` count as that many.
    """
    resamples = min(resamples, AGREEMENT_RESAMPLES)
    n_prompts = int(unit_prompts.max()) + 1 if len(unit_prompts) else 0
    q, n_groups = score_counts.shape[1], len(groups)
    n_kappas = kappa.n_pairs if kappa is not None else 0
    # Units with the same counts contribute the same terms: one column each per
    # group, pattern-major, so that picks are (patterns, groups x draws).
    patterns, unit_pattern = _distinct_rows(
        np.hstack([score_counts, outcome_counts]).astype(np.int64)
    )
    k = len(patterns)
    terms = unit_terms(patterns[:, :q], patterns[:, q:], points)
    rows = [np.concatenate([unit_prompts[units] for units in groups])]
    columns = [
        np.concatenate(
            [unit_pattern[units] * n_groups + g for g, units in enumerate(groups)]
        )
    ]
    units = np.bincount(columns[0], minlength=k * n_groups).reshape(k, n_groups)
    estimates = _by_group(coefficients(terms.T @ units, points), n_groups)
    nan = (float("nan"), float("nan"))
    if resamples < 1 or n_prompts == 0:
        bounds = [dict.fromkeys(COEFFICIENTS, nan) for _ in groups]
        return AgreementIntervals(estimates, bounds, np.full((n_kappas, 2), np.nan))
    kappa_columns = np.zeros(0, dtype=np.int64)
    if kappa is not None and len(kappa.prompt):
        codes = (kappa.pair * kappa.q + kappa.a) * kappa.q + kappa.b
        kappa_columns, inverse = np.unique(codes, return_inverse=True)
        reduction = _kappa_reduction(kappa, kappa_columns)
        rows.append(kappa.prompt)
        columns.append(n_groups * k + inverse.ravel())
    width = n_groups * k + len(kappa_columns)
    row, column = np.concatenate(rows), np.concatenate(columns)
    # Columns x prompts: entry = that prompt's units (or rating pairs) in the
    # column. Counts in float32 are exact and halve the products' memory traffic.
    design = sparse.csr_matrix(
        (np.ones(len(row), dtype=np.float32), (column, row)),
        shape=(width, n_prompts),
    )
    picks = np.empty((k, n_groups, resamples))  # drawn units per pattern
    kappa_draws = np.empty((n_kappas, resamples))
    size = max(width, n_kappas * (1 + 2 * q))
    start = 0
    for weights in prompt_weights(n_prompts, resamples, seed, columns=size):
        totals = design @ weights  # columns x resamples of the chunk
        stop = start + weights.shape[1]
        picks[:, :, start:stop] = totals[: n_groups * k].reshape(k, n_groups, -1)
        if len(kappa_columns):
            tables = (reduction @ totals[n_groups * k :]).astype(float)
            kappa_draws[:, start:stop] = _kappas(tables, n_kappas, kappa.q)
        start = stop
    # One product for all resamples: many small ones cost more than the whole.
    values = coefficients(terms.T @ picks.reshape(k, -1), points)
    draws = np.stack([values[name] for name in COEFFICIENTS])
    low, high = percentile_bounds(draws.reshape(-1, resamples), level)
    low = low.reshape(len(COEFFICIENTS), n_groups)
    high = high.reshape(len(COEFFICIENTS), n_groups)
    bounds = [
        {
            name: (float(low[c, g]), float(high[c, g]))
            for c, name in enumerate(COEFFICIENTS)
        }
        for g in range(n_groups)
    ]
    kappa_bounds = np.full((n_kappas, 2), np.nan)
    if len(kappa_columns):
        kappa_bounds = np.stack(percentile_bounds(kappa_draws, level), axis=1)
    return AgreementIntervals(estimates, bounds, kappa_bounds)
