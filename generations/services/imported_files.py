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


def _rows_digest(prompt_set: PromptSet, kind: str) -> str:
    if kind == ImportedFile.Kind.PROMPTS:
        return import_sql.prompts_digest(prompt_set.pk)
    return import_sql.generations_digest(prompt_set.pk)


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
