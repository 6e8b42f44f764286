"""The generation hot path's SQL: claim (and load), then record one generation.

Fixed statements instead of querysets: the ORM spent about 4 ms of a worker's CPU
building the same few queries for every generation (``benchmarks/generate.py``), more
than the rest of a task together. The SQL is portable (PostgreSQL, and SQLite 3.35+ for
RETURNING); values go through the model fields' ``get_db_prep_save`` and back through
their converters, so rows read and write exactly as through the ORM. On PostgreSQL the
statements are prepared once per connection and the claim returns the prompt and chat
model itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

from generations.models import ChatModel, Generation, GenerationJob, Prompt

NOT_FINAL_SQL = "status NOT IN (%s, %s)"
FORCED_ONLY = 2**31 - 1
FINAL = (Generation.Status.DONE.value, Generation.Status.FILTERED.value)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _chat_model_columns() -> str:
    return ", ".join(
        f"m.{connection.ops.quote_name(f.column)}"
        for f in ChatModel._meta.concrete_fields
    )


@cache
def _claim_sql(*, load: bool) -> str:
    """The claim; with ``load`` it also returns the turns and the chat model.

    Only prepared statements load (PostgreSQL): SQLite's RETURNING cannot name the
    other tables of an UPDATE, and unprepared, the join costs PostgreSQL more planning
    than the second statement of ``_load_sql``.
    """
    if load:
        tables = f"FROM {_table(Prompt)} p, {_table(ChatModel)} m "
        joins = "AND p.id = g.prompt_id AND m.id = g.chat_model_id "
        returning = f"p.turns, {_chat_model_columns()}"
    else:
        tables = joins = ""
        returning = "chat_model_id, prompt_id"
    return (
        f"UPDATE {_table(Generation)} AS g "
        f"SET status = %s, attempts = g.attempts + 1, updated_at = %s {tables}"
        f"WHERE g.id = %s AND g.status NOT IN (%s, %s) {joins}"
        f"AND NOT EXISTS (SELECT 1 FROM {_table(GenerationJob)} "
        f"WHERE id = %s AND status = %s) RETURNING {returning}"
    )


@cache
def _load_sql() -> str:
    return (
        f"SELECT p.turns, {_chat_model_columns()} "
        f"FROM {_table(ChatModel)} m, {_table(Prompt)} p "
        "WHERE m.id = %s AND p.id = %s"
    )


@lru_cache(maxsize=64)
def _converters(model, db) -> list[tuple]:
    """(column, converters) per concrete field, as the ORM converts them on ``db``."""
    table = model._meta.db_table
    columns = [field.get_col(table) for field in model._meta.concrete_fields]
    return [
        (column, db.ops.get_db_converters(column) + column.get_db_converters(db))
        for column in columns
    ]


def _from_db(model, values: Sequence) -> Any:
    """A model instance from raw values of its concrete fields, in their order."""
    db = connections[DEFAULT_DB_ALIAS]  # this thread's connection
    converted = []
    for (column, converters), value in zip(_converters(model, db), values, strict=True):
        for convert in converters:
            value = convert(value, column, db)
        converted.append(value)
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(db.alias, names, converted)


class _Statements:
    """Runs the statements; on PostgreSQL prepared once per connection.

    Django's cursors bind values on the client, so the server parses and plans every
    statement again: 0.3 ms of its CPU a generation. A server-binding psycopg cursor
    with ``prepare=True`` plans each once per connection (``EVALSITE_PREPARED_STATEMENTS
    =false`` for a transaction-mode pooler that cannot keep them).
    """

    def __init__(self, cursor: Any, prepare: bool):
        self.cursor, self.prepare = cursor, prepare

    def execute(self, sql: str, params: Sequence) -> Any:
        if self.prepare:
            with connection.wrap_database_errors:
                self.cursor.execute(sql, params, prepare=True)
        else:
            self.cursor.execute(sql, params)
        return self.cursor


@contextmanager
def _statements() -> Iterator[_Statements]:
    if connection.vendor == "postgresql" and settings.EVALSITE_PREPARED_STATEMENTS:
        import psycopg

        connection.ensure_connection()
        raw = connection.connection
        if raw.prepare_threshold is None:
            # Django switches psycopg's automatic preparation off; only the statements
            # executed here with prepare=True get prepared.
            raw.prepare_threshold = FORCED_ONLY
        with psycopg.Cursor(raw) as cursor:
            yield _Statements(cursor, prepare=True)
    else:
        with connection.cursor() as cursor:
            yield _Statements(cursor, prepare=False)


def _prep(name: str, value: Any) -> Any:
    return Generation._meta.get_field(name).get_db_prep_save(value, connection)


def generation_claim(
    *, generation_id: int, job_id: int | None, now
) -> tuple[ChatModel, list] | None:
    """Mark a generation running (attempts + 1) and return its chat model and turns.

    None when there is nothing to do: the generation is done or filtered, or the job
    that sent the task is cancelled. Autocommit: the row lock lasts one statement.
    """
    params = [
        Generation.Status.RUNNING.value,
        _prep("updated_at", now),
        generation_id,
        *FINAL,
        job_id,
        GenerationJob.Status.CANCELLED.value,
    ]
    with _statements() as statements:
        row = statements.execute(_claim_sql(load=statements.prepare), params).fetchone()
        if row is not None and not statements.prepare:  # (chat_model_id, prompt_id)
            row = statements.execute(_load_sql(), list(row)).fetchone()
    if row is None:
        return None
    turns, *values = row
    chat_model = _from_db(ChatModel, values)
    turns_field = Prompt._meta.get_field("turns")
    return chat_model, turns_field.from_db_value(turns, None, connection)


def generation_record(*, generation_id: int, fields: dict[str, Any]) -> bool:
    """Write ``fields`` unless the generation is already done or filtered.

    Returns whether the row was written (False: another delivery finished it first).
    """
    names = list(fields)
    assignments = ", ".join(
        f"{connection.ops.quote_name(Generation._meta.get_field(n).column)} = %s"
        for n in names
    )
    sql = f"UPDATE {_table(Generation)} SET {assignments} WHERE id = %s AND {NOT_FINAL_SQL}"
    params = [_prep(n, fields[n]) for n in names] + [generation_id, *FINAL]
    with _statements() as statements:
        return statements.execute(sql, params).rowcount == 1
