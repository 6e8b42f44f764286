"""What the annotator loop's hand-written SQL shares: table names, the states and
stages from the model enums (bound, or written in where a plan depends on them;
never typed in SQL), the row-lock clause, the
slot counts, and model instances built from the columns a statement read."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from django.db import connection, models

from generations.models import Generation, Prompt

from ..models import Assignment, Comparison, Evaluation, Rating

C = Comparison._meta.db_table
A = Assignment._meta.db_table
R = Rating._meta.db_table
E = Evaluation._meta.db_table
MEMBERS = Evaluation.pool.through._meta.db_table
P = Prompt._meta.db_table
G = Generation._meta.db_table

M = TypeVar("M", bound=models.Model)
State = Assignment.State
Stage = Comparison.Stage
ENUMS = {
    "leased": State.LEASED.value,
    "expired": State.EXPIRED.value,
    "submitted": State.SUBMITTED.value,
    "skipped": State.SKIPPED.value,
    "flagged": State.FLAGGED.value,
    "untouched": Stage.UNTOUCHED.value,
    "started": Stage.STARTED.value,
    "complete": Stage.COMPLETE.value,
}
FINISHED = "(%(submitted)s, %(skipped)s, %(flagged)s)"
LIVE = "state = %(leased)s AND {t}.expires_at > %(now)s"

# Slots of one pair held by anyone but the asking annotator; read in the statement
# that writes, after the pair's row lock (assignments.py, locking protocol).
OTHERS = f"""(
    (SELECT COUNT(*) FROM {R} r
     WHERE r.comparison_id = %(comparison)s AND r.annotator_id <> %(user)s)
    + (SELECT COUNT(*) FROM {A} l
       WHERE l.comparison_id = %(comparison)s AND l.annotator_id <> %(user)s
       AND l.{LIVE.format(t="l")})
)"""


def bound(now: datetime | None = None, **values) -> dict:
    """The enum values, ``now`` adapted for the database, and ``values``."""
    bound = {**ENUMS, **values}
    if now is not None:
        bound["now"] = connection.ops.adapt_datetimefield_value(now)
    return bound


def enums_written(sql: str) -> str:
    """``sql`` with the states and stages written in as literals (from ``ENUMS``, so
    still from the model enums) instead of bound.

    For the leasing window: PostgreSQL keeps one plan for a prepared statement (a
    generic plan) only when it is not estimated costlier than plans made for each
    call's values. With its stages bound, the window's generic plan could not know
    that few pairs are started, so PostgreSQL planned it anew at every click, which
    cost more than running it (pg_stat_statements, benchmarks/README.md)."""
    for name, value in ENUMS.items():
        written = (
            str(value)
            if isinstance(value, int)
            else "'{}'".format(value.replace("'", "''"))
        )
        sql = sql.replace(f"%({name})s", written)
    return sql


def lock(of: str = "", *, skip_locked: bool = True) -> str:
    """The row-lock clause, or "" where the database has none (SQLite, which runs
    each transaction alone)."""
    features = connection.features
    if not features.has_select_for_update or (
        skip_locked and not features.has_select_for_update_skip_locked
    ):
        return ""
    clause = "FOR NO KEY UPDATE"
    if of and features.has_select_for_update_of:
        clause += f" OF {of}"
    return clause + (" SKIP LOCKED" if skip_locked else "")


def loaded(model: type[M], **values) -> M:
    """An instance of ``model`` as if read from the database with only these fields;
    any other field is deferred and loads on first access."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, fields, [values[f] for f in fields])
