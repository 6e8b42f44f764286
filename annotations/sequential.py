"""Always-valid confidence sequences for the mean of observations in [0, 1].

The hedged betting confidence sequence of Waudby-Smith and Ramdas (2023),
"Estimating means of bounded random variables by betting", Journal of the Royal
Statistical Society Series B 86(1), Theorem 3, with the predictable plug-in bets
of their section 5. For each candidate mean m two gamblers bet on the
observations, one that the mean is above m and one that it is below:

    K+_t(m) = prod_{i<=t} (1 + l+_i(m) (x_i - m)),  l+_i(m) = min(l_i, c / m)
    K-_t(m) = prod_{i<=t} (1 - l-_i(m) (x_i - m)),  l-_i(m) = min(l_i, c / (1 - m))
    l_i = sqrt(2 log(2 / alpha) / (s2_{i-1} i log(1 + i)))   (c = 1/2)

with s2 the running variance of the observations about their running mean (both
started at 1/4 and 1/2). m is excluded at time t once max(K+, K-) / 2 >= 1 / alpha;
by Ville's inequality the true mean is excluded at any time with probability at
most alpha, however often the sequence is looked at. The running intersection over
time is kept, so the intervals only shrink.

The set is computed over a grid of candidate means and widened by one grid step on
each side (conservative: the boundary lies between an accepted and a rejected
point). Pure numpy: no Django.
"""

from __future__ import annotations

import numpy as np

CITATION = (
    "Waudby-Smith, I. and Ramdas, A. (2023). Estimating means of bounded random "
    "variables by betting. Journal of the Royal Statistical Society Series B "
    "86(1), 1-27. Hedged capital process with predictable plug-in bets "
    "(Theorem 3); valid under continuous monitoring."
)
METHOD = "hedged betting confidence sequence (Waudby-Smith and Ramdas 2023)"
_C = 0.5
_CHUNK = 256


def bets(x: np.ndarray, *, alpha: float = 0.05) -> np.ndarray:
    """The predictable plug-in bet sizes l_t for observations ``x`` along the last
    axis (one stream, or one per row): l_t uses x_1..x_{t-1} only."""
    x = np.asarray(x, dtype=float)
    t = np.arange(1, x.shape[-1] + 1, dtype=float)
    mean = (0.5 + np.cumsum(x, axis=-1)) / (t + 1)
    variance = (0.25 + np.cumsum((x - mean) ** 2, axis=-1)) / (t + 1)
    earlier = np.concatenate(
        [np.full((*x.shape[:-1], 1), 0.25), variance[..., :-1]], axis=-1
    )
    return np.minimum(np.sqrt(2 * np.log(2 / alpha) / (earlier * t * np.log1p(t))), _C)


def log_capital(x: np.ndarray, m: float, *, alpha: float = 0.05) -> np.ndarray:
    """log of the hedged capital max(K+, K-) / 2 at the candidate mean ``m`` after
    each observation, along the last axis of ``x`` (many streams at once)."""
    x = np.asarray(x, dtype=float)
    size = bets(x, alpha=alpha)
    up = np.minimum(size, _C / m) if m > 0 else size
    down = np.minimum(size, _C / (1 - m)) if m < 1 else size
    plus = np.cumsum(np.log1p(up * (x - m)), axis=-1)
    minus = np.cumsum(np.log1p(-down * (x - m)), axis=-1)
    return np.maximum(plus, minus) - np.log(2)


def excluded_from(x: np.ndarray, m: float, *, alpha: float = 0.05) -> np.ndarray:
    """For each time, whether ``m`` has been excluded at that time or before (the
    running intersection): exact, no grid."""
    reached = log_capital(x, m, alpha=alpha) >= np.log(1 / alpha)
    return np.maximum.accumulate(reached, axis=-1)


def confidence_sequence(
    x: np.ndarray, *, alpha: float = 0.05, grid: int = 1001
) -> tuple[np.ndarray, np.ndarray]:
    """The (1 - alpha) confidence sequence of the mean of ``x`` (values in [0, 1],
    in the order observed): arrays (lows, highs), one interval per time.

    Each interval is the running intersection of the sets of candidate means not
    yet excluded, on ``grid`` points of [0, 1], widened by one step. Memory is
    bounded by computing ``_CHUNK`` times at once.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or (len(x) and (x.min() < 0 or x.max() > 1)):
        raise ValueError("observations must be one stream of values in [0, 1]")
    m = np.linspace(0, 1, grid)
    step = 1 / (grid - 1)
    size = bets(x, alpha=alpha)
    up = np.minimum(size[:, None], _C / np.maximum(m, 1e-12))
    down = np.minimum(size[:, None], _C / np.maximum(1 - m, 1e-12))
    threshold = np.log(2 / alpha)
    plus, minus = np.zeros(grid), np.zeros(grid)
    alive = np.ones(grid, dtype=bool)
    lows, highs = np.empty(len(x)), np.empty(len(x))
    for start in range(0, len(x), _CHUNK):
        part = slice(start, start + _CHUNK)
        moved = x[part, None] - m
        plus_t = plus + np.cumsum(np.log1p(up[part] * moved), axis=0)
        minus_t = minus + np.cumsum(np.log1p(-down[part] * moved), axis=0)
        plus, minus = plus_t[-1], minus_t[-1]
        kept = np.logical_and.accumulate(
            np.vstack([alive, np.maximum(plus_t, minus_t) < threshold]), axis=0
        )[1:]
        alive = kept[-1]
        lows[part], highs[part] = _ends(kept, m, step)
    return lows, highs


def _ends(kept: np.ndarray, m: np.ndarray, step: float) -> tuple[np.ndarray, ...]:
    """Lowest and highest kept point of each row, widened by a step; an empty row
    (probability at most alpha) is an empty interval at the grid's middle."""
    some = kept.any(axis=1)
    first = np.argmax(kept, axis=1)
    last = len(m) - 1 - np.argmax(kept[:, ::-1], axis=1)
    low = np.where(some, np.maximum(m[first] - step, 0.0), 0.5)
    high = np.where(some, np.minimum(m[last] + step, 1.0), 0.5)
    return low, high


