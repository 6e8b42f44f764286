"""The answer statements of the annotator loop, in SQL: read the answered assignment
under its pair's lock, end it (with the room check in the same statement), and expire
leases. Hand-written, like pair_queries.py, so that a click costs few statements."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from ..models import Assignment, Comparison, Evaluation
from .sql import OTHERS, A, C, E, bound, loaded, lock

_ANSWERED = f"""
SELECT a.*, c.evaluation_id AS evaluation_id, e.scale AS evaluation_scale,
  e.annotators_per_pair AS evaluation_per_pair,
  e.lease_minutes AS evaluation_lease_minutes, e.status AS evaluation_status,
  e.guidelines AS evaluation_guidelines
FROM {A} a
JOIN {C} c ON c.id = a.comparison_id
JOIN {E} e ON e.id = c.evaluation_id
WHERE a.id = %(assignment)s AND a.annotator_id = %(user)s
"""


_END = f"""
UPDATE {A} SET state = %(state)s, ended_at = %(now)s{{comment}}
WHERE id = %(assignment)s AND state IN (%(leased)s, %(expired)s){{room}}
"""

_EXPIRE = f"""
UPDATE {A} SET state = %(expired)s, ended_at = %(now)s
WHERE state = %(leased)s AND expires_at <= %(now)s
  AND comparison_id IN (
    SELECT c.id FROM {C} c WHERE c.id IN (
      SELECT x.comparison_id FROM {A} x
      WHERE x.state = %(leased)s AND x.expires_at <= %(now)s)
    {{lock}})
RETURNING comparison_id
"""


def assignment_answered(*, assignment_id: int, user_id: int) -> Assignment:
    """The annotator's assignment with its comparison locked FOR NO KEY UPDATE (the
    first lock of an answer), and its comparison and evaluation loaded with what
    answering needs. Assignment.DoesNotExist for anyone else's."""
    rows = list(
        Assignment.objects.raw(
            _ANSWERED + lock("c", skip_locked=False),
            bound(assignment=assignment_id, user=user_id),
        )
    )
    if not rows:
        raise Assignment.DoesNotExist(assignment_id)
    assignment = rows[0]
    evaluation = loaded(
        Evaluation,
        id=assignment.evaluation_id,
        scale=assignment.evaluation_scale,
        annotators_per_pair=assignment.evaluation_per_pair,
        lease_minutes=assignment.evaluation_lease_minutes,
        status=assignment.evaluation_status,
        guidelines=assignment.evaluation_guidelines,
    )
    comparison = loaded(
        Comparison, id=assignment.comparison_id, evaluation_id=evaluation.pk
    )
    comparison.evaluation = evaluation
    assignment.comparison = comparison
    return assignment


def assignment_end(
    *,
    assignment_id: int,
    state: str,
    now: datetime,
    comment: str | None = None,
    room: tuple[int, int, int] | None = None,
) -> bool:
    """End a leased or expired assignment in ``state``; False when it had already
    ended, or, with ``room`` = (comparison id, user id, N), when others fill the pair.
    The caller holds the pair's row lock."""
    values = bound(now, assignment=assignment_id, state=state)
    sql = _END.format(
        comment="" if comment is None else ", comment = %(comment)s",
        room="" if room is None else f" AND {OTHERS} < %(per_pair)s",
    )
    if comment is not None:
        values["comment"] = comment
    if room is not None:
        values.update(comparison=room[0], user=room[1], per_pair=room[2])
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1


def leases_expire(*, now: datetime) -> list[int]:
    """Mark leases past their expiry as expired on pairs nobody holds locked; returns
    the comparison id of each expired lease."""
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE.format(lock=lock()), bound(now))
        return [row[0] for row in cursor.fetchall()]
