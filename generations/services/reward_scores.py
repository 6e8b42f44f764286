"""Importing reward-model scores of generations; all or nothing per file.

A row names a generation by its prompt's external id within a prompt set
(``prompt_id``) and its chat model's name (``model``), and gives one reward model's
(``reward_model``) score of it. Whether the scores are logits or probabilities is
said once per upload (``kind``), not per row. Sending a score again for the same
reward model and generation replaces the stored one, so re-uploading a file changes
nothing and uploading a corrected one corrects it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction

from evalsite.imports.limits import MAX_NAME_CHARS
from evalsite.imports.options import name_option
from evalsite.imports.reader import (
    FieldError,
    ImportFileError,
    ImportResult,
    LineError,
    Record,
    iter_records,
    required,
    text_field,
)
from evalsite.imports.staging import checked_batches

from ..models import ChatModel, Generation, PromptSet, RewardScore

FIELDS = ("prompt_id", "model", "score", "reward_model")
KINDS = tuple(RewardScore.Kind.values)
# Rows written per statement.
WRITE_BATCH = 5_000


@dataclass(frozen=True)
class RewardScoreRow:
    generation_id: int
    reward_model: str
    score: float


def score_read(data: dict[str, Any], kind: str) -> float:
    """The row's ``score``: a finite number, within [0, 1] for probabilities."""
    value = required(data, "score")
    if isinstance(value, bool) or (isinstance(value, str) and len(value) > 40):
        raise FieldError("score", f"expected a number, got {value!r:.40}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # an integer too large too
        raise FieldError("score", f"expected a number, got {value!r:.40}") from None
    if not math.isfinite(number):
        raise FieldError("score", f"expected a finite number, got {value!r:.40}")
    if kind == RewardScore.Kind.PROBABILITY and not 0 <= number <= 1:
        raise FieldError(
            "score", f"{number} is not a probability (between 0 and 1 inclusive)"
        )
    return number


class _Resolver:
    """Checks one record at a time against the prompt set's generations and the
    records before it (a second score of the same reward model and generation is
    a duplicate)."""

    def __init__(self, prompt_set: PromptSet, kind: str):
        self.kind = kind
        self.generations = {
            (external_id, model): pk
            for external_id, model, pk in Generation.objects.filter(
                prompt__prompt_set=prompt_set
            ).values_list("prompt__external_id", "chat_model__name", "pk")
        }
        self.prompts = set(prompt_set.prompts.values_list("external_id", flat=True))
        self.models = set(ChatModel.objects.values_list("name", flat=True))
        self.prompt_set_name = prompt_set.name
        self.seen: dict[tuple[int, str], int] = {}

    def __call__(self, record: Record) -> RewardScoreRow:
        data = record.data
        prompt_id = text_field(data, "prompt_id", max_length=MAX_NAME_CHARS)
        model = text_field(data, "model", max_length=MAX_NAME_CHARS)
        reward_model = text_field(data, "reward_model", max_length=MAX_NAME_CHARS)
        score = score_read(data, self.kind)
        if prompt_id not in self.prompts:
            raise FieldError(
                "prompt_id",
                f"no prompt {prompt_id!r} in prompt set {self.prompt_set_name!r}",
            )
        if model not in self.models:
            raise FieldError("model", f"no chat model named {model!r}")
        generation_id = self.generations.get((prompt_id, model))
        if generation_id is None:
            raise FieldError(
                "model", f"{model!r} has no generation for prompt {prompt_id!r}"
            )
        key = (generation_id, reward_model)
        if key in self.seen:
            raise FieldError(
                "reward_model",
                f"duplicate of line {self.seen[key]} (the same prompt_id, model and "
                "reward_model)",
            )
        self.seen[key] = record.line
        return RewardScoreRow(generation_id, reward_model, score)


def _refuse(field: str, message: str) -> ImportFileError:
    return ImportFileError([LineError(None, field, message)])


def reward_scores_import(
    *,
    prompt_set_name: str,
    kind: str,
    file_name: str,
    data: bytes | IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a JSONL or CSV file of reward scores (``prompt_id``, ``model``,
    ``score``, ``reward_model``) for generations of the named prompt set.

    ``kind`` ("logit" or "probability") says what every score of the file is. Any
    bad row (an unknown prompt or model, a prompt the model has no generation for,
    a score that is not a finite number or, for probabilities, outside [0, 1], a
    second row for the same reward model and generation) refuses the whole file
    with ImportFileError naming the line and field; nothing is stored. A reward
    model's scores are all of one kind: a file whose kind differs from the kind of
    that reward model's other stored scores is refused (field ``kind``). Stored
    scores of the same reward model and generation are replaced. The result counts
    the scores written (``created``; of them ``replaced`` in ``details`` replaced a
    different stored score) and those already stored as given (``unchanged``).
    """
    if kind not in KINDS:
        raise _refuse("kind", f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    prompt_set_name = name_option(prompt_set_name, "prompt_set")
    with transaction.atomic(durable=True):
        prompt_set = PromptSet.objects.filter(name=prompt_set_name).first()
        if prompt_set is None:
            raise _refuse("prompt_set", f"no prompt set named {prompt_set_name!r}")
        records = iter_records(file_name=file_name, source=data, csv_columns=FIELDS)
        resolve = _Resolver(prompt_set, kind)
        rows = [
            row
            for batch in checked_batches(records, resolve, progress=progress)
            for _, row in batch
        ]
        return _store(rows, kind, prompt_set)


def _store(
    rows: list[RewardScoreRow], kind: str, prompt_set: PromptSet
) -> ImportResult:
    """Upsert the checked rows; count what changed; refuse mixed kinds."""
    reward_models = sorted({row.reward_model for row in rows})
    stored = {
        (generation_id, reward_model): (score, stored_kind)
        for generation_id, reward_model, score, stored_kind in (
            RewardScore.objects.filter(
                reward_model__in=reward_models,
                generation__prompt__prompt_set=prompt_set,
            ).values_list("generation_id", "reward_model", "score", "kind")
        )
    }
    created = replaced = unchanged = 0
    for row in rows:
        old = stored.get((row.generation_id, row.reward_model))
        if old is None:
            created += 1
        elif old == (row.score, kind):
            unchanged += 1
        else:
            replaced += 1
    for start in range(0, len(rows), WRITE_BATCH):
        RewardScore.objects.bulk_create(
            [
                RewardScore(
                    generation_id=row.generation_id,
                    reward_model=row.reward_model,
                    score=row.score,
                    kind=kind,
                )
                for row in rows[start : start + WRITE_BATCH]
            ],
            update_conflicts=True,
            unique_fields=["reward_model", "generation"],
            update_fields=["score", "kind"],
        )
    mixed = sorted(
        set(
            RewardScore.objects.filter(reward_model__in=reward_models)
            .exclude(kind=kind)
            .values_list("reward_model", flat=True)
        )
    )
    if mixed:
        raise _refuse(
            "kind",
            f"reward model {mixed[0]!r} has scores of other generations stored as "
            f"another kind than {kind!r}; a reward model's scores are of one kind",
        )
    return ImportResult(
        created=created + replaced,
        unchanged=unchanged,
        details={"replaced": replaced, "reward_models": reward_models},
    )
