"""The portable path's references of a ratings file: the prompts, chat models and
generations its lines name, loaded with the ORM, and the check that each exists.

Shared by the ratings import (imports.py) and the reading of judge verdicts
(verdict_files.py); errors name the line and field.
"""

from dataclasses import dataclass

from evalsite.imports.reader import ImportFileError, LineError
from generations.models import ChatModel, Generation, Prompt, PromptSet

from .rating_rows import Checked, RatingRow


@dataclass(frozen=True)
class References:
    """What a file's rows name: prompt ids by external id, chat models by name,
    and (generation id, status) by (prompt id, chat model id)."""

    prompts: dict[str, int]
    models: dict[str, ChatModel]
    generations: dict[tuple[int, int], tuple[int, str]]


def model_names(rows: list[RatingRow]) -> list[str]:
    """The rows' chat models, in order of first appearance."""
    return list(dict.fromkeys(n for row in rows for n in (row.model_a, row.model_b)))


def references_load(prompt_set: PromptSet, names: list[str]) -> References:
    """The prompts of ``prompt_set``, the chat models ``names`` and their
    generations of those prompts."""
    prompts = dict(
        Prompt.objects.filter(prompt_set=prompt_set).values_list("external_id", "id")
    )
    models = {model.name: model for model in ChatModel.objects.filter(name__in=names)}
    generations = {
        (prompt_id, model_id): (generation_id, status)
        for prompt_id, model_id, generation_id, status in Generation.objects.filter(
            prompt__prompt_set=prompt_set, chat_model__name__in=names
        ).values_list("prompt_id", "chat_model_id", "id", "status")
    }
    return References(prompts=prompts, models=models, generations=generations)


def references_check(
    checked: Checked, references: References, prompt_set_name: str
) -> None:
    """Every line's prompt and chat models exist and each model answered the
    prompt; ImportFileError names the lines that fail."""
    prompts, models = references.prompts, references.models
    errors = []
    for record, row in checked:
        if row.prompt_id not in prompts:
            errors.append(
                LineError(
                    record.line,
                    "prompt_id",
                    f"no prompt {row.prompt_id!r} in set {prompt_set_name!r}",
                )
            )
            continue
        for field in ("model_a", "model_b"):
            name = getattr(row, field)
            if name not in models:
                errors.append(LineError(record.line, field, f"no chat model {name!r}"))
                continue
            found = references.generations.get(
                (prompts[row.prompt_id], models[name].pk)
            )
            if found is None or found[1] != Generation.Status.DONE:
                errors.append(
                    LineError(
                        record.line,
                        field,
                        f"no response by {name!r} to prompt {row.prompt_id!r}",
                    )
                )
    if errors:
        raise ImportFileError(errors[:50])
