"""The leasing statements of the annotator loop, in SQL: which pairs are open to an
annotator, the lease (with the room check in the same statement), the membership lock
and the annotator's counts. Written by hand because the ORM spent more time compiling
them than the database spent running them (benchmarks/annotate.py), and because a
click must cost few statements. States and stages come from the model enums
(sql.py); none is typed here. The window writes them into its text
(``sql.enums_written``) so that PostgreSQL plans it once per connection.

A pair's occupied slots are its ratings plus its live leases (allocation.py). The
comparison's ``stage`` (untouched, started, complete) narrows the rows looked at: the
started pairs are few at any time. The untouched ones are read in the annotator's own
order (``allocation.own_order``: a keyed polynomial of the pair's id, the same
function in SQL and in Python), which sorts every untouched pair of the evaluation:
about a millisecond at 2,000 pairs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from generations.models import Generation, Prompt

from ..allocation import OWN_ORDER_PRIME, own_order_coefficients
from .sql import (
    FINISHED,
    LIVE,
    MEMBERS,
    OTHERS,
    A,
    C,
    E,
    G,
    P,
    R,
    State,
    bound,
    enums_written,
    loaded,
    lock,
)

_OCCUPIED = f"""(
    (SELECT COUNT(*) FROM {R} r WHERE r.comparison_id = c.id)
    + (SELECT COUNT(*) FROM {A} l WHERE l.comparison_id = c.id
       AND l.{LIVE.format(t="l")})
)"""

# Pairs the annotator has not finished, skipped, flagged, rated, nor holds a live lease
# on. Any row of theirs left on such a pair is an expired lease. One NOT over both
# tests keeps them per-row index probes: as two NOT EXISTS the planner turns them into
# anti-joins, and merge joins that read every past evaluation's rows for two pairs.
NOT_THEIRS = f"""NOT (
  EXISTS (
    SELECT 1 FROM {A} m WHERE m.comparison_id = c.id AND m.annotator_id = %(user)s
    AND (m.state IN {FINISHED} OR (m.{LIVE.format(t="m")})))
  OR EXISTS (
    SELECT 1 FROM {R} mr WHERE mr.comparison_id = c.id AND mr.annotator_id = %(user)s))"""

# Pairs with room that are not theirs.
_OPEN = f"""
FROM {C} c
WHERE c.evaluation_id = %(evaluation)s
  AND c.stage {{stage}}
  AND {_OCCUPIED} < %(per_pair)s
  AND {NOT_THEIRS}
"""

_HELD = f"""(
    SELECT h.id FROM {A} h JOIN {C} hc ON hc.id = h.comparison_id
    WHERE hc.evaluation_id = %(evaluation)s AND h.annotator_id = %(user)s
    AND h.{LIVE.format(t="h")}
    ORDER BY h.leased_at LIMIT 1
)"""

_STARTED = f"""SELECT * FROM (
  SELECT c.id, {_OCCUPIED} AS occupied, 0 AS part, CAST(0 AS BIGINT) AS own
  {_OPEN.format(stage="= %(started)s")}
  ORDER BY occupied DESC, c.id
  LIMIT %(limit)s {{lock}}
) s"""

# By the stage rule an untouched pair has no rating and no lease, so it has room;
# the lease's own room check covers a stage not yet refreshed. In the annotator's own
# order: allocation.own_order_key in SQL, whose steps stay below 2**63 in PostgreSQL's
# bigint and SQLite's integers. (MD5 of text, its first form, cost the statement
# about four times as much, 5.7 ms against 1.4 at 1,768 untouched pairs: PostgreSQL
# computes a digest in about 2 microseconds.) The key's second round costs about
# 0.4 ms more at 1,625 untouched pairs on a slow machine (1.1 against 1.5 ms).
_X = f"(CAST(c.id AS BIGINT) %% {OWN_ORDER_PRIME})"
_Y = (
    f"(({_X} + %(own_a)s) * ({_X} + %(own_b)s) %% {OWN_ORDER_PRIME}"
    f" * ({_X} + %(own_c)s) %% {OWN_ORDER_PRIME})"
)
OWN_ORDER = f"(({_Y} + %(own_d)s) * ({_Y} + %(own_e)s) %% {OWN_ORDER_PRIME})"


def own_order_values(seed: int) -> dict[str, int]:
    """The values ``OWN_ORDER`` reads for an annotator's seed."""
    names = ("own_a", "own_b", "own_c", "own_d", "own_e")
    return dict(zip(names, own_order_coefficients(seed), strict=True))


