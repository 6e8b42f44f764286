"""The PostgreSQL path of the prompt and generation imports: staged, set-based.

Checked rows are copied (``COPY``) into a temporary staging table that keeps each
row's line; the checks that need the whole file and the writes are then single SQL
statements, in the import's transaction. The staging tables drop at its end.
"""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
import psycopg
from django.db import connection, transaction

from evalsite.imports.reader import (
    MAX_ERRORS,
    ImportConflictError,
    ImportFileError,
    LineError,
)
from evalsite.imports.staging import copy_rows

from ..models import ChatModel, Generation, Prompt

PROMPT = Prompt._meta.db_table
GENERATION = Generation._meta.db_table
CHAT_MODEL = ChatModel._meta.db_table
STAGED_PROMPTS = "import_staged_prompts"
STAGED_GENERATIONS = "import_staged_generations"
RESOLVED_GENERATIONS = "import_resolved_generations"
PROMPT_COLUMNS = {
    "line": "integer",
    "external_id": "text",
    "turns": "jsonb",
    "categories": "jsonb",
    "collection_method": "text",
    "metadata": "jsonb",
    "num_turns": "integer",
    "word_count": "integer",
}
GENERATION_COLUMNS = {
    "line": "integer",
    "prompt_id": "text",
    "model": "text",
    "text": "text",
    "prompt_tokens": "bigint",
    "completion_tokens": "bigint",
    "metadata": "jsonb",
    "word_count": "integer",
    "html": "text",
    "html_version": "integer",
}
# work_mem of an import's transaction (PostgreSQL's default is 4MB).
WORK_MEM = "256MB"
CONFLICT = (
    "another upload changed the same rows meanwhile; nothing of this file was "
    "stored (send it again)"
)


