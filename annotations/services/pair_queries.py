"""The hot statements of the annotator loop, in SQL: which pairs are open to an
annotator, leasing and ending with the room check in the same statement, expiry, and
the pairs' stage. Written by hand because the ORM spent more time compiling them than
the database spent running them (benchmarks/annotate.py), and because a click must
cost few statements. Every state and stage value is a bound parameter taken from the
model enums (``_ENUMS``); none is typed here.

A pair's occupied slots are its ratings plus its live leases (DESIGN.md 4). The
comparison's ``stage`` (untouched, started, complete) narrows the rows looked at: the
started pairs are few at any time, and the untouched ones are read in id order, so a
lease costs the same on a pair set of 200 or 20,000.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db import connection, models

from generations.models import Generation, Prompt

from ..models import Assignment, Comparison, Evaluation, Rating

_C = Comparison._meta.db_table
_A = Assignment._meta.db_table
_R = Rating._meta.db_table
_E = Evaluation._meta.db_table
_M = Evaluation.pool.through._meta.db_table
_P = Prompt._meta.db_table
_G = Generation._meta.db_table

M = TypeVar("M", bound=models.Model)
State = Assignment.State
Stage = Comparison.Stage
_ENUMS = {
    "leased": State.LEASED.value,
    "expired": State.EXPIRED.value,
    "submitted": State.SUBMITTED.value,
    "skipped": State.SKIPPED.value,
    "flagged": State.FLAGGED.value,
    "untouched": Stage.UNTOUCHED.value,
    "started": Stage.STARTED.value,
    "complete": Stage.COMPLETE.value,
}
_FINISHED = "(%(submitted)s, %(skipped)s, %(flagged)s)"
_LIVE = "state = %(leased)s AND {t}.expires_at > %(now)s"

_OCCUPIED = f"""(
    (SELECT COUNT(*) FROM {_R} r WHERE r.comparison_id = c.id)
    + (SELECT COUNT(*) FROM {_A} l WHERE l.comparison_id = c.id
       AND l.{_LIVE.format(t="l")})
)"""

# Slots of one pair held by anyone but the asking annotator; read in the statement
# that writes, after the pair's row lock (assignments.py, locking protocol).
_OTHERS = f"""(
    (SELECT COUNT(*) FROM {_R} r
     WHERE r.comparison_id = %(comparison)s AND r.annotator_id <> %(user)s)
    + (SELECT COUNT(*) FROM {_A} l
       WHERE l.comparison_id = %(comparison)s AND l.annotator_id <> %(user)s
       AND l.{_LIVE.format(t="l")})
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
    AND (m.state IN {_FINISHED} OR (m.{_LIVE.format(t="m")})))
  AND NOT EXISTS (
    SELECT 1 FROM {_R} mr WHERE mr.comparison_id = c.id AND mr.annotator_id = %(user)s)
"""

_HELD = f"""(
    SELECT h.id FROM {_A} h JOIN {_C} hc ON hc.id = h.comparison_id
    WHERE hc.evaluation_id = %(evaluation)s AND h.annotator_id = %(user)s
    AND h.{_LIVE.format(t="h")}
    ORDER BY h.leased_at LIMIT 1
)"""

_PART = f"""SELECT * FROM (
  SELECT c.id, {_OCCUPIED} AS occupied,
    EXISTS (SELECT 1 FROM {_A} o WHERE o.comparison_id = c.id
            AND o.annotator_id = %(user)s) AS own_expired,
    {_HELD} AS held, {{part}} AS part
  {_OPEN}
  ORDER BY {{order}}
  LIMIT %(limit)s {{{{lock}}}}
) {{alias}}"""

# Started pairs (fullest first), then untouched ones (oldest first); the second part
# is only read when the first gives fewer rows than the limit. Each row carries what
# the annotator will be shown, and the lease the annotator holds already, if any.
_WINDOW = (
    "SELECT w.id, w.occupied, w.own_expired, w.held, w.part, wc.prompt_id,\n"
    f"  (SELECT p.turns FROM {_P} p WHERE p.id = wc.prompt_id),\n"
    "  wc.candidate_generation_id,\n"
    f"  (SELECT g.text FROM {_G} g WHERE g.id = wc.candidate_generation_id),\n"
    "  wc.baseline_generation_id,\n"
    f"  (SELECT g.text FROM {_G} g WHERE g.id = wc.baseline_generation_id)\n"
    "FROM (\n"
    + _PART.format(
        stage="= %(started)s", order="occupied DESC, c.id", part=0, alias="s"
    )
    + "\nUNION ALL\n"
    + _PART.format(stage="= %(untouched)s", order="c.id", part=1, alias="u")
    + f"""
  LIMIT %(limit)s
) w
JOIN {_C} wc ON wc.id = w.id
ORDER BY w.part, w.occupied DESC, w.id
"""
)

_LEASE = f"""
INSERT INTO {_A} (comparison_id, annotator_id, candidate_on_left, state, leased_at,
                  expires_at, comment)
