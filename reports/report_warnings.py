"""A report's warnings about its own numbers: pure pandas, no Django.

Each warning is a ``values.ReportWarning``; the report keeps them in the order of
``CODES``, and the page, the JSON and the CSV show them as they are.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .values import (
    BreakdownRow,
    Breakdowns,
    EvaluationSummary,
    Headline,
    ReportWarning,
    Tournament,
)

# A group (the whole evaluation, a category, ...) with fewer prompts than this has
# an interval too unreliable to draw: it is marked, and no error bar is drawn.
MIN_GROUP_PROMPTS = 10
# Fewer bootstrap resamples than this make a 95% percentile interval from a handful
# of draws in each tail: it may not even hold the estimate.
MIN_RESAMPLES = 100
CODES = (
    "few_ratings",
    "few_prompts",
    "few_resamples",
    "zero_width",
    "not_estimable",
    "category_variants",
)
SHARE_NAMES = ("win", "tie", "loss", "win_no_ties")


def _count(n: int, one: str, many: str) -> str:
    """ "1 group has", "2 groups have": ``n`` and the words that go with it."""
    return f"{n} {one if n == 1 else many}"


def few_ratings(
    ratings: pd.DataFrame, evaluation: EvaluationSummary, rule: str
) -> ReportWarning | None:
    """Rated pairs with fewer ratings than the evaluation asks for (``comparison_id``).

    Such pairs are in the report (``statistics.pair_outcomes`` aggregates the ratings
    a pair has); pairs without a rating are not in the ratings at all.
    """
    wanted = evaluation.annotators_per_pair
    per_pair = np.bincount(pd.factorize(ratings["comparison_id"])[0])
    short = per_pair[per_pair < wanted]
    if not len(short):
        return None
    how = (
        "each of their ratings is one outcome"
        if rule == "rating"
        else f"each one's outcome is the {rule} of the ratings it has"
    )
    # Only the counts that occur: ``wanted`` may be large.
    counts, pairs = np.unique(short, return_counts=True)
    detail = tuple(
        f"{_count(int(k), 'rating', 'ratings')}: {_count(int(n), 'pair', 'pairs')}"
        for k, n in zip(counts, pairs, strict=True)
    )
    # An imported evaluation's N is the most ratings one of its pairs came with
    # (crowd votes come 1 to 5 a pair): nobody asked for it.
    why = (
        f"the most a pair of this imported evaluation has is {wanted}"
        if evaluation.source == "imported"
        else f"the evaluation asks for {wanted} per pair"
    )
    return ReportWarning(
        code="few_ratings",
        message=f"{len(short)} of {_count(len(per_pair), 'rated pair', 'rated pairs')}"
        f" {'has' if len(short) == 1 else 'have'} fewer than {wanted} ratings "
        f"({why}). They are included: {how}. Pairs without any rating are not in the "
        "report.",
        count=len(short),
        detail=detail,
    )


def _groups(
    headline: Headline, breakdowns: Breakdowns
) -> Iterator[tuple[str, Headline | BreakdownRow]]:
    """(label, row) of the headline and of every breakdown row."""
    yield "overall", headline
    for section, rows in breakdowns.sections():
        for row in rows:
            yield f"{section} {row.group}", row


def few_prompts(headline: Headline, breakdowns: Breakdowns) -> ReportWarning | None:
    """Groups with outcomes but fewer than ``MIN_GROUP_PROMPTS`` prompts."""
    detail = tuple(
        f"{label} ({_count(row.n_prompts, 'prompt', 'prompts')})"
        for label, row in _groups(headline, breakdowns)
        if row.n and not row.reliable
    )
    if not detail:
        return None
    return ReportWarning(
        code="few_prompts",
        message=f"{_count(len(detail), 'group has', 'groups have')} fewer than "
        f"{MIN_GROUP_PROMPTS} prompts: their intervals are unreliable; they are "
        "marked so and not drawn as error bars in the figures.",
        count=len(detail),
        detail=detail,
    )


def few_resamples(resamples: int | None) -> ReportWarning | None:
    """Bootstrap intervals from fewer than ``MIN_RESAMPLES`` resamples (a new-user
    pass read "win 21.1%, 95% interval 15.8-15.8" at one resample). ``resamples``:
    the bootstrap's, None when the intervals are no bootstrap."""
    if resamples is None or not 0 < resamples < MIN_RESAMPLES:
        return None
    return ReportWarning(
        code="few_resamples",
        message=f"The intervals come from {_count(resamples, 'bootstrap resample', 'bootstrap resamples')}: "
        f"too few for a 95% interval (it may not even hold the estimate). Use at "
        f"least {MIN_RESAMPLES}; the default is 1,000.",
        count=resamples,
        detail=(f"resamples: {resamples}",),
    )


