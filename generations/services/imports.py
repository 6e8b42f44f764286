"""Importing prompt sets and generations made elsewhere; all or nothing per file."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from evalsite.imports.fields import shown
from evalsite.imports.limits import MAX_NAME_CHARS, MAX_TURNS
from evalsite.imports.options import name_option
from evalsite.imports.reader import (
    FieldError,
    ImportFileError,
    ImportResult,
    LineError,
    Record,
    iter_records,
    optional_int,
    optional_object,
    text_check,
    text_field,
)
from evalsite.imports.staging import (
    checked_batches,
    file_sha256,
    is_postgresql,
)
from evalsite.rendering import stored_html

from ..models import Generation, ImportedFile, Prompt, PromptSet
from ..signals import rows_changed
from ..words import count_turn_words, count_words
from . import import_orm, import_sql, imported_files
from .import_sql import json_text

ROLES = ("system", "user", "assistant")
PROMPT_FIELDS = {"id", "turns", "prompt", "categories", "category"}
PROMPT_FIELDS |= {"collection_method", "metadata"}
GENERATION_FIELDS = {"prompt_id", "model", "text", "prompt_tokens", "completion_tokens"}
GENERATION_FIELDS |= {"metadata"}
COLLECTION_METHODS = frozenset(Prompt.CollectionMethod.values)
PROMPTS = ImportedFile.Kind.PROMPTS
GENERATIONS = ImportedFile.Kind.GENERATIONS


@dataclass(frozen=True)
class PromptRow:
    external_id: str
    turns: list[dict[str, str]]
    categories: list[str]
    collection_method: str
    metadata: dict[str, Any]

    @property
    def num_turns(self) -> int:
        return sum(1 for turn in self.turns if turn["role"] == "user")

    @property
    def word_count(self) -> int:
        return count_turn_words(self.turns)


def checked_turns(data: dict[str, Any]) -> list[dict[str, str]]:
    """A record's turns (or its ``prompt``) as stored; FieldError names the fault."""
    if "turns" in data and "prompt" in data:
        raise FieldError("turns", "give either 'turns' or 'prompt', not both")
    if "prompt" in data or "turns" not in data:
        if "turns" not in data and "prompt" not in data:
            raise FieldError("turns", "required field is missing (or give 'prompt')")
        return [{"role": "user", "content": text_field(data, "prompt")}]
    turns = data["turns"]
    if not isinstance(turns, list) or not turns:
        raise FieldError("turns", "expected a non-empty list of turns")
    if len(turns) > MAX_TURNS:
        raise FieldError("turns", f"more than {MAX_TURNS} turns ({len(turns)} given)")
    clean = []
    for index, turn in enumerate(turns):
        name = f"turns[{index}]"
        if not isinstance(turn, dict):
            raise FieldError(name, 'expected {"role": ..., "content": ...}')
        role = turn.get("role")
        if role not in ROLES:
            raise FieldError(
                f"{name}.role", f"unknown role {shown(role)} (one of {ROLES})"
            )
        if role == "system" and index != 0:
            raise FieldError(f"{name}.role", "a system turn may only come first")
        content = turn.get("content")
        if not isinstance(content, str) or not content.strip():
            raise FieldError(f"{name}.content", "expected non-empty text")
        text_check(content, f"{name}.content")
        if other := sorted(set(turn) - {"role", "content"}):
            # Stored turns are what the servers are sent: role and content alone.
            raise FieldError(
                f"{name}.{other[0]}", "a turn has a role and content, nothing else"
            )
        clean.append({"role": role, "content": content})
    dialogue = [turn["role"] for turn in clean if turn["role"] != "system"]
    if not dialogue or dialogue[-1] != "user":
        raise FieldError("turns", "the last turn must be a user turn")
    for position, role in enumerate(dialogue):
        if role != ("user" if position % 2 == 0 else "assistant"):
            raise FieldError("turns", "user and assistant turns must alternate")
    return clean


def _categories(data: dict[str, Any], allowed: list[str]) -> list[str]:
    if "categories" in data and "category" in data:
        raise FieldError("categories", "give either 'categories' or 'category'")
    if "category" in data:
        categories = [text_field(data, "category", max_length=MAX_NAME_CHARS)]
        name = "category"
    else:
        if data.get("categories") is None:  # a CSV's column is ``category``
            raise FieldError(
                "categories", "required field is missing (or give 'category')"
            )
        value = data["categories"]
        name = "categories"
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise FieldError(name, "expected a list of category names")
        categories = [
            text_check(item, name, max_length=MAX_NAME_CHARS).strip() for item in value
        ]
    if not 1 <= len(categories) <= 2:
        raise FieldError(
            name, f"a prompt has one or two categories, got {len(categories)}"
        )
    if len(set(categories)) != len(categories):
        raise FieldError(name, "a category is repeated")
    unknown = [item for item in categories if allowed and item not in allowed]
    if unknown:
        raise FieldError(name, f"unknown category {unknown[0]!r} (one of {allowed})")
    return categories