SELECT %(comparison)s, %(user)s, %(on_left)s, %(leased)s, %(now)s, %(expires)s, ''
WHERE {_OTHERS} < %(per_pair)s
ON CONFLICT (comparison_id, annotator_id) DO UPDATE
  SET state = excluded.state, leased_at = excluded.leased_at,
      expires_at = excluded.expires_at, ended_at = NULL
  WHERE {_A}.state = %(expired)s
     OR ({_A}.state = %(leased)s AND {_A}.expires_at <= %(now)s)
RETURNING id, candidate_on_left
"""

_END = f"""
UPDATE {_A} SET state = %(state)s, ended_at = %(now)s{{comment}}
WHERE id = %(assignment)s AND state IN (%(leased)s, %(expired)s){{room}}
"""

_EXPIRE = f"""
UPDATE {_A} SET state = %(expired)s, ended_at = %(now)s
WHERE state = %(leased)s AND expires_at <= %(now)s
  AND comparison_id IN (
    SELECT c.id FROM {_C} c WHERE c.id IN (
      SELECT x.comparison_id FROM {_A} x
      WHERE x.state = %(leased)s AND x.expires_at <= %(now)s)
    {{lock}})
RETURNING comparison_id
"""

# The stage rule: complete once the pair has its N ratings; started while it has a
# rating or a lease not yet ended; untouched otherwise.
_STAGE = f"""CASE
    WHEN (SELECT COUNT(*) FROM {_R} r WHERE r.comparison_id = c.id)
         >= (SELECT e.annotators_per_pair FROM {_E} e WHERE e.id = c.evaluation_id)
      THEN %(complete)s
    WHEN EXISTS (SELECT 1 FROM {_R} r WHERE r.comparison_id = c.id)
      OR EXISTS (SELECT 1 FROM {_A} a WHERE a.comparison_id = c.id
                 AND a.state = %(leased)s) THEN %(started)s
    ELSE %(untouched)s END"""
_STAGES = f"""
UPDATE {_C} AS c SET stage = {_STAGE}
WHERE {{scope}} AND c.stage <> {_STAGE}
"""

_ANSWERED = f"""
SELECT a.*, c.evaluation_id AS evaluation_id, e.scale AS evaluation_scale,
  e.annotators_per_pair AS evaluation_per_pair,
  e.lease_minutes AS evaluation_lease_minutes, e.status AS evaluation_status,
  e.guidelines AS evaluation_guidelines
FROM {_A} a
JOIN {_C} c ON c.id = a.comparison_id
JOIN {_E} e ON e.id = c.evaluation_id
WHERE a.id = %(assignment)s AND a.annotator_id = %(user)s
"""


def _params(now: datetime | None = None, **values) -> dict:
    params = {**_ENUMS, **values}
    if now is not None:
        params["now"] = connection.ops.adapt_datetimefield_value(now)
    return params


def _lock(of: str = "") -> str:
    if not connection.features.has_select_for_update_skip_locked:
        return ""
    return f"FOR NO KEY UPDATE{f' OF {of}' if of else ''} SKIP LOCKED"


@dataclass(frozen=True)
class WindowRow:
    """One open pair as the leasing rule sees it, with what the annotator is shown."""

    comparison_id: int
    occupied: int
    own_expired: bool
    held: int | None
    started: bool
    prompt: Prompt
    candidate_generation: Generation
    baseline_generation: Generation


def _turns(value: object) -> list:
    return json.loads(value) if isinstance(value, str | bytes) else value


def loaded(model: type[M], **values) -> M:
    """An instance of ``model`` as if read from the database with only these fields;
    any other field is deferred and loads on first access."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, fields, [values[f] for f in fields])


def open_window(
    *, evaluation_id: int, per_pair: int, user_id: int, now: datetime, limit: int
) -> list[WindowRow]:
    """The first open pairs, started ones first, each locked FOR NO KEY UPDATE; pairs
    locked by others are skipped. Every row also names the live lease the annotator
    holds in the evaluation (``held``), read after their membership lock."""
    sql = _WINDOW.format(lock=_lock("c"))
    params = _params(
        now, evaluation=evaluation_id, per_pair=per_pair, user=user_id, limit=limit
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        WindowRow(
            comparison_id=pk,
            occupied=int(occupied),
            own_expired=bool(own),
            held=held,
            started=part == 0,
            prompt=loaded(Prompt, id=prompt_id, turns=_turns(turns)),
            candidate_generation=loaded(Generation, id=cg_id, text=cg_text),
            baseline_generation=loaded(Generation, id=bg_id, text=bg_text),
        )
        for (pk, occupied, own, held, part, prompt_id, turns, cg_id, cg_text, bg_id,
             bg_text) in rows
    ]  # fmt: skip