_UNTOUCHED = f"""SELECT * FROM (
  SELECT c.id, 0 AS occupied, 1 AS part, {OWN_ORDER} AS own
  FROM {C} c
  WHERE c.evaluation_id = %(evaluation)s AND c.stage = %(untouched)s
  AND {NOT_THEIRS}
  ORDER BY own, c.id
  LIMIT %(limit)s {{lock}}
) u"""

# Started pairs (fullest first), then untouched ones (oldest first); the second part
# is only read when the first gives fewer rows than the limit. Each row carries what
# the annotator will be shown, and the lease the annotator holds already, if any. A
# single-response pair has no baseline generation (the outer join's columns are null).
WINDOW_TEMPLATE = f"""
SELECT w.id, w.occupied, w.part, {_HELD} AS held, wc.prompt_id,
  (SELECT p.turns FROM {P} p WHERE p.id = wc.prompt_id),
  cg.id, cg.text, cg.html, cg.html_version,
  bg.id, bg.text, bg.html, bg.html_version
FROM (
{_STARTED}
UNION ALL
{{untouched}}
LIMIT %(limit)s
) w
JOIN {C} wc ON wc.id = w.id
JOIN {G} cg ON cg.id = wc.candidate_generation_id
LEFT JOIN {G} bg ON bg.id = wc.baseline_generation_id
ORDER BY w.part, w.occupied DESC, w.own, w.id
"""
_WINDOW = WINDOW_TEMPLATE.replace("{untouched}", _UNTOUCHED)

_LEASE = f"""
INSERT INTO {A} (comparison_id, annotator_id, candidate_on_left, state, leased_at,
                  expires_at, comment)
SELECT %(comparison)s, %(user)s, %(on_left)s, %(state)s, %(now)s, %(expires)s, ''
WHERE {OTHERS} < %(per_pair)s
ON CONFLICT (comparison_id, annotator_id) DO UPDATE
  SET state = excluded.state, leased_at = excluded.leased_at,
      expires_at = excluded.expires_at, ended_at = NULL
  WHERE {A}.state = %(expired)s
     OR ({A}.state = excluded.state AND {A}.expires_at <= excluded.leased_at)
RETURNING id, candidate_on_left
"""


@dataclass(frozen=True)
class WindowRow:
    """One open pair as the leasing rule sees it, with what the annotator is shown."""

    comparison_id: int
    occupied: int
    held: int | None
    started: bool
    prompt: Prompt
    candidate_generation: Generation
    baseline_generation: Generation | None


def _turns(value: object) -> list:
    return json.loads(value) if isinstance(value, str | bytes) else value


def open_window(
    *,
    evaluation_id: int,
    per_pair: int,
    user_id: int,
    now: datetime,
    limit: int,
    order_seed: int,
    untouched: tuple[str, str, dict] | None = None,
) -> list[WindowRow]:
    """The first open pairs, started ones first (fullest, then oldest), then untouched
    ones in the annotator's own order (``order_seed``), each locked FOR NO KEY UPDATE;
    pairs locked by others are skipped. Every row also names the live lease the
    annotator holds in the evaluation (``held``), read after their membership lock.

    ``untouched``, where given, is another statement for the untouched part and its
    values (``adaptive_queries.untouched_by_priority``): the same pairs, another
    order."""
    sql = _WINDOW
    extra = {}
    if untouched is not None:
        prefix, part, extra = untouched
        sql = prefix + WINDOW_TEMPLATE.replace("{untouched}", part)
    sql = enums_written(sql.format(lock=lock("c")))
    values = bound(
        now,
        evaluation=evaluation_id,
        per_pair=per_pair,
        user=user_id,
        limit=limit,
        **own_order_values(order_seed),
        **extra,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    return [_window_row(row) for row in rows]


def _window_row(row: tuple) -> WindowRow:
    pk, occupied, part, held, prompt_id, turns = row[:6]
    return WindowRow(
        comparison_id=pk,
        occupied=int(occupied),
        held=held,
        started=part == 0,
        prompt=loaded(Prompt, id=prompt_id, turns=_turns(turns)),
        candidate_generation=_generation(row[6:10]),
        baseline_generation=_generation(row[10:14]),
    )


def _generation(values: tuple) -> Generation | None:
    """A generation with what the pair view reads: its text and its stored HTML;
    None for a single-response pair's missing baseline."""
    pk, text, html, html_version = values
    if pk is None:
        return None
    return loaded(Generation, id=pk, text=text, html=html, html_version=html_version)


@dataclass(frozen=True)
class Member:
    """The annotator's pool membership as the loop reads it under its lock."""

    id: int
    order_seed: int
    paused: bool
    pause_message: str
    quota: int | None  # theirs, else the evaluation's
    completed: bool

    def quota_reached(self, rated: int) -> bool:
        """Has the annotator, with ``rated`` pairs rated, done their quota?"""
        return self.quota is not None and (self.completed or rated >= self.quota)


def membership_lock(*, evaluation_id: int, user_id: int) -> Member | None:
    """Lock the annotator's pool membership row FOR NO KEY UPDATE and read it; None
    when they are not in the evaluation's pool."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, order_seed, paused_at IS NOT NULL, pause_message,"
            f" COALESCE(quota, (SELECT e.quota FROM {E} e WHERE e.id = evaluation_id)),"
            f" completed_at IS NOT NULL FROM {MEMBERS}"
            " WHERE evaluation_id = %(evaluation)s"
            f" AND user_id = %(user)s {lock(skip_locked=False)}",
            {"evaluation": evaluation_id, "user": user_id},
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, seed, paused, message, quota, completed = row
    return Member(pk, seed, bool(paused), message, quota, bool(completed))


def rated_count(*, evaluation_id: int, user_id: int) -> int:
    """How many pairs of the evaluation the annotator has rated (their ratings)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {R} r JOIN {C} rc ON rc.id = r.comparison_id"
            " WHERE rc.evaluation_id = %(evaluation)s AND r.annotator_id = %(user)s",
            {"evaluation": evaluation_id, "user": user_id},
        )
        return cursor.fetchone()[0]