def _metadata(data: dict, fields: Iterable[str]) -> dict[str, Any]:
    """A record's metadata: its ``metadata`` object and its fields the import does
    not read. A key in both is refused (one of the two values would be lost)."""
    metadata = optional_object(data, "metadata")
    extra = {key: value for key, value in data.items() if key not in fields}
    if both := sorted(set(extra) & set(metadata)):
        raise FieldError(
            both[0], "given both as a field and in metadata: keep one of the two"
        )
    return {**extra, **metadata}


def _prompt_row(record: Record, allowed: list[str]) -> PromptRow:
    data = record.data
    external_id = text_field(data, "id", max_length=MAX_NAME_CHARS)
    turns = checked_turns(data)
    categories = _categories(data, allowed)
    user_turns = sum(1 for turn in turns if turn["role"] == "user")
    if user_turns == 1 and len(categories) != 1:
        raise FieldError("categories", "a single-turn prompt has exactly one category")
    method = data.get("collection_method") or ""
    if method:  # a list or an object here was a 500 (unhashable)
        method = text_field(data, "collection_method", max_length=MAX_NAME_CHARS)
    if method and method not in COLLECTION_METHODS:
        raise FieldError(
            "collection_method",
            f"unknown method {method!r} (one of {Prompt.CollectionMethod.values})",
        )
    if method and user_turns == 1:
        raise FieldError("collection_method", "only multi-turn prompts have one")
    metadata = _metadata(data, PROMPT_FIELDS)
    return PromptRow(external_id, turns, categories, method, metadata)


def _records(
    file_name: str,
    data: bytes | IO[bytes],
    csv_columns: tuple[str, ...],
    csv_empty: tuple[str, ...] = (),
) -> Iterable[Record]:
    """The file's records, read once, in order, as a stream (bounded memory)."""
    return iter_records(
        file_name=file_name, source=data, csv_columns=csv_columns, csv_empty=csv_empty
    )