def assignment_answered(*, assignment_id: int, user_id: int) -> Assignment:
    """The annotator's assignment with its comparison locked FOR NO KEY UPDATE (the
    first lock of an answer), and its comparison and evaluation loaded with what
    answering needs. Assignment.DoesNotExist for anyone else's."""
    lock = (
        " FOR NO KEY UPDATE OF c"
        if connection.features.has_select_for_update_of
        else ""
    )
    rows = list(
        Assignment.objects.raw(
            _ANSWERED + lock, _params(assignment=assignment_id, user=user_id)
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


def membership_lock(*, evaluation_id: int, user_id: int) -> bool:
    """Lock the annotator's pool membership row FOR NO KEY UPDATE; False when they
    are not in the evaluation's pool."""
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_M} WHERE evaluation_id = %(evaluation)s"
            f" AND user_id = %(user)s{lock}",
            {"evaluation": evaluation_id, "user": user_id},
        )
        return cursor.fetchone() is not None


def held_lease(*, evaluation_id: int, user_id: int, now: datetime) -> int | None:
    """The id of the live lease the annotator holds in the evaluation, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_HELD}", _params(now, evaluation=evaluation_id, user=user_id)
        )
        return cursor.fetchone()[0]


def open_count(
    *, evaluation_id: int, per_pair: int, user_id: int, now: datetime
) -> int:
    """How many pairs are open to this annotator (locked or not)."""
    params = _params(now, evaluation=evaluation_id, per_pair=per_pair, user=user_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) " + _OPEN.format(stage="< %(complete)s"), params
        )
        return cursor.fetchone()[0]


def annotator_counts(*, evaluation_id: int, user_id: int) -> tuple[int, int]:
    """(ratings by the annotator, pairs not complete that they have not finished)."""
    sql = f"""
    SELECT
      (SELECT COUNT(*) FROM {_R} r JOIN {_C} rc ON rc.id = r.comparison_id
       WHERE rc.evaluation_id = %(evaluation)s AND r.annotator_id = %(user)s),
      (SELECT COUNT(*) FROM {_C} c
       WHERE c.evaluation_id = %(evaluation)s AND c.stage < %(complete)s
       AND NOT EXISTS (
         SELECT 1 FROM {_A} m WHERE m.comparison_id = c.id
         AND m.annotator_id = %(user)s AND m.state IN {_FINISHED})
       AND NOT EXISTS (
         SELECT 1 FROM {_R} mr WHERE mr.comparison_id = c.id
         AND mr.annotator_id = %(user)s))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(evaluation=evaluation_id, user=user_id))
        done, left = cursor.fetchone()
        return done, left


def lease_if_room(
    *,
    comparison_id: int,
    user_id: int,
    per_pair: int,
    candidate_on_left: bool,
    now: datetime,
    expires_at: datetime,
) -> tuple[int, bool] | None:
    """Lease the pair to the annotator if others leave it room: a new assignment, or
    their own expired one taken again with its first side order. (id, side order),
    or None when the pair is full. The caller holds the pair's row lock."""
    params = _params(
        now,
        comparison=comparison_id,
        user=user_id,
        per_pair=per_pair,
        on_left=candidate_on_left,
        expires=connection.ops.adapt_datetimefield_value(expires_at),
    )
    with connection.cursor() as cursor:
        cursor.execute(_LEASE, params)
        row = cursor.fetchone()
    return None if row is None else (row[0], bool(row[1]))


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
    params = _params(now, assignment=assignment_id, state=state)
    sql = _END.format(
        comment="" if comment is None else ", comment = %(comment)s",
        room="" if room is None else f" AND {_OTHERS} < %(per_pair)s",
    )
    if comment is not None:
        params["comment"] = comment
    if room is not None:
        params.update(comparison=room[0], user=room[1], per_pair=room[2])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def leases_expire(*, now: datetime) -> list[int]:
    """Mark leases past their expiry as expired on pairs nobody holds locked; returns
    the comparison id of each expired lease."""
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE.format(lock=_lock()), _params(now))
        return [row[0] for row in cursor.fetchall()]


def stages_set(
    *, comparison_ids: Collection[int] = (), evaluation_id: int | None = None
) -> int:
    """Apply the stage rule to the given pairs, or to every pair of an evaluation;
    returns how many changed stage."""
    params = _params()
    if evaluation_id is not None:
        scope = "c.evaluation_id = %(evaluation)s"
        params["evaluation"] = evaluation_id
    else:
        ids = sorted(set(comparison_ids))
        if not ids:
            return 0
        names = [f"id{i}" for i in range(len(ids))]
        scope = "c.id IN (" + ", ".join(f"%({n})s" for n in names) + ")"
        params.update(zip(names, ids, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_STAGES.format(scope=scope), params)
        return cursor.rowcount