def member_complete(*, member_id: int, now: datetime) -> None:
    """Record when the annotator's quota was done (once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MEMBERS} SET completed_at = %(now)s"
            " WHERE id = %(member)s AND completed_at IS NULL",
            bound(now, member=member_id),
        )


def held_lease(*, evaluation_id: int, user_id: int, now: datetime) -> int | None:
    """The id of the live lease the annotator holds in the evaluation, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_HELD}", bound(now, evaluation=evaluation_id, user=user_id)
        )
        return cursor.fetchone()[0]


def open_count(
    *, evaluation_id: int, per_pair: int, user_id: int, now: datetime
) -> int:
    """How many pairs are open to this annotator (locked or not)."""
    values = bound(now, evaluation=evaluation_id, per_pair=per_pair, user=user_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) " + _OPEN.format(stage="< %(complete)s"), values
        )
        return cursor.fetchone()[0]


def annotator_counts(*, evaluation_id: int, user_id: int) -> tuple[int, int]:
    """(ratings by the annotator, pairs not complete that they have not finished, at
    most what their quota leaves them: theirs, else the evaluation's)."""
    sql = f"""
    SELECT
      COALESCE(
        (SELECT pm.quota FROM {MEMBERS} pm
         WHERE pm.evaluation_id = %(evaluation)s AND pm.user_id = %(user)s),
        (SELECT e.quota FROM {E} e WHERE e.id = %(evaluation)s)),
      (SELECT COUNT(*) FROM {R} r JOIN {C} rc ON rc.id = r.comparison_id
       WHERE rc.evaluation_id = %(evaluation)s AND r.annotator_id = %(user)s),
      (SELECT COUNT(*) FROM {C} c
       WHERE c.evaluation_id = %(evaluation)s AND c.stage < %(complete)s
       AND NOT EXISTS (
         SELECT 1 FROM {A} m WHERE m.comparison_id = c.id
         AND m.annotator_id = %(user)s AND m.state IN {FINISHED})
       AND NOT EXISTS (
         SELECT 1 FROM {R} mr WHERE mr.comparison_id = c.id
         AND mr.annotator_id = %(user)s))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, bound(evaluation=evaluation_id, user=user_id))
        quota, done, left = cursor.fetchone()
    if quota is not None:
        left = min(left, max(quota - done, 0))
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
    values = bound(
        now,
        comparison=comparison_id,
        user=user_id,
        per_pair=per_pair,
        on_left=candidate_on_left,
        state=State.LEASED.value,
        expires=connection.ops.adapt_datetimefield_value(expires_at),
    )
    with connection.cursor() as cursor:
        cursor.execute(_LEASE, values)
        row = cursor.fetchone()
    return None if row is None else (row[0], bool(row[1]))