def prompts_import(
    *,
    prompt_set_name: str,
    file_name: str,
    data: bytes | IO[bytes],
    uploaded_by=None,
    description: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a JSONL or CSV prompt file into the named set (created when missing).

    Re-importing the same prompts changes nothing; a prompt id already in the set
    with different content is an error, since generations and ratings refer to it.
    ``data`` is the file's bytes or a seekable binary file; it is read once, in
    batches of BATCH_SIZE records; ``progress`` hears the records read so far.
    """
    prompt_set_name = name_option(prompt_set_name, "prompt_set")
    with transaction.atomic(durable=True):
        prompt_set = PromptSet.objects.filter(name=prompt_set_name).first()
        file_hash = file_sha256(data)
        known = imported_files.known_result(prompt_set, PROMPTS, file_hash)
        if known is not None:
            return known
        allowed = list(prompt_set.categories) if prompt_set else []
        if is_postgresql():
            # Each record becomes its COPY row as it is checked: what a batch holds
            # is a tuple of strings and numbers a record, not its parsed dicts.
            def check(record: Record) -> tuple:
                return _prompt_copied(record, _prompt_row(record, allowed))
        else:

            def check(record: Record) -> PromptRow:
                return _prompt_row(record, allowed)

        batches = checked_batches(
            _records(file_name, data, ("id", "prompt", "category")),
            check,
            progress=progress,
        )
        rows = ([row for _, row in batch] for batch in batches)
        if prompt_set is None:
            prompt_set = PromptSet.objects.create(
                name=prompt_set_name,
                description=description,
                uploaded_by=uploaded_by,
                source_name=file_name,
                source_sha256=file_hash,
            )
            new_set = True
        else:
            new_set = False
            # Imports into one set take turns; their checks see each other's rows.
            PromptSet.objects.select_for_update().filter(pk=prompt_set.pk).first()
        if is_postgresql() and new_set:
            created, unchanged = import_sql.prompts_copy_new(prompt_set.pk, rows), 0
        elif is_postgresql():
            import_sql.stage(import_sql.STAGED_PROMPTS, import_sql.PROMPT_COLUMNS, rows)
            import_sql.duplicates_raise(
                import_sql.STAGED_PROMPTS, ("external_id",), "id"
            )
            created, unchanged = import_sql.prompts_merge(
                prompt_set.pk, prompt_set_name
            )
        else:
            checked = [pair for batch in batches for pair in batch]
            import_orm.duplicates_reject(checked, lambda row: row.external_id, "id")
            created, unchanged = import_orm.prompts_store(checked, prompt_set)
        result = ImportResult(
            created=created,
            unchanged=unchanged,
            details={"prompt_set": prompt_set.name},
        )
        imported_files.record(prompt_set, PROMPTS, file_hash, result)
    return result


def _prompt_copied(record: Record, row: PromptRow) -> tuple:
    return (
        record.line,
        row.external_id,
        json_text(row.turns),
        json_text(row.categories),
        row.collection_method,
        json_text(row.metadata),
        row.num_turns,
        row.word_count,
    )


@dataclass(frozen=True)
class GenerationRow:
    prompt_id: str
    model: str
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    metadata: dict[str, Any]


def _generation_row(record: Record) -> GenerationRow:
    data = record.data
    metadata = _metadata(data, GENERATION_FIELDS)
    return GenerationRow(
        prompt_id=text_field(data, "prompt_id", max_length=MAX_NAME_CHARS),
        model=text_field(data, "model", max_length=MAX_NAME_CHARS),
        text=text_field(data, "text", allow_empty=True),
        prompt_tokens=optional_int(data, "prompt_tokens"),
        completion_tokens=optional_int(data, "completion_tokens"),
        metadata=metadata,
    )


def generations_import(
    *,
    prompt_set_name: str,
    file_name: str,
    data: bytes | IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import responses made elsewhere; chat models are created by name when missing.

    A response already stored for the same prompt and model is left as it is when
    its text is the same and is an error when it differs. ``data`` and ``progress``
    are as for ``prompts_import``.
    """
    prompt_set_name = name_option(prompt_set_name, "prompt_set")
    with transaction.atomic(durable=True):
        prompt_set = PromptSet.objects.filter(name=prompt_set_name).first()
        file_hash = file_sha256(data)
        known = imported_files.known_result(prompt_set, GENERATIONS, file_hash)
        if known is not None:
            return known
        batches = checked_batches(
            # An empty text is a model that answered nothing, as "" in JSONL.
            _records(file_name, data, ("prompt_id", "model", "text"), ("text",)),
            _generation_row,
            progress=progress,
        )
        if is_postgresql():
            import_sql.stage(
                import_sql.STAGED_GENERATIONS,
                import_sql.GENERATION_COLUMNS,
                (
                    [_generation_copied(record, row) for record, row in batch]
                    for batch in batches
                ),
            )
            import_sql.duplicates_raise(
                import_sql.STAGED_GENERATIONS, ("prompt_id", "model"), "model"
            )
        else:
            checked = [pair for batch in batches for pair in batch]
            import_orm.duplicates_reject(
                checked, lambda row: (row.prompt_id, row.model), "model"
            )
        if prompt_set is None:
            raise ImportFileError(
                [
                    LineError(
                        None, "prompt_set", f"no prompt set named {prompt_set_name!r}"
                    )
                ]
            )
        PromptSet.objects.select_for_update().filter(pk=prompt_set.pk).first()
        now = timezone.now()
        if is_postgresql():
            import_sql.unknown_prompts_raise(prompt_set.pk, prompt_set_name)
            models = import_orm.chat_models_ensure(import_sql.staged_model_names())
            created, replaced, unchanged = import_sql.generations_merge(
                prompt_set.pk, now
            )
        else:
            models, created, replaced, unchanged = import_orm.generations_store(
                checked, prompt_set, now
            )
        rows_changed.send(sender=Generation, pks=replaced)
        result = ImportResult(
            created=created + len(replaced),
            unchanged=unchanged,
            details={"chat_models": sorted(models)},
        )
        imported_files.record(prompt_set, GENERATIONS, file_hash, result)
    return result


def _generation_copied(record: Record, row: GenerationRow) -> tuple:
    html, html_version = stored_html(row.text)
    return (
        record.line,
        row.prompt_id,
        row.model,
        row.text,
        row.prompt_tokens,
        row.completion_tokens,
        json_text(row.metadata),
        count_words(row.text),
        html,
        html_version,
    )
