"""Importing instructions with their probe turns (JSONL or CSV); all of a file or
nothing, every error naming its line and field.

A record: ``id`` (unique in the evaluation), ``system`` (the system message),
``attribute`` (optional label) and ``probes`` (1 to 20 user turns: a list, or in a
CSV cell the JSON text of one). The evaluation is created on its first upload with
the chat models, annotators per reply and annotators given; an instruction stored
before with the same content counts unchanged, with other content it is an error.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from evalsite.imports.fields import known_fields
from evalsite.imports.limits import MAX_NAME_CHARS
from evalsite.imports.lines import Source
from evalsite.imports.options import name_option
from evalsite.imports.reader import (
    FieldError,
    ImportConflictError,
    ImportFileError,
    ImportResult,
    LineError,
    Record,
    check_records,
    read_records,
    required,
    text_check,
    text_field,
)
from evalsite.imports.record_values import json_loads, value_check
from generations.models import ChatModel

from ..models import MAX_ANNOTATORS, MAX_PROBES, ConsistencyEvaluation, Instruction
from .import_settings import settings_check

CSV_COLUMNS = ("id", "system", "probes")
FIELDS = ("id", "system", "attribute", "probes")


def instructions_import(
    *,
    evaluation_name: str,
    file_name: str,
    data: Source,
    chat_model_names: list[str] | None = None,
    annotator_names: list[str] | None = None,
    annotators_per_reply: int | None = None,
    created_by=None,
) -> ImportResult:
    """Store the file's instructions in evaluation ``evaluation_name``.

    ImportFileError names the line and field of every bad record, or the form field
    (``chat_models``, ``annotators``, ``annotators_per_reply``) that is wrong; then
    nothing is stored, the evaluation included. The name is checked first, as
    every import's (it loses its surrounding spaces, as the form and API take it).
    """
    evaluation_name = name_option(evaluation_name, "evaluation")
    records = read_records(
        file_name=file_name, data=data, csv_columns=CSV_COLUMNS, csv_known=FIELDS
    )
    checked = check_records(records, _instruction_fields)
    _unique_ids(checked)
    try:
        with transaction.atomic(durable=True):
            evaluation, created, unchanged = _store(
                checked,
                evaluation_name=evaluation_name,
                chat_model_names=chat_model_names,
                annotator_names=annotator_names,
                annotators_per_reply=annotators_per_reply,
                created_by=created_by,
            )
    except IntegrityError:  # another upload created the evaluation or the ids first
        raise ImportConflictError(
            [LineError(None, None, "another upload changed this evaluation meanwhile")]
        ) from None
    return ImportResult(
        created=created,
        unchanged=unchanged,
        details={"evaluation": evaluation.name, "evaluation_id": evaluation.pk},
    )


def _store(
    checked,
    *,
    evaluation_name,
    chat_model_names,
    annotator_names,
    annotators_per_reply,
    created_by,
) -> tuple[ConsistencyEvaluation, int, int]:
    """The checked records stored (the evaluation created on its first upload): the
    evaluation, instructions created and instructions unchanged."""
    evaluation = ConsistencyEvaluation.objects.filter(name=evaluation_name).first()
    if evaluation is None:
        evaluation = _evaluation_create(
            name=evaluation_name,
            chat_model_names=chat_model_names or [],
            annotator_names=annotator_names or [],
            annotators_per_reply=annotators_per_reply,
            created_by=created_by,
        )
    else:
        settings_check(
            evaluation,
            chat_model_names=chat_model_names,
            annotator_names=annotator_names,
            annotators_per_reply=annotators_per_reply,
        )
    stored = {
        i.external_id: i for i in Instruction.objects.filter(evaluation=evaluation)
    }
    created, unchanged, errors = [], 0, []
    for record, fields in checked:
        old = stored.get(fields["external_id"])
        if old is None:
            created.append(Instruction(evaluation=evaluation, **fields))
        elif all(getattr(old, k) == v for k, v in fields.items()):
            unchanged += 1
        else:
            errors.append(
                LineError(record.line, "id", "stored before with other content")
            )
    if errors:
        raise ImportFileError(errors)
    Instruction.objects.bulk_create(created)
    return evaluation, len(created), unchanged


def _instruction_fields(record: Record) -> dict[str, Any]:
    data = record.data
    # A misspelt optional field ("atribute") was dropped without a word.
    known_fields(data, FIELDS)
    return {
        "external_id": text_field(data, "id", max_length=MAX_NAME_CHARS),
        "system_message": text_field(data, "system"),
        "attribute": text_field(
            data, "attribute", allow_empty=True, max_length=MAX_NAME_CHARS
        ).strip()
        if data.get("attribute") is not None
        else "",
        "probes": _probes(data),
    }


def _probes(data: dict[str, Any]) -> list[str]:
    value = required(data, "probes")
    if isinstance(value, str):
        try:
            value = json_loads(value)
        except FieldError as exc:
            # Text is a CSV cell's list, written as JSON; in JSONL it is a mistake.
            raise FieldError(
                "probes",
                'expected a list of user turns (in a CSV cell, as JSON: ["...", '
                f'"..."]); this text is not one ({exc.message})',
            ) from None
    if not isinstance(value, list):
        raise FieldError("probes", "expected a list of user turns")
    if not 1 <= len(value) <= MAX_PROBES:
        raise FieldError(
            "probes", f"expected 1 to {MAX_PROBES} user turns, got {len(value)}"
        )
    probes = []
    for index, probe in enumerate(value):
        name = f"probes[{index}]"  # as the shared record check names list items
        if not isinstance(probe, str):
            raise FieldError(name, "expected a string")
        value_check(probe, name)  # a CSV cell's JSON may hold a lone surrogate
        text_check(probe, name)
        if not probe.strip():
            raise FieldError(name, "must not be empty")
        probes.append(probe.strip())
    return probes


def _unique_ids(checked: list[tuple[Record, dict[str, Any]]]) -> None:
    seen: dict[str, int] = {}
    errors = []
    for record, fields in checked:
        first = seen.setdefault(fields["external_id"], record.line)
        if first != record.line:
            errors.append(LineError(record.line, "id", f"repeats line {first}'s id"))
    if errors:
        raise ImportFileError(errors)


def _evaluation_create(
    *,
    name: str,
    chat_model_names: list[str],
    annotator_names: list[str],
    annotators_per_reply: int | None,
    created_by,
) -> ConsistencyEvaluation:
    errors = []
    models = list(ChatModel.objects.filter(name__in=chat_model_names))
    found = {m.name for m in models}
    for missing in sorted(set(chat_model_names) - found):
        errors.append(LineError(None, "chat_models", f"unknown chat model {missing!r}"))
    for model in sorted(models, key=lambda m: m.name):
        if model.backend == ChatModel.Backend.IMPORTED:  # no server to talk to
            errors.append(
                LineError(
                    None,
                    "chat_models",
                    f"{model.name!r} has no inference server (its responses are "
                    "imported): a dialogue needs one to answer each turn",
                )
            )
    if not chat_model_names:
        errors.append(LineError(None, "chat_models", "name at least one chat model"))
    users = list(get_user_model().objects.filter(username__in=annotator_names))
    for missing in sorted(set(annotator_names) - {u.username for u in users}):
        errors.append(LineError(None, "annotators", f"unknown user {missing!r}"))
    per_reply = 3 if annotators_per_reply is None else annotators_per_reply
    if not 1 <= per_reply <= MAX_ANNOTATORS:
        errors.append(
            LineError(None, "annotators_per_reply", f"must be 1 to {MAX_ANNOTATORS}")
        )
    elif users and len(users) < per_reply:
        # No reply could ever get its N answers (an empty pool is filled later).
        errors.append(
            LineError(
                None,
                "annotators",
                f"a pool of {len(users)} cannot give each reply {per_reply} "
                f"different annotators: name at least {per_reply}, or ask for "
                "fewer per reply",
            )
        )
    if errors:
        raise ImportFileError(errors)
    evaluation = ConsistencyEvaluation(
        name=name, annotators_per_reply=per_reply, created_by=created_by
    )
    evaluation.full_clean()
    evaluation.save()
    evaluation.chat_models.set(models)
    evaluation.annotators.set(users)
    return evaluation
