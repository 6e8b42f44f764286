"""The pairs' stage (``Comparison.stage``): one rule, and the one function that
rewrites it (a pair an import creates is inserted with the stage the rule gives)."""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection

from .sql import A, C, E, R, bound


def stage_rule(*, ratings: str, per_pair: str, leased: str) -> str:
    """The stage rule as one SQL expression over three others: the pair's ratings,
    its N, and whether a lease not yet ended is held on it. Complete once the pair
    has its N ratings; started while it has a rating or such a lease; untouched
    otherwise."""
    return f"""(CASE
    WHEN {ratings} >= {per_pair} THEN %(complete)s
    WHEN {ratings} > 0 OR {leased} THEN %(started)s
    ELSE %(untouched)s END)"""


_RULE = stage_rule(
    ratings="n.ratings",
    per_pair="e.annotators_per_pair",
    leased=f"EXISTS (SELECT 1 FROM {A} a"
    " WHERE a.comparison_id = c.id AND a.state = %(leased)s)",
)
# An excluded pair (a flag review left it out of reports) is closed to leasing:
# complete, whatever its ratings; reopening or keeping it lets the rule decide again.
_STAGE = f"""(
  SELECT CASE WHEN c.excluded THEN %(complete)s ELSE {_RULE} END
  FROM (SELECT COUNT(*) AS ratings FROM {R} r WHERE r.comparison_id = c.id) n, {E} e
  WHERE e.id = c.evaluation_id
)"""
_CHUNK = 5000
_STAGES = f"""
UPDATE {C} AS c SET stage = {_STAGE}
WHERE {{scope}} AND c.stage <> {_STAGE}
"""


def stages_refresh(
    *,
    comparison_ids: Collection[int] = (),
    evaluation_id: int | None = None,
    comparisons_query: str | None = None,
) -> int:
    """Set the stage of these pairs, or of every pair of an evaluation, from their
    stored ratings and assignments; returns how many pairs changed stage.

    The rule: complete once a pair has its N ratings, started while it has a rating
    or a lease not yet ended, untouched otherwise; an excluded pair
    (``Comparison.excluded``, set by a flag review) counts as complete. Leasing
    looks only at started and untouched pairs, so a pair must never be marked
    complete before it is (or before it is excluded).

    This is the only writer of a stored pair's ``Comparison.stage``. Call it in the
    transaction that changed a pair's ratings or assignments (leasing, answering,
    expiry, imports), after those writes; the pairs' rows are then locked by that
    transaction. (A pair an import creates is inserted with the stage
    ``stage_rule`` gives the ratings it comes with: import_storing.py.)
    """
    if evaluation_id is not None:
        return _refresh("c.evaluation_id = %(evaluation)s", evaluation=evaluation_id)
    if comparisons_query is not None:  # SQL selecting the ids (an import's table)
        return _refresh(f"c.id IN ({comparisons_query})")
    ids = sorted(set(comparison_ids))
    changed = 0
    # In id order, as pairs are locked; in chunks, within the databases' limits on
    # a statement's parameters (an import may touch every pair).
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        names = [f"id{i}" for i in range(len(chunk))]
        scope = "c.id IN (" + ", ".join(f"%({n})s" for n in names) + ")"
        changed += _refresh(scope, **dict(zip(names, chunk, strict=True)))
    return changed


def _refresh(scope: str, **values) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_STAGES.format(scope=scope), bound(**values))
        return cursor.rowcount
