"""Breakdowns of outcomes: category, turns, words, method."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .clustered import clustered_wilson_shares
from .intervals import SHARE_NAMES, bootstrap_counts_many, wilson_shares
from .outcomes import shares


def word_quintiles(word_counts: pd.Series) -> tuple[pd.Series, list[dict]]:
    """Five equal-frequency bins over the given pairs, and each bin's edges.

    Pairs are ordered by word count (ties kept in their given order) and cut into
    five runs whose sizes differ by at most one; bin k (1..5) holds ranks
    ``floor((rank - 1) * 5 / n) == k - 1``. Returns the bin of every row and, per
    bin, ``{"quintile", "min_words", "max_words", "n"}``.
    """
    n = len(word_counts)
    if n == 0:
        return pd.Series([], dtype=int, index=word_counts.index), []
    ranks = word_counts.rank(method="first").to_numpy()
    bins = pd.Series(
        (np.floor((ranks - 1) * 5 / n) + 1).astype(int), index=word_counts.index
    )
    edges = []
    for k, values in word_counts.groupby(bins, sort=True):
        edges.append(
            {
                "quintile": int(k),
                "min_words": int(values.min()),
                "max_words": int(values.max()),
                "n": len(values),
            }
        )
    return bins, edges


def quintile_by_edges(word_counts: pd.Series, edges: list[dict]) -> np.ndarray:
    """The quintile each word count falls in by another set's ``edges`` (as
    ``word_quintiles`` gives them): the first whose largest count reaches it, the
    last for a count above them all."""
    tops = np.array([edge["max_words"] for edge in edges])
    index = np.searchsorted(tops, word_counts.to_numpy(), side="left")
    numbers = np.array([edge["quintile"] for edge in edges])
    return numbers[np.minimum(index, len(numbers) - 1)]


def explode_categories(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per (outcome, category): a prompt in two categories counts in both.

    Expects a ``categories`` column holding lists; adds ``category``.
    """
    lists = outcomes["categories"].to_numpy()
    lengths = np.fromiter(map(len, lists), dtype=int, count=len(lists))
    rows = np.repeat(np.arange(len(lists)), lengths)
    exploded = outcomes.drop(columns="categories").iloc[rows].reset_index(drop=True)
    exploded["category"] = np.array(
        list(itertools.chain.from_iterable(lists)), dtype=object
    )
    return exploded


def group_shares(
    outcomes: pd.DataFrame,
    key: str,
    *,
    interval: str = "bootstrap",
    resamples: int = 1000,
    seed: int = 0,
    clustered: bool = False,
) -> pd.DataFrame:
    """Shares and intervals per value of ``key``.

    Expects ``prompt_id``, ``outcome`` and ``key``. Returns one row per group with
    ``group``, ``n`` (outcomes), ``n_prompts``, the shares and ``<share>_low`` /
    ``<share>_high``. With ``clustered`` (several outcomes per prompt) Wilson's
    interval is the cluster-robust one (``clustered.clustered_wilson_shares``)
    and each row also has ``<share>_design_effect`` and ``<share>_n_effective``.
    """
    keys, groups = pd.factorize(outcomes[key], sort=True)
    prompts, prompt_ids = pd.factorize(outcomes["prompt_id"])
    outcome = outcomes["outcome"].to_numpy().astype(int)
    rows, counts_of = [], []
    for code, group in enumerate(groups):
        mask = keys == code
        counts = np.bincount(
            prompts[mask] * 3 + outcome[mask] + 1, minlength=len(prompt_ids) * 3
        ).reshape(-1, 3)
        counts = counts[counts.sum(axis=1) > 0].astype(float)
        value = group.item() if isinstance(group, np.generic) else group
        row: dict = {"group": value, "n_prompts": len(counts)}
        row.update(shares(outcome[mask]))
        if interval == "wilson" and clustered:
            _add_clustered(row, clustered_wilson_shares(counts))
        elif interval == "wilson":
            _add_bounds(row, wilson_shares(outcome[mask]))
        rows.append(row)
        counts_of.append(counts)
    if interval != "wilson":
        # One batch: each group still draws from its own generator seeded ``seed``.
        bounds_of = bootstrap_counts_many(counts_of, resamples=resamples, seed=seed)
        for row, bounds in zip(rows, bounds_of, strict=True):
            _add_bounds(row, bounds)
    return pd.DataFrame(rows)


def _add_bounds(row: dict, bounds: dict) -> None:
    for name in SHARE_NAMES:
        row[f"{name}_low"], row[f"{name}_high"] = bounds[name]


def _add_clustered(row: dict, intervals: dict) -> None:
    for name in SHARE_NAMES:
        item = intervals[name]
        row[f"{name}_low"], row[f"{name}_high"] = item.low, item.high
        row[f"{name}_design_effect"] = item.design_effect
        row[f"{name}_n_effective"] = item.n_effective


def breakdowns(
    outcomes: pd.DataFrame,
    *,
    interval: str = "bootstrap",
    resamples: int = 1000,
    seed: int = 0,
    clustered: bool = False,
    edges: list[dict] | None = None,
) -> dict[str, object]:
    """All breakdowns of a set of outcomes (``clustered``: see ``group_shares``).

    Expects ``prompt_id``, ``outcome``, ``categories`` (lists), ``num_turns``,
    ``word_count`` and ``collection_method`` ("" for none). Returns tables (DataFrames)
    ``category``, ``turns``, ``turn_kind``, ``quintile``, ``collection_method`` and
    ``quintile_edges`` (a list of dicts). With ``edges`` (another set's quintiles,
    as ``word_quintiles`` gives them) the outcomes come with their ``quintile`` in
    those, and the quintiles are not cut afresh.
    """
    options = {"interval": interval, "resamples": resamples, "seed": seed,
               "clustered": clustered}  # fmt: skip
    columns = ["prompt_id", "outcome", "categories", "num_turns", "word_count",
               "collection_method"]  # fmt: skip
    if edges is None:
        quintile, edges = word_quintiles(outcomes["word_count"])
    else:
        quintile = outcomes["quintile"].to_numpy()
    frame = outcomes[columns].assign(
        turn_kind=np.where(outcomes["num_turns"] > 1, "multi-turn", "single-turn"),
        quintile=quintile,
    )
    multi = frame[(frame["num_turns"] > 1) & (frame["collection_method"] != "")]
    categories = explode_categories(frame[["prompt_id", "outcome", "categories"]])
    return {
        "category": group_shares(categories, "category", **options),
        "turns": group_shares(frame, "num_turns", **options),
        "turn_kind": group_shares(frame, "turn_kind", **options),
        "quintile": group_shares(frame, "quintile", **options),
        "collection_method": group_shares(multi, "collection_method", **options),
        "quintile_edges": edges,
    }


def prompt_counts_table(prompts: pd.DataFrame) -> dict[str, int]:
    """Prompt counts as in the paper's Table 32.

    Expects one row per prompt with ``num_turns``. Returns total, single- and
    multi-turn counts.
    """
    single = int((prompts["num_turns"] <= 1).sum())
    return {
        "prompts": len(prompts),
        "single_turn": single,
        "multi_turn": len(prompts) - single,
    }
