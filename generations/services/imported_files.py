"""Files already imported: an unchanged file is answered from its hash, unparsed.

On PostgreSQL each import that succeeds records the SHA-256 of the file's bytes and a
digest of the stored rows its outcome depends on. The same bytes sent again while
that digest still holds would change nothing, so the recorded result is returned
after hashing the bytes. Any change to those rows (another file, the admin, a
deleted chat model) changes the digest and sends the file the full, checked way.
SQLite, the portable path, always goes the full way.
"""

from evalsite.imports.reader import ImportResult
from evalsite.imports.staging import is_postgresql

from ..models import ImportedFile, PromptSet
from . import import_sql

# The digests below are over row ids and ``xmin``, the id of the transaction that
# last wrote each row (a PostgreSQL system column): any insert, update or delete of
# a row an import's outcome depends on changes them, and reading them is cheap.


def _prompts_digest(prompt_set_id: int) -> str:
    """A digest of everything of a set that a prompt import's outcome depends on:
    its prompts and the set's own row (its allowed categories)."""
    [(digest,)] = import_sql.fetch_rows(
        f"SELECT md5(concat_ws(',', (SELECT xmin FROM {PromptSet._meta.db_table}"
        " WHERE id = %s), string_agg(id || ':' || xmin, ',' ORDER BY id)))"
        f" FROM {import_sql.PROMPT} WHERE prompt_set_id = %s",
        [prompt_set_id, prompt_set_id],
    )
    return digest


def _generations_digest(prompt_set_id: int) -> str:
    """A digest of the set's responses, their prompts and chat models: all that a
    generation import's outcome depends on."""
    [(digest,)] = import_sql.fetch_rows(
        "SELECT md5(coalesce(string_agg(concat_ws(':', g.id, g.xmin, p.xmin,"
        " m.xmin), ',' ORDER BY g.id), ''))"
        f" FROM {import_sql.GENERATION} g JOIN {import_sql.PROMPT} p ON p.id = g.prompt_id"
        f" JOIN {import_sql.CHAT_MODEL} m ON m.id = g.chat_model_id WHERE p.prompt_set_id = %s",
        [prompt_set_id],
    )
    return digest


def _rows_digest(prompt_set: PromptSet, kind: str) -> str:
    if kind == ImportedFile.Kind.PROMPTS:
        return _prompts_digest(prompt_set.pk)
    return _generations_digest(prompt_set.pk)


def known_result(
    prompt_set: PromptSet | None, kind: str, sha256: str
) -> ImportResult | None:
    """The result of re-importing these bytes when it is known to change nothing."""
    if prompt_set is None or not is_postgresql():
        return None
    known = ImportedFile.objects.filter(
        prompt_set=prompt_set, kind=kind, sha256=sha256
    ).first()
    if known is None or known.rows_digest != _rows_digest(prompt_set, kind):
        return None
    return ImportResult(
        created=0, unchanged=known.result["records"], details=known.result["details"]
    )


def record(prompt_set: PromptSet, kind: str, sha256: str, result: ImportResult) -> None:
    """Remember a file that imported in full, with the rows as they now are."""
    if not is_postgresql():
        return
    ImportedFile.objects.update_or_create(
        prompt_set=prompt_set,
        kind=kind,
        sha256=sha256,
        defaults={
            "rows_digest": _rows_digest(prompt_set, kind),
            "result": {
                "records": result.created + result.unchanged,
                "details": result.details,
            },
        },
    )
