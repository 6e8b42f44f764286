"""Annotators left out of a report: by name, or by a rule on the annotator table.

Pure pandas, no Django. The rules read the annotator table of *all* the ratings
(``statistics.annotator_table``): ``min_agreement`` flags an annotator whose
``agreement`` with the others is below it, ``min_median_seconds`` one whose
``median_seconds`` per pair is below it; an annotator without that value (no pair
shared with another annotator, no timings) is never flagged. The annotators named in
``exclude`` are always left out; those a rule flags are left out too under
``annotator_rules="remove"`` and only marked under "mark". Every flag is marked in
the table either way, so a researcher sees what each rule would remove.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .report_options import ReportOptions
from .values import AnnotatorExclusion

# Each rule: the option holding its threshold, the table's column it reads, its flag.
RULES = (
    ("min_agreement", "agreement", "below_min_agreement"),
    ("min_median_seconds", "median_seconds", "below_min_median_seconds"),
)
FLAGS = ("named", *(flag for _, _, flag in RULES), "excluded")


class UnknownAnnotator(ValueError):
    """An annotator named in ``exclude`` has no rating in the evaluation."""


def names_check(options: ReportOptions, names: set[str]) -> None:
    """``UnknownAnnotator`` naming ``exclude`` and each name not in ``names``."""
    unknown = sorted(set(options.exclude) - names)
    if unknown:
        raise UnknownAnnotator(
            "exclude: no annotator named "
            + ", ".join(map(repr, unknown))
            + " has ratings in this evaluation"
        )


@dataclass(frozen=True)
class AnnotatorFilter:
    """The annotator table with its flags, and who is left out and why."""

    table: pd.DataFrame
    exclusions: tuple[AnnotatorExclusion, ...]

    @property
    def excluded(self) -> list[str]:
        return self.table.loc[self.table["excluded"], "annotator"].tolist()


def annotator_filter(table: pd.DataFrame, options: ReportOptions) -> AnnotatorFilter:
    """Flag the rows of ``table`` (``statistics.annotator_table``) by ``options``.

    Returns the table with the boolean columns of ``FLAGS`` added and one exclusion
    per annotator and rule that leaves it out, sorted by annotator. Raises
    ``UnknownAnnotator`` (naming ``exclude`` and the names) for a name in
    ``options.exclude`` that is not in the table.
    """
    names = table["annotator"]
    names_check(options, set(names))
    table = table.assign(named=names.isin(options.exclude).to_numpy(dtype=bool))
    excluded = table["named"].to_numpy(dtype=bool, copy=True)
    exclusions = [
        AnnotatorExclusion(annotator=name, rule="exclude", threshold=None, value=None)
        for name in options.exclude
    ]
    removes = options.annotator_rules == "remove"
    for option, column, flag in RULES:
        threshold = getattr(options, option)
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        below = np.zeros(len(table), dtype=bool)
        if threshold is not None:
            below = values < threshold  # a missing value (NaN) is never below
        table[flag] = below
        if removes and threshold is not None:
            excluded |= below
            exclusions += [
                AnnotatorExclusion(
                    annotator=name,
                    rule=option,
                    threshold=float(threshold),
                    value=float(value),
                )
                for name, value in zip(names[below], values[below], strict=True)
            ]
    table["excluded"] = excluded
    order = [option for option, *_ in (("exclude",), *RULES)]
    exclusions.sort(key=lambda item: (item.annotator, order.index(item.rule)))
    return AnnotatorFilter(table=table, exclusions=tuple(exclusions))