def zero_width(headline: Headline, breakdowns: Breakdowns) -> ReportWarning | None:
    """Intervals (the chosen kind) with low == high on a group with outcomes."""
    detail = []
    for label, row in _groups(headline, breakdowns):
        if not row.n:
            continue
        for share in SHARE_NAMES:
            low, high = row.bounds(share)
            if low is not None and low == high:
                detail.append(f"{label}: {share}")
    if not detail:
        return None
    return ReportWarning(
        code="zero_width",
        message=f"{_count(len(detail), 'interval has', 'intervals have')} zero "
        "width (low = high) on groups with outcomes: every resample gave the same "
        "share, which shows too few or too uniform prompts, not certainty.",
        count=len(detail),
        detail=tuple(detail),
    )


def not_estimable(tournament: Tournament) -> ReportWarning | None:
    """Models that won every match or lost every match (no ties): Bradley-Terry has
    no finite score for them, so their score and interval only say "above" or
    "below" the others."""
    extreme = [
        row.model
        for row in tournament.leaderboard
        if row.matches and (row.wins == row.matches or row.losses == row.matches)
    ]
    if not extreme:
        return None
    return ReportWarning(
        code="not_estimable",
        message=f"{_count(len(extreme), 'model', 'models')} won every match or lost "
        "every match: Bradley-Terry has no finite score for "
        f"{'it' if len(extreme) == 1 else 'them'}. The score shown is where the fit "
        "stopped; read only its rank.",
        count=len(extreme),
        detail=tuple(extreme),
    )


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def category_variants(ratings: pd.DataFrame) -> ReportWarning | None:
    """Categories that differ only in case or spacing ("Yelp" and "yelp ").

    Expects ``prompt_id`` and ``categories`` (lists). They stay separate groups.
    """
    lists = ratings.drop_duplicates("prompt_id")["categories"]
    names = sorted(set(itertools.chain.from_iterable(lists)))
    by_normal: dict[str, list[str]] = {}
    for name in names:
        by_normal.setdefault(_normal(name), []).append(name)
    detail = tuple(
        ", ".join(f'"{name}"' for name in variants)
        for variants in by_normal.values()
        if len(variants) > 1
    )
    if not detail:
        return None
    return ReportWarning(
        code="category_variants",
        message=f"{_count(len(detail), 'category is', 'categories are')} spelled "
        "in more than one way, differing only in case or spacing; each spelling is "
        "reported as its own group (they are not merged).",
        count=len(detail),
        detail=detail,
    )


def report_warnings(
    ratings: pd.DataFrame,
    evaluation: EvaluationSummary,
    rule: str,
    headline: Headline | None = None,
    breakdowns: Breakdowns | None = None,
    tournament: Tournament | None = None,
    resamples: int | None = None,
) -> tuple[ReportWarning, ...]:
    """Every warning of a report, in the order of ``CODES``.

    ``headline`` and ``breakdowns`` (a head-to-head report's) add the warnings
    on groups and intervals; a ``tournament`` the one on scores without a finite
    estimate; ``resamples`` (the bootstrap's, if the intervals are one) the one on
    too few of them.
    """
    found = [few_ratings(ratings, evaluation, rule)]
    if headline is not None and breakdowns is not None:
        found.append(few_prompts(headline, breakdowns))
    found.append(few_resamples(resamples))
    if headline is not None and breakdowns is not None:
        found.append(zero_width(headline, breakdowns))
    if tournament is not None:
        found.append(not_estimable(tournament))
    found.append(category_variants(ratings))
    return tuple(item for item in found if item is not None)
