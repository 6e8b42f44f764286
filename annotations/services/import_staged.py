"""The PostgreSQL path of a ratings import, first half: the checked rows are copied
(psycopg's ``COPY``) into a staging table, then resolved and checked by set-based SQL
(references, duplicates), in the caller's transaction; import_storing.py then
creates the comparisons and stores the ratings.

Each step reads the temporary tables the earlier ones made (all dropped at
commit or rollback): ``import_rows`` (the file's rows, with their line numbers) and
``import_resolved`` (rows with their prompt, models and generations). Errors are
those of the portable path (imports.py), naming the line and field.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from evalsite.imports.reader import ImportFileError, LineError
from generations.models import ChatModel

from .rating_rows import Checked
from .sql import G, P

M = ChatModel._meta.db_table
MAX_SHOWN = 50
_ROWS = """
    line integer, prompt text, model_a text, model_b text, annotator text,
    choice smallint, created_at timestamptz, seconds double precision,
    comment text, candidate text, pair_id text, safety_a text, safety_b text
"""
_COLUMNS = (
    "line, prompt, model_a, model_b, annotator, choice, created_at, seconds, "
    "comment, candidate, pair_id, safety_a, safety_b"
)


def execute(sql: str, values: dict | None = None) -> list[tuple]:
    """Run one statement; its rows, if it returns any."""
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall() if cursor.description else []


def temp_table(name: str, body: str, values: dict | None = None) -> None:
    """(Re)create a temporary table dropped at commit: columns, or AS a query."""
    execute(f"DROP TABLE IF EXISTS {name}")
    if body.startswith("("):  # columns, or AS a query
        execute(f"CREATE TEMP TABLE {name} {body} ON COMMIT DROP", values)
    else:
        execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP {body}", values)


def stage(batches: Iterable[Checked]) -> int:
    """COPY the checked rows into ``import_rows``, one batch at a time."""
    temp_table("import_rows", f"({_ROWS})")
    copied = 0
    with connection.cursor() as cursor:  # batches parse here
        raw = cursor.connection  # psycopg's, in Django's transaction
        with raw.cursor() as copying:
            for batch in batches:
                with copying.copy(f"COPY import_rows ({_COLUMNS}) FROM STDIN") as copy:
                    for record, row in batch:
                        copy.write_row(
                            (
                                record.line,
                                row.prompt_id,
                                row.model_a,
                                row.model_b,
                                row.annotator,
                                row.choice,
                                row.created_at,
                                row.seconds,
                                row.comment,
                                row.candidate,
                                row.pair_id,
                                row.safety_a,
                                row.safety_b,
                            )
                        )
                copied += len(batch)
    execute("ANALYZE import_rows")
    return copied


def resolve(*, prompt_set_id: int) -> None:
    """Join each row to its prompt, chat models and their generations."""
    temp_table(
        "import_resolved",
        f"""AS SELECT s.*, p.id AS prompt_id, ma.id AS a_id, mb.id AS b_id,
            ga.id AS gen_a, ga.status AS status_a, gb.id AS gen_b, gb.status AS status_b
        FROM import_rows s
        LEFT JOIN {P} p ON p.prompt_set_id = %(set)s AND p.external_id = s.prompt
        LEFT JOIN {M} ma ON ma.name = s.model_a
        LEFT JOIN {M} mb ON mb.name = s.model_b
        LEFT JOIN {G} ga ON ga.prompt_id = p.id AND ga.chat_model_id = ma.id
        LEFT JOIN {G} gb ON gb.prompt_id = p.id AND gb.chat_model_id = mb.id""",
        {"set": prompt_set_id},
    )
    execute("ANALYZE import_resolved")


def check_references(prompt_set_name: str) -> None:
    """Every prompt and chat model exists, and each model answered the prompt."""
    done = "done"
    rows = execute(
        """SELECT line, prompt, model_a, model_b, prompt_id, a_id, b_id,
            status_a, status_b FROM import_resolved
        WHERE prompt_id IS NULL OR status_a IS DISTINCT FROM %(done)s
            OR status_b IS DISTINCT FROM %(done)s
        ORDER BY line LIMIT %(shown)s""",
        {"done": done, "shown": MAX_SHOWN},
    )
    errors = []
    for line, prompt, model_a, model_b, prompt_id, a_id, b_id, *statuses in rows:
        if prompt_id is None:
            message = f"no prompt {prompt!r} in set {prompt_set_name!r}"
            errors.append(LineError(line, "prompt_id", message))
            continue
        for field, name, model_id, status in zip(
            ("model_a", "model_b"),
            (model_a, model_b),
            (a_id, b_id),
            statuses,
            strict=True,
        ):
            if model_id is None:
                errors.append(LineError(line, field, f"no chat model {name!r}"))
            elif status != done:
                message = f"no response by {name!r} to prompt {prompt!r}"
                errors.append(LineError(line, field, message))
    if errors:
        raise ImportFileError(errors[:MAX_SHOWN])


_PAIR = "prompt_id, LEAST(a_id, b_id), GREATEST(a_id, b_id)"


def check_duplicates() -> None:
    """No annotator rates the same pair twice in the file."""
    (any_twice,) = execute(
        f"""SELECT EXISTS (SELECT 1 FROM import_resolved
        GROUP BY {_PAIR}, annotator HAVING COUNT(*) > 1)"""
    )[0]
    if not any_twice:
        return
    rows = execute(
        f"""SELECT line, annotator, first FROM (
            SELECT line, annotator,
                MIN(line) OVER (PARTITION BY {_PAIR}, annotator) AS first
            FROM import_resolved) d
        WHERE line > first ORDER BY line LIMIT %(shown)s""",
        {"shown": MAX_SHOWN},
    )
    raise ImportFileError(
        [
            LineError(
                line, "annotator", f"{name!r} already rated this pair on line {first}"
            )
            for line, name, first in rows
        ]
    )


def model_names() -> list[str]:
    """The file's chat models, in order of first appearance."""
    rows = execute(
        """SELECT name FROM (
            SELECT model_a AS name, 2 * line AS at FROM import_rows
            UNION ALL SELECT model_b, 2 * line + 1 FROM import_rows) m
        GROUP BY name ORDER BY MIN(at)"""
    )
    return [name for (name,) in rows]


def first_candidate() -> str:
    """The first line's candidate, or its model_a."""
    rows = execute(
        "SELECT COALESCE(candidate, model_a) FROM import_rows ORDER BY line LIMIT 1"
    )
    return rows[0][0]


def safety_labelled() -> bool:
    """Whether the file's ratings have safety labels (all have, or none has)."""
    rows = execute("SELECT EXISTS (SELECT 1 FROM import_rows WHERE safety_a <> '')")
    return bool(rows[0][0])


def annotators() -> set[str]:
    return {name for (name,) in execute("SELECT DISTINCT annotator FROM import_rows")}