def current_interval(
    x: np.ndarray, *, alpha: float = 0.05, grid: int = 1001
) -> tuple[float, float]:
    """The sequence's interval after the last observation, as the last of
    ``confidence_sequence``; (0, 1) before any.

    Only the grid points never excluded matter now, so it looks at every 50th
    point and the running mean's point with 2 on each side first, then bisects
    between the outermost kept point and its excluded neighbour on each side:
    about 40 points instead of 1,001, most of them excluded within a few hundred
    observations. That is the same answer when the kept points are contiguous
    (an interval, as they are); when the first look says otherwise, or finds no
    kept point, it looks at every point.
    """
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return (0.0, 1.0)
    m = np.linspace(0, 1, grid)
    size = bets(x, alpha=alpha)

    def kept(points: np.ndarray) -> np.ndarray:
        return _never_excluded(x, size, m[points], alpha)

    centre = round(float(x.mean()) * (grid - 1))
    looked = np.union1d(
        np.arange(0, grid, _COARSE),
        np.arange(max(centre - _NEAR, 0), min(centre + _NEAR + 1, grid)),
    )
    inside = np.flatnonzero(kept(looked))
    if len(inside) == 0 or inside[-1] - inside[0] + 1 != len(inside):
        every = np.arange(grid)
        found = every[kept(every)]
        if len(found) == 0:
            return (0.5, 0.5)
        first, last = found.min(), found.max()
    else:
        first, last = looked[inside[0]], looked[inside[-1]]
        if inside[0] > 0:
            first = _bisect(kept, first, looked[inside[0] - 1])
        if inside[-1] + 1 < len(looked):
            last = _bisect(kept, last, looked[inside[-1] + 1])
    step = 1 / (grid - 1)
    return (float(max(m[first] - step, 0.0)), float(min(m[last] + step, 1.0)))


_COARSE, _NEAR = 50, 2
_ENTRIES = 2**14  # values per array of a chunk of ``_never_excluded`` (in cache)


def _bisect(kept, inside: int, outside: int) -> int:
    """The grid index next to the boundary on the kept side, between a kept index
    and an excluded one (one crossing between them)."""
    while abs(outside - inside) > 1:
        middle = (inside + outside) // 2
        if kept(np.array([middle]))[0]:
            inside = middle
        else:
            outside = middle
    return int(inside)


def _never_excluded(
    x: np.ndarray, size: np.ndarray, m: np.ndarray, alpha: float
) -> np.ndarray:
    """For each candidate mean in ``m``: whether it is still in the sequence after
    the last observation (never excluded).

    Times are taken a chunk at a time (about ``_ENTRIES`` values: longer chunks
    for fewer points) and a point once excluded is dropped from the later chunks:
    most points of a first look are excluded within the first few hundred
    observations. Each chunk's running sums continue the previous chunk's last
    (the carry is the first term of the chunk's cumulative sum), so they are the
    sums of one pass over all times, to the bit.
    """
    threshold = np.log(2 / alpha)
    alive = np.ones(len(m), dtype=bool)
    left = np.arange(len(m))  # the points not yet excluded
    points = m
    plus, minus = np.zeros(len(m)), np.zeros(len(m))
    start = 0
    while start < len(x) and len(left):
        part = slice(start, start + max(_CHUNK, _ENTRIES // len(left)))
        start = part.stop
        up = np.minimum(size[part, None], _C / np.maximum(points, 1e-12))
        down = np.minimum(size[part, None], _C / np.maximum(1 - points, 1e-12))
        moved = x[part, None] - points
        plus_t = np.cumsum(np.vstack([plus, np.log1p(up * moved)]), axis=0)[1:]
        minus_t = np.cumsum(np.vstack([minus, np.log1p(-down * moved)]), axis=0)[1:]
        kept = (np.maximum(plus_t, minus_t) < threshold).all(axis=0)
        alive[left[~kept]] = False
        left, points = left[kept], points[kept]
        plus, minus = plus_t[-1, kept], minus_t[-1, kept]
    return alive
