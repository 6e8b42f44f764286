"""The answer statements of the annotator loop, in SQL: read the answered assignment
under its pair's lock, end it (with the room check in the same statement), and expire
leases. Hand-written, like pair_queries.py, so that a click costs few statements."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from ..models import Assignment, Comparison, Evaluation, Rating
from .sql import MEMBERS, OTHERS, A, C, E, R, bound, loaded, lock

# The pool membership and the rating already stored for the pair (by an import) are
# read in the statement that locks the pair, so checking them costs no statement.
_ANSWERED = f"""
SELECT a.*, c.evaluation_id AS evaluation_id, e.scale AS evaluation_scale,
  e.annotators_per_pair AS evaluation_per_pair,
  e.lease_minutes AS evaluation_lease_minutes, e.status AS evaluation_status,
  e.guidelines AS evaluation_guidelines, e.safety_labels AS evaluation_safety_labels,
  e.gold_rate AS evaluation_gold_rate, e.repeat_rate AS evaluation_repeat_rate,
  e.qc_pause AS evaluation_qc_pause, e.stop_rule AS evaluation_stop_rule,
  e.stopped_at AS evaluation_stopped_at, e.kind AS evaluation_kind,
  e.allocation AS evaluation_allocation, e.adaptive_top AS evaluation_adaptive_top,
  e.adaptive_width AS evaluation_adaptive_width,
  EXISTS (SELECT 1 FROM {MEMBERS} pm
          WHERE pm.evaluation_id = c.evaluation_id AND pm.user_id = a.annotator_id)
    AS in_pool,
  (SELECT pp.pause_message FROM {MEMBERS} pp
   WHERE pp.evaluation_id = c.evaluation_id AND pp.user_id = a.annotator_id
   AND pp.paused_at IS NOT NULL)
    AS paused
FROM {A} a
JOIN {C} c ON c.id = a.comparison_id
JOIN {E} e ON e.id = c.evaluation_id
WHERE a.id = %(assignment)s AND a.annotator_id = %(user)s
"""


_END = f"""
UPDATE {A} SET state = %(state)s, ended_at = %(now)s{{comment}}
WHERE id = %(assignment)s AND state IN (%(leased)s, %(expired)s){{room}}
"""

# Others leave the pair room, and the annotator has no rating of it yet (an import
# may have stored one while they held the lease).
_ROOM = f""" AND {OTHERS} < %(per_pair)s AND NOT EXISTS (
  SELECT 1 FROM {R} own
  WHERE own.comparison_id = %(comparison)s AND own.annotator_id = %(user)s)"""

# The rating of an assignment just ended as submitted. Every column is written, so
# no model default applies (``source`` is native: an annotator's own answer).
_RATING_FIELDS = (
    "comparison_id", "annotator_id", "assignment_id", "scale", "choice",
    "candidate_on_left", "score", "safety_a", "safety_b", "seconds", "comment",
    "source", "created_at",
)  # fmt: skip
_RATING = f"""
INSERT INTO {R} ({", ".join(_RATING_FIELDS)})
VALUES ({", ".join(f"%({name})s" for name in _RATING_FIELDS)})
RETURNING id
"""

_STATE = f"""
SELECT a.state, EXISTS (
  SELECT 1 FROM {R} r
  WHERE r.comparison_id = a.comparison_id AND r.annotator_id = a.annotator_id)
FROM {A} a WHERE a.id = %(assignment)s
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
    answering needs; ``in_pool`` says whether the annotator is in the evaluation's
    pool, and ``paused`` the message of their pause in it (None when not paused). Assignment.DoesNotExist for
    anyone else's."""
    rows = list(
        Assignment.objects.raw(
            _ANSWERED + lock("c", skip_locked=False),
            bound(assignment=assignment_id, user=user_id),
        )
    )
    if not rows:
        raise Assignment.DoesNotExist(assignment_id)
    assignment = rows[0]
    assignment.in_pool = bool(assignment.in_pool)
    # ``assignment.paused``: the pause's message when paused (may be ""), else None.
    evaluation = loaded(
        Evaluation,
        id=assignment.evaluation_id,
        scale=assignment.evaluation_scale,
        annotators_per_pair=assignment.evaluation_per_pair,
        lease_minutes=assignment.evaluation_lease_minutes,
        status=assignment.evaluation_status,
        guidelines=assignment.evaluation_guidelines,
        safety_labels=bool(assignment.evaluation_safety_labels),
        gold_rate=assignment.evaluation_gold_rate,
        repeat_rate=assignment.evaluation_repeat_rate,
        qc_pause=assignment.evaluation_qc_pause,
        stop_rule=assignment.evaluation_stop_rule,
        stopped_at=assignment.evaluation_stopped_at,
        kind=assignment.evaluation_kind,
        allocation=assignment.evaluation_allocation,
        adaptive_top=assignment.evaluation_adaptive_top,
        adaptive_width=assignment.evaluation_adaptive_width,
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
    ended, or, with ``room`` = (comparison id, user id, N), when others fill the pair
    or the annotator already has a rating of it. The caller holds the pair's row
    lock."""
    values = bound(now, assignment=assignment_id, state=state)
    sql = _END.format(
        comment="" if comment is None else ", comment = %(comment)s",
        room="" if room is None else _ROOM,
    )
    if comment is not None:
        values["comment"] = comment
    if room is not None:
        values.update(comparison=room[0], user=room[1], per_pair=room[2])
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1


def rating_insert(**values) -> Rating:
    """Store a native rating with these column values (``_RATING_FIELDS`` but
    ``source``) in one statement; returns it as read back. Written in SQL, like the
    statement before it, to keep a click cheap; no ``post_save`` is sent (the report
    cache counts new ratings by itself, ``reports.invalidation``)."""
    values = {**values, "source": Rating.Source.NATIVE.value}
    bound_values = {
        **values,
        "created_at": connection.ops.adapt_datetimefield_value(values["created_at"]),
    }
    with connection.cursor() as cursor:
        cursor.execute(_RATING, bound_values)
        (values["id"],) = cursor.fetchone()
    return loaded(Rating, **values)


def assignment_state(*, assignment_id: int) -> tuple[str, bool]:
    """(the assignment's state, whether its annotator has a rating of its pair), read
    in a fresh statement after an end was refused."""
    with connection.cursor() as cursor:
        cursor.execute(_STATE, {"assignment": assignment_id})
        state, rated = cursor.fetchone()
        return state, bool(rated)


def leases_expire(*, now: datetime) -> list[int]:
    """Mark leases past their expiry as expired on pairs nobody holds locked; returns
    the comparison id of each expired lease."""
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE.format(lock=lock()), bound(now))
        return [row[0] for row in cursor.fetchall()]
