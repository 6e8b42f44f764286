"""The always-valid confidence sequence of a head-to-head report: the same
sequence the stopping rule reads (``annotations.sequential_rules``), over the
report's ratings. Pure pandas, no Django."""

from __future__ import annotations

import pandas as pd

from annotations.sequential_rules import sequence_now

from . import statistics as st
from .json_ready import finite
from .report_options import ReportOptions
from .values import SequenceBounds


def sequence_bounds(
    ratings: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    per_pair: int,
    options: ReportOptions,
) -> SequenceBounds:
    """The sequence's intervals after the last complete pair.

    ``ratings``: columns ``comparison_id``, ``rating_id`` and ``score``;
    ``outcomes``: the report's pair outcomes (``statistics.pair_outcomes``). A
    pair is complete with ``per_pair`` ratings and comes in the order of its
    ``per_pair``-th rating's id (the order ratings were stored). Under the
    ``rating`` aggregation the pairs' outcomes are taken by the majority rule.
    """
    ordered = ratings[["comparison_id", "rating_id"]].sort_values("rating_id")
    nth = ordered.groupby("comparison_id").cumcount().to_numpy() == per_pair - 1
    completed = ordered["comparison_id"].to_numpy()[nth]
    if options.aggregation == "rating":
        outcomes = st.pair_outcomes(
            ratings, rule="majority", threshold=options.threshold
        )
    by_pair = outcomes.set_index("comparison_id")["outcome"]
    now = sequence_now(by_pair.reindex(completed).to_numpy())
    return SequenceBounds(
        win=tuple(map(finite, now.win)),
        win_no_ties=tuple(map(finite, now.win_no_ties)),
        pairs=now.pairs,
        decisive=now.decisive,
    )
