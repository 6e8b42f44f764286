"""The portable path of the prompt and generation imports (SQLite): the checked rows
of the whole file in memory, compared and stored through the ORM."""

from typing import Any

from evalsite.imports.reader import ImportFileError, LineError, Record
from evalsite.imports.staging import BATCH_SIZE
from evalsite.rendering import stored_html

from ..models import ChatModel, Generation, Prompt, PromptSet
from ..words import count_words


def duplicates_reject(checked: list[tuple[Record, Any]], key, field: str) -> None:
    seen: dict[Any, int] = {}
    errors = []
    for record, row in checked:
        value = key(row)
        if value in seen:
            errors.append(
                LineError(record.line, field, f"duplicate of line {seen[value]}")
            )
        seen.setdefault(value, record.line)
    if errors:
        raise ImportFileError(errors[:50])


def prompts_store(
    checked: list[tuple[Record, Any]], prompt_set: PromptSet
) -> tuple[int, int]:
    """The portable path (SQLite): compare and insert through the ORM."""
    existing = {
        prompt.external_id: prompt
        for prompt in Prompt.objects.filter(prompt_set=prompt_set)
    }
    new, errors, unchanged = [], [], 0
    for record, row in checked:
        old = existing.get(row.external_id)
        if old is None:
            new.append(
                Prompt(
                    prompt_set=prompt_set,
                    external_id=row.external_id,
                    turns=row.turns,
                    categories=row.categories,
                    collection_method=row.collection_method,
                    metadata=row.metadata,
                    num_turns=row.num_turns,
                    word_count=row.word_count,
                )
            )
        elif (old.turns, old.categories) == (row.turns, row.categories):
            unchanged += 1
        else:
            errors.append(
                LineError(
                    record.line,
                    "id",
                    f"prompt {row.external_id!r} is already in set "
                    f"{prompt_set.name!r} with other content",
                )
            )
    if errors:
        raise ImportFileError(errors[:50])
    Prompt.objects.bulk_create(new, batch_size=BATCH_SIZE)
    return len(new), unchanged


def generation_fields(row: Any, now) -> dict[str, Any]:
    # Only long texts are rendered here (STORE_FROM_CHARS): a million short
    # ones would cost minutes for nothing; they render on view in < 1 ms.
    html, html_version = stored_html(row.text)
    return {
        "status": Generation.Status.DONE,
        "source": Generation.Source.IMPORTED,
        "text": row.text,
        "word_count": count_words(row.text),
        "html": html,
        "html_version": html_version,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "metadata": row.metadata,
        "finished_at": now,
        "last_error": "",
        "updated_at": now,
    }


def generations_store(
    checked: list[tuple[Record, Any]], prompt_set: PromptSet, now
) -> tuple[dict[str, ChatModel], int, list[int], int]:
    """The portable path (SQLite): compare, insert and update through the ORM."""
    prompts = dict(
        Prompt.objects.filter(prompt_set=prompt_set).values_list("external_id", "id")
    )
    errors = [
        LineError(
            record.line,
            "prompt_id",
            f"no prompt {row.prompt_id!r} in set {prompt_set.name!r}",
        )
        for record, row in checked
        if row.prompt_id not in prompts
    ]
    if errors:
        raise ImportFileError(errors[:50])
    models = chat_models_ensure({row.model for _, row in checked})
    existing = {
        (generation.prompt_id, generation.chat_model_id): generation
        for generation in Generation.objects.select_for_update().filter(
            prompt__prompt_set=prompt_set
        )
    }
    new, replaced, unchanged, errors = [], [], 0, []
    for record, row in checked:
        key = (prompts[row.prompt_id], models[row.model].pk)
        old = existing.get(key)
        fields = generation_fields(row, now)
        if old is None:
            new.append(Generation(prompt_id=key[0], chat_model_id=key[1], **fields))
        elif old.status == Generation.Status.DONE:
            if old.text == row.text:
                unchanged += 1
            else:
                errors.append(
                    LineError(
                        record.line,
                        "text",
                        f"{row.model!r} already has another response to prompt "
                        f"{row.prompt_id!r}",
                    )
                )
        else:
            for name, value in fields.items():
                setattr(old, name, value)
            replaced.append(old)
    if errors:
        raise ImportFileError(errors[:50])
    Generation.objects.bulk_create(new, batch_size=1000)
    Generation.objects.bulk_update(replaced, fields=list(fields), batch_size=1000)
    return models, len(new), [row.pk for row in replaced], unchanged


def chat_models_ensure(names: set[str]) -> dict[str, ChatModel]:
    models = {model.name: model for model in ChatModel.objects.filter(name__in=names)}
    missing = [
        ChatModel(name=name, backend=ChatModel.Backend.IMPORTED)
        for name in sorted(names - set(models))
    ]
    ChatModel.objects.bulk_create(missing, ignore_conflicts=True)
    return {model.name: model for model in ChatModel.objects.filter(name__in=names)}