def fetch_rows(sql: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params: Any = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _temp_table_create(
    table: str, columns: str = "", query: str = "", params: Any = None
) -> None:
    # Dropped at commit; dropped here too for an import in a test's transaction.
    _execute(f"DROP TABLE IF EXISTS {table}")
    # The set-based steps sort and hash whole files: let them do it in memory.
    _execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    _execute(f"CREATE TEMP TABLE {table} {columns} ON COMMIT DROP {query}", params)


def stage(table: str, columns: dict[str, str], batches: Iterable[list[tuple]]) -> int:
    """Create the staging table and copy every batch of rows into it; count them."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    _temp_table_create(table, columns=f"({definition})")
    staged = 0
    for rows in batches:
        copy_rows(table, list(columns), rows)
        staged += len(rows)
    return staged


def prompts_copy_new(prompt_set_id: int, batches: Iterable[list[tuple]]) -> int:
    """Copy the rows of a set created by this import straight into the prompt table.

    With no stored rows to compare with, only the file's own ids can clash: the
    lines and ids are staged alongside, and on a clash (the unique constraint) the
    direct copy stops and the duplicates are named from the staged ids.
    """
    _temp_table_create(STAGED_PROMPTS, columns="(line integer, external_id text)")
    columns = ["prompt_set_id", *list(PROMPT_COLUMNS)[1:]]
    copied, direct = 0, True
    for rows in batches:
        lines = (row[:2] for row in rows)
        copy_rows(STAGED_PROMPTS, ["line", "external_id"], lines)
        if direct:
            try:
                with transaction.atomic():
                    copy_rows(
                        PROMPT, columns, ((prompt_set_id, *row[1:]) for row in rows)
                    )
            except psycopg.IntegrityError:
                direct = False
        copied += len(rows)
    duplicates_raise(STAGED_PROMPTS, ("external_id",), "id")
    if not direct:  # a clash that no line explains: another upload's rows
        raise ImportConflictError([LineError(None, "id", CONFLICT)])
    return copied


def duplicates_raise(table: str, key: tuple[str, ...], field: str) -> None:
    """Refuse a file whose rows repeat a key, naming each later line."""
    keys = ", ".join(key)
    found = fetch_rows(
        f"SELECT line, first FROM (SELECT line, min(line) OVER (PARTITION BY {keys})"
        f" AS first FROM {table}) AS lines WHERE line <> first ORDER BY line LIMIT %s",
        [MAX_ERRORS],
    )
    if found:
        raise ImportFileError(
            [
                LineError(line, field, f"duplicate of line {first}")
                for line, first in found
            ]
        )


def json_text(value: Any) -> str:
    """``value`` as JSON text for a jsonb column: orjson's, several times faster
    than Python's json and parsed by PostgreSQL into the same value; Python's json
    writes what orjson refuses (integers past 64 bits, lone surrogates)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def prompts_merge(prompt_set_id: int, prompt_set_name: str) -> tuple[int, int]:
    """Insert the staged prompts new to the set; (created, unchanged).

    A staged prompt whose id is in the set with other turns or categories is an
    error naming its line.
    """
    same = "p.turns = s.turns AND p.categories = s.categories"
    joined = (
        f"FROM {STAGED_PROMPTS} s JOIN {PROMPT} p"
        " ON p.prompt_set_id = %s AND p.external_id = s.external_id"
    )
    changed = fetch_rows(
        f"SELECT s.line, s.external_id {joined} WHERE NOT ({same})"
        " ORDER BY s.line LIMIT %s",
        [prompt_set_id, MAX_ERRORS],
    )
    if changed:
        raise ImportFileError(
            [
                LineError(
                    line,
                    "id",
                    f"prompt {external_id!r} is already in set {prompt_set_name!r} "
                    "with other content",
                )
                for line, external_id in changed
            ]
        )
    [(unchanged,)] = fetch_rows(f"SELECT count(*) {joined}", [prompt_set_id])
    [(staged,)] = fetch_rows(f"SELECT count(*) FROM {STAGED_PROMPTS}")
    columns = list(PROMPT_COLUMNS)[1:]
    names = ", ".join(columns)
    selected = ", ".join(f"s.{name}" for name in columns)
    created = _execute(
        f"INSERT INTO {PROMPT} (prompt_set_id, {names}) SELECT %s, {selected}"
        f" FROM {STAGED_PROMPTS} s WHERE NOT EXISTS (SELECT 1 FROM {PROMPT} p"
        " WHERE p.prompt_set_id = %s AND p.external_id = s.external_id)"
        " ORDER BY s.line ON CONFLICT (prompt_set_id, external_id) DO NOTHING",
        [prompt_set_id, prompt_set_id],
    )
    if created + unchanged != staged:
        raise ImportConflictError([LineError(None, "id", CONFLICT)])
    return created, unchanged


def unknown_prompts_raise(prompt_set_id: int, prompt_set_name: str) -> None:
    found = fetch_rows(
        f"SELECT s.line, s.prompt_id FROM {STAGED_GENERATIONS} s WHERE NOT EXISTS"
        f" (SELECT 1 FROM {PROMPT} p WHERE p.prompt_set_id = %s"
        " AND p.external_id = s.prompt_id) ORDER BY s.line LIMIT %s",
        [prompt_set_id, MAX_ERRORS],
    )
    if found:
        raise ImportFileError(
            [
                LineError(
                    line,
                    "prompt_id",
                    f"no prompt {prompt_id!r} in set {prompt_set_name!r}",
                )
                for line, prompt_id in found
            ]
        )


def staged_model_names() -> set[str]:
    return {
        name
        for (name,) in fetch_rows(f"SELECT DISTINCT model FROM {STAGED_GENERATIONS}")
    }


def generations_merge(prompt_set_id: int, now: datetime) -> tuple[int, list[int], int]:
    """Store the staged responses; (created, primary keys replaced, unchanged).

    A response already done with other text is an error naming its line; one not
    done (pending, failed, ...) is replaced; one done with the same text is left.
    """
    done = Generation.Status.DONE
    _temp_table_create(
        RESOLVED_GENERATIONS,
        query="AS SELECT s.*, p.id AS prompt_pk, m.id AS chat_model_pk,"
        " g.id AS generation_pk, g.status AS old_status,"
        " g.text IS NOT DISTINCT FROM s.text AS same_text"
        f" FROM {STAGED_GENERATIONS} s"
        f" JOIN {PROMPT} p ON p.prompt_set_id = %s AND p.external_id = s.prompt_id"
        f" JOIN {CHAT_MODEL} m ON m.name = s.model"
        f" LEFT JOIN {GENERATION} g"
        " ON g.prompt_id = p.id AND g.chat_model_id = m.id",
        params=[prompt_set_id],
    )
    changed = fetch_rows(
        f"SELECT line, model, prompt_id FROM {RESOLVED_GENERATIONS}"
        " WHERE old_status = %s AND NOT same_text ORDER BY line LIMIT %s",
        [done, MAX_ERRORS],
    )
    if changed:
        raise ImportFileError(
            [
                LineError(
                    line,
                    "text",
                    f"{model!r} already has another response to prompt {prompt_id!r}",
                )
                for line, model, prompt_id in changed
            ]
        )
    [(new, stale, unchanged)] = fetch_rows(
        "SELECT count(*) FILTER (WHERE generation_pk IS NULL),"
        " count(*) FILTER (WHERE old_status <> %s),"
        " count(*) FILTER (WHERE old_status = %s)"
        f" FROM {RESOLVED_GENERATIONS}",
        [done, done],
    )
    values = {"done": done, "imported": Generation.Source.IMPORTED, "now": now}
    created = _execute(
        f"INSERT INTO {GENERATION} (prompt_id, chat_model_id, status, source, text,"
        " word_count, html, html_version, prompt_tokens, completion_tokens,"
        " finish_reason, request, backend_model_id, attempts, last_error, metadata,"
        " created_at, updated_at, finished_at)"
        " SELECT prompt_pk, chat_model_pk, %(done)s, %(imported)s, text, word_count,"
        " html, html_version, prompt_tokens, completion_tokens, '', '{}', '', 0, '',"
        f" metadata, %(now)s, %(now)s, %(now)s FROM {RESOLVED_GENERATIONS}"
        " WHERE generation_pk IS NULL ORDER BY line"
        " ON CONFLICT (prompt_id, chat_model_id) DO NOTHING",
        values,
    )
    replaced = [
        pk
        for (pk,) in fetch_rows(
            f"UPDATE {GENERATION} g SET status = %(done)s, source = %(imported)s,"
            " text = r.text, word_count = r.word_count, html = r.html,"
            " html_version = r.html_version, prompt_tokens = r.prompt_tokens,"
            " completion_tokens = r.completion_tokens, metadata = r.metadata,"
            " finished_at = %(now)s, last_error = '', updated_at = %(now)s"
            f" FROM {RESOLVED_GENERATIONS} r WHERE g.id = r.generation_pk"
            " AND r.old_status <> %(done)s AND g.status <> %(done)s RETURNING g.id",
            values,
        )
    ]
    if (created, len(replaced)) != (new, stale):
        raise ImportConflictError([LineError(None, "text", CONFLICT)])
    return created, replaced, unchanged
