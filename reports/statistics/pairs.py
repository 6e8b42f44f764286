"""Pairs of two raters' ratings of the same unit, and Cohen's kappa over them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .agreement import scale_positions
from .agreement_bootstrap import KappaCells


def rating_pairs(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """Every ordered pair of two raters' ratings of the same unit.

    Returns a frame of integer columns ``rater_a``, ``value_a``, ``rater_b``,
    ``value_b`` (raters as codes into the returned, sorted index of rater names;
    values as given), ``row_a`` and ``row_b`` (positions in ``frame``, so other
    columns of the same rows can be compared without pairing again), and that index.
    """
    raters, names = pd.factorize(frame["rater"], sort=True)
    units, _ = pd.factorize(frame["unit"])
    values = frame["value"].to_numpy()
    # Enumerate the pairs with numpy: sort by unit, then pair every rating with
    # every position of its unit's run (a merge does the same, ten times slower).
    order = np.argsort(units, kind="stable")
    sorted_units = units[order]
    starts = np.flatnonzero(np.r_[True, sorted_units[1:] != sorted_units[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    run = np.repeat(np.arange(len(starts)), sizes)
    repeat = sizes[run]
    a = np.repeat(np.arange(len(order)), repeat)
    offsets = np.arange(len(a)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    b = np.repeat(starts[run], repeat) + offsets
    keep = (a != b) & (raters[order][a] != raters[order][b])
    a, b = order[a[keep]], order[b[keep]]
    pairs = pd.DataFrame(
        {
            "rater_a": raters[a],
            "value_a": values[a],
            "rater_b": raters[b],
            "value_b": values[b],
            "row_a": a,
            "row_b": b,
        }
    )
    return pairs, pd.Index(names)


def cohen_kappa_pairs(
    frame: pd.DataFrame,
    categories: Sequence[float],
    *,
    min_shared: int = 20,
    pairs: tuple[pd.DataFrame, pd.Index] | None = None,
) -> pd.DataFrame:
    """Cohen's kappa for every two raters sharing at least ``min_shared`` units.

    ``pairs`` may pass ``rating_pairs`` of the same rows, computed once elsewhere.
    Returns ``rater_a``, ``rater_b`` (a < b), ``n``, ``agreement`` and ``kappa``.
    """
    columns = ["rater_a", "rater_b", "n", "agreement", "kappa"]
    rater_a, value_a, rater_b, value_b, names = _pair_arrays(frame, pairs)
    ordered = rater_a < rater_b
    rater_a, value_a = rater_a[ordered], value_a[ordered]
    rater_b, value_b = rater_b[ordered], value_b[ordered]
    key = rater_a * len(names) + rater_b
    kept, position, n = np.unique(key, return_inverse=True, return_counts=True)
    enough = n >= min_shared
    if not enough.any():
        return pd.DataFrame(columns=columns)
    q = len(categories)
    value_a = scale_positions(value_a, categories)
    value_b = scale_positions(value_b, categories)
    agree = np.bincount(position, weights=value_a == value_b, minlength=len(kept))
    margin_a = np.bincount(position * q + value_a, minlength=len(kept) * q)
    margin_b = np.bincount(position * q + value_b, minlength=len(kept) * q)
    margin_a = margin_a.reshape(-1, q) / n[:, None]
    margin_b = margin_b.reshape(-1, q) / n[:, None]
    po = agree / n
    pe = (margin_a * margin_b).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
    result = pd.DataFrame(
        {
            "rater_a": names[kept // len(names)],
            "rater_b": names[kept % len(names)],
            "n": n,
            "agreement": po,
            "kappa": kappa,
        }
    )
    return result[enough].reset_index(drop=True)[columns]


def kappa_cells(
    frame: pd.DataFrame,
    categories: Sequence[float],
    prompts: np.ndarray,
    kappas: pd.DataFrame,
    *,
    pairs: tuple[pd.DataFrame, pd.Index] | None = None,
) -> KappaCells:
    """The rating pairs behind the rows of ``kappas`` (``cohen_kappa_pairs`` of
    ``frame``), for ``agreement_intervals``: ``prompts`` codes the prompt of each
    row of ``frame``; ``pairs`` as in ``cohen_kappa_pairs``."""
    pairs_frame, names = rating_pairs(frame) if pairs is None else pairs
    rater_a, rater_b = (
        pairs_frame["rater_a"].to_numpy(),
        pairs_frame["rater_b"].to_numpy(),
    )
    shown = names.get_indexer(kappas["rater_a"]) * len(names) + names.get_indexer(
        kappas["rater_b"]
    )
    position = pd.Index(shown).get_indexer(rater_a * len(names) + rater_b)
    keep = (rater_a < rater_b) & (position >= 0)
    row_a = pairs_frame["row_a"].to_numpy()[keep]
    row_b = pairs_frame["row_b"].to_numpy()[keep]
    values = frame["value"].to_numpy()
    return KappaCells(
        prompt=np.asarray(prompts)[row_a],
        pair=position[keep],
        a=scale_positions(values[row_a], categories),
        b=scale_positions(values[row_b], categories),
        n_pairs=len(kappas),
        q=len(categories),
    )


def _pair_arrays(frame: pd.DataFrame, pairs):
    """``rater_a``, ``value_a``, ``rater_b``, ``value_b`` (numpy) and the names of
    the raters: the pairs of ``frame`` with ``frame``'s own values, reusing given
    pairs (``rating_pairs`` of the same rows)."""
    if pairs is None:
        pairs, names = rating_pairs(frame)
        value_a, value_b = pairs["value_a"].to_numpy(), pairs["value_b"].to_numpy()
    else:
        pairs, names = pairs
        values = frame["value"].to_numpy()
        value_a = values[pairs["row_a"].to_numpy()]
        value_b = values[pairs["row_b"].to_numpy()]
    return (
        pairs["rater_a"].to_numpy(),
        value_a,
        pairs["rater_b"].to_numpy(),
        value_b,
        names,
    )
