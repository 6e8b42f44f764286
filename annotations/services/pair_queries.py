"""The two hot queries of leasing, in SQL: which pairs are open to an annotator, and
how many slots of a pair others occupy. Written by hand because the ORM spent more
time compiling them than the database spent running them (benchmarks/annotate.py).

A pair's occupied slots are its ratings plus its live leases (DESIGN.md 4). The
comparison's ``stage`` (untouched, started, complete) narrows the rows looked at: the
started pairs are few at any time, and the untouched ones are read in id order, so a
lease costs the same on a pair set of 200 or 20,000.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from ..models import Assignment, Comparison, Rating

_C = Comparison._meta.db_table
_A = Assignment._meta.db_table
_R = Rating._meta.db_table

_OCCUPIED = f"""(
    (SELECT COUNT(*) FROM {_R} r WHERE r.comparison_id = c.id)
    + (SELECT COUNT(*) FROM {_A} l WHERE l.comparison_id = c.id
       AND l.state = 'leased' AND l.expires_at > %(now)s)
)"""

# Pairs with room, minus those the annotator finished, skipped, flagged, rated or
# holds a live lease on. Any row of theirs left on such a pair is an expired lease.
_OPEN = f"""
FROM {_C} c
WHERE c.evaluation_id = %(evaluation)s
  AND c.stage {{stage}}
  AND {_OCCUPIED} < %(per_pair)s
  AND NOT EXISTS (
    SELECT 1 FROM {_A} m WHERE m.comparison_id = c.id AND m.annotator_id = %(user)s
    AND (m.state IN ('submitted', 'skipped', 'flagged')
         OR (m.state = 'leased' AND m.expires_at > %(now)s)))
  AND NOT EXISTS (
    SELECT 1 FROM {_R} mr WHERE mr.comparison_id = c.id AND mr.annotator_id = %(user)s)
"""

_WINDOW = f"""
SELECT c.id, {_OCCUPIED} AS occupied,
  EXISTS (SELECT 1 FROM {_A} o WHERE o.comparison_id = c.id
          AND o.annotator_id = %(user)s) AS own_expired
{_OPEN}
ORDER BY {{order}}
LIMIT %(limit)s
"""

_OTHERS = f"""
SELECT
  (SELECT COUNT(*) FROM {_R} r
   WHERE r.comparison_id = %(comparison)s AND r.annotator_id <> %(user)s),
  (SELECT COUNT(*) FROM {_A} l
     WHERE l.comparison_id = %(comparison)s AND l.annotator_id <> %(user)s
     AND l.state = 'leased' AND l.expires_at > %(now)s)
"""


def _params(now: datetime, **values) -> dict:
    return {"now": connection.ops.adapt_datetimefield_value(now), **values}


def open_window(
    *,
    evaluation_id: int,
    per_pair: int,
    user_id: int,
    now: datetime,
    limit: int,
    started: bool,
) -> list[tuple[int, int, bool]]:
    """(comparison id, occupied, own expired lease) of the first open pairs, each
    locked FOR NO KEY UPDATE; pairs locked by others are skipped. ``started``: the
    started pairs, fullest first; otherwise the untouched ones, oldest first."""
    sql = _WINDOW.format(
        stage="= 1" if started else "= 0",
        order="occupied DESC, c.id" if started else "c.id",
    )
    if connection.features.has_select_for_update_skip_locked:
        sql += " FOR NO KEY UPDATE OF c SKIP LOCKED"
    params = _params(
        now, evaluation=evaluation_id, per_pair=per_pair, user=user_id, limit=limit
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, int(occupied), bool(own)) for pk, occupied, own in cursor]


def open_count(
    *, evaluation_id: int, per_pair: int, user_id: int, now: datetime
) -> int:
    """How many pairs are open to this annotator (locked or not)."""
    params = _params(now, evaluation=evaluation_id, per_pair=per_pair, user=user_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) " + _OPEN.format(stage="< 2"), params)
        return cursor.fetchone()[0]


def occupied_by_others(
    *, comparison_id: int, user_id: int, now: datetime
) -> tuple[int, int]:
    """(ratings, live leases) of one pair other than ``user_id``'s."""
    with connection.cursor() as cursor:
        cursor.execute(_OTHERS, _params(now, comparison=comparison_id, user=user_id))
        ratings, leases = cursor.fetchone()
        return ratings, leases
