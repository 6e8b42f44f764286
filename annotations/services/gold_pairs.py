"""Gold pairs in: a JSONL or CSV file of pairs with known answers, or comparisons an
admin marks as gold. Gold pairs are stored apart from comparisons (never in a
report); the generations are the chat models' done generations of the prompt."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from evalsite.imports.fields import known_fields, shown
from evalsite.imports.limits import MAX_NAME_CHARS
from evalsite.imports.lines import Source
from evalsite.imports.reader import (
    FieldError,
    ImportConflictError,
    ImportFileError,
    ImportResult,
    LineError,
    Record,
    check_records,
    optional_int,
    read_records,
    text_field,
)
from generations.models import ChatModel, Generation, Prompt

from .. import scales
from ..models import Comparison, Evaluation, GoldPair

GOLD_COLUMNS = ("prompt_id", "candidate", "baseline", "expected")
GOLD_FIELDS = ("id", *GOLD_COLUMNS, "min_strength", "note")
# The file's words for GoldPair.expected (the candidate's point of view).
EXPECTED = {"candidate": 1, "baseline": -1, "tie": 0}
_KEPT = ("expected", "min_strength", "external_id", "note")
# What the file sets of a gold pair it names again (either way round).
_SET = ("candidate_generation_id", "baseline_generation_id", *_KEPT)


def _same_pair(pair: GoldPair) -> tuple[int, int, int]:
    """A gold pair's identity: its prompt and its two responses, either way round
    (the same two responses with their sides swapped are the same pair)."""
    first, second = sorted((pair.candidate_generation_id, pair.baseline_generation_id))
    return (pair.prompt_id, first, second)


@dataclass(frozen=True)
class GoldRow:
    prompt_id: str
    candidate: str
    baseline: str
    expected: int
    min_strength: int | None
    external_id: str
    note: str


def _optional_text(data: dict, name: str, max_length: int) -> str:
    if data.get(name) in (None, ""):
        return ""
    return text_field(data, name, allow_empty=True, max_length=max_length).strip()


def _row(record: Record) -> GoldRow:
    data = record.data
    known_fields(data, GOLD_FIELDS)
    expected = text_field(data, "expected").lower()
    if expected not in EXPECTED:
        raise FieldError(
            "expected", f"expected candidate, baseline or tie, got {shown(expected)}"
        )
    strength = optional_int(data, "min_strength", maximum=4)
    if strength == 0:
        raise FieldError("min_strength", "must be at least 1 (or left out)")
    if strength is not None and expected == "tie":
        raise FieldError("min_strength", "an expected tie has no strength")
    row = GoldRow(
        prompt_id=text_field(data, "prompt_id", max_length=MAX_NAME_CHARS),
        candidate=text_field(data, "candidate", max_length=MAX_NAME_CHARS),
        baseline=text_field(data, "baseline", max_length=MAX_NAME_CHARS),
        expected=EXPECTED[expected],
        min_strength=strength,
        external_id=_optional_text(data, "id", MAX_NAME_CHARS),
        note=_optional_text(data, "note", 10_000),
    )
    if row.candidate == row.baseline:
        raise FieldError("baseline", "the same chat model as the candidate")
    return row


def gold_pairs_import(
    *, evaluation: Evaluation, file_name: str, data: Source
) -> ImportResult:
    """Store the file's gold pairs in the evaluation; all or nothing.

    Columns: ``prompt_id`` (the prompt's external id in the evaluation's prompt
    set), ``candidate`` and ``baseline`` (chat model names, each with a done
    generation of the prompt), ``expected`` (candidate, baseline or tie), optional
    ``min_strength`` (1 up to the scale's strongest answer), ``id`` and ``note``. A
    pair already gold in the evaluation, either way round, takes the file's sides
    and values. Raises ImportFileError naming
    the line and field of every bad line; nothing is stored then."""
    if evaluation.kind == Evaluation.Kind.SINGLE:
        raise ImportFileError(
            [LineError(None, "evaluation", "a single-response evaluation has no pairs")]
        )
    rows = check_records(
        read_records(
            file_name=file_name,
            data=data,
            csv_columns=GOLD_COLUMNS,
            csv_known=GOLD_FIELDS,
        ),
        _row,
    )
    resolved = _resolve(evaluation, rows)
    try:
        with transaction.atomic(durable=True):
            return _store(evaluation, resolved)
    except IntegrityError:
        raise ImportConflictError(
            [LineError(None, None, "another upload added these gold pairs meanwhile")]
        ) from None


def _resolve(
    evaluation: Evaluation, rows: list[tuple[Record, GoldRow]]
) -> list[GoldPair]:
    prompts = dict(
        Prompt.objects.filter(
            prompt_set=evaluation.prompt_set,
            external_id__in={row.prompt_id for _, row in rows},
        ).values_list("external_id", "pk")
    )
    names = {row.candidate for _, row in rows} | {row.baseline for _, row in rows}
    models = dict(ChatModel.objects.filter(name__in=names).values_list("name", "pk"))
    generations = {
        (prompt, model): (pk, status)
        for pk, prompt, model, status in Generation.objects.filter(
            prompt_id__in=prompts.values(), chat_model_id__in=models.values()
        ).values_list("pk", "prompt_id", "chat_model_id", "status")
    }
    strongest = scales.bounds(evaluation.scale)[1]
    pairs, seen, errors = [], {}, []
    for record, row in rows:
        try:
            pair = _pair(evaluation, row, prompts, models, generations, strongest)
        except FieldError as exc:
            errors.append(LineError(record.line, exc.field, exc.message))
            continue
        key = _same_pair(pair)
        if key in seen:
            errors.append(
                LineError(
                    record.line,
                    "prompt_id",
                    f"the same pair as line {seen[key]} (either way round)",
                )
            )
        seen.setdefault(key, record.line)
        pairs.append(pair)
    if errors:
        raise ImportFileError(errors)
    return pairs


def _pair(evaluation, row: GoldRow, prompts, models, generations, strongest):
    if row.prompt_id not in prompts:
        raise FieldError(
            "prompt_id",
            f"no prompt {row.prompt_id!r} in prompt set {evaluation.prompt_set.name!r}",
        )
    prompt = prompts[row.prompt_id]
    ids = []
    for field in ("candidate", "baseline"):
        name = getattr(row, field)
        if name not in models:
            raise FieldError(field, f"no chat model named {name!r}")
        pk, status = generations.get((prompt, models[name]), (None, None))
        if status != Generation.Status.DONE:
            raise FieldError(
                field, f"{name!r} has no done generation of prompt {row.prompt_id!r}"
            )
        ids.append(pk)
    if row.min_strength is not None and row.min_strength > strongest:
        raise FieldError(
            "min_strength",
            f"{row.min_strength} is over the scale's strongest answer ({strongest})",
        )
    return GoldPair(
        evaluation=evaluation,
        prompt_id=prompt,
        candidate_generation_id=ids[0],
        baseline_generation_id=ids[1],
        expected=row.expected,
        min_strength=row.min_strength,
        external_id=row.external_id,
        note=row.note,
    )


def _store(evaluation: Evaluation, pairs: Iterable[GoldPair]) -> ImportResult:
    existing = {
        _same_pair(g): g
        for g in GoldPair.objects.filter(evaluation=evaluation).select_for_update()
    }
    new, changed, unchanged = [], [], 0
    for pair in pairs:
        stored = existing.get(_same_pair(pair))
        if stored is None:
            new.append(pair)
        elif any(getattr(stored, f) != getattr(pair, f) for f in _SET):
            for name in _SET:
                setattr(stored, name, getattr(pair, name))
            changed.append(stored)
        else:
            unchanged += 1
    GoldPair.objects.bulk_create(new)
    GoldPair.objects.bulk_update(changed, list(_SET))
    return ImportResult(
        created=len(new), unchanged=unchanged, details={"updated": len(changed)}
    )


@transaction.atomic(durable=True)
def gold_pairs_from_comparisons(
    *, comparisons: Iterable[Comparison], expected: int, note: str = ""
) -> ImportResult:
    """Make each pairwise comparison a gold pair of its evaluation with this
    expected side (+1 candidate, -1 baseline, 0 tie), copying its prompt and
    generations; an existing gold pair of the same generations (either way round)
    takes the comparison's sides and the new expectation. Single-response
    comparisons are passed over (``details``)."""
    if expected not in (-1, 0, 1):
        raise ValueError(f"expected must be -1, 0 or 1, not {expected!r}")
    created = updated = passed = 0
    for comparison in comparisons:
        if comparison.baseline_generation_id is None:
            passed += 1
            continue
        sides = (comparison.candidate_generation_id, comparison.baseline_generation_id)
        stored = (
            GoldPair.objects.select_for_update()
            .filter(
                evaluation_id=comparison.evaluation_id,
                prompt_id=comparison.prompt_id,
                candidate_generation_id__in=sides,
                baseline_generation_id__in=sides,
            )
            .first()
        )
        if stored is None:
            GoldPair.objects.create(
                evaluation_id=comparison.evaluation_id,
                prompt_id=comparison.prompt_id,
                candidate_generation_id=sides[0],
                baseline_generation_id=sides[1],
                expected=expected,
                external_id=comparison.external_id,
                note=note or f"from comparison {comparison.pk}",
            )
            created += 1
            continue
        stored.candidate_generation_id, stored.baseline_generation_id = sides
        stored.expected, stored.min_strength = expected, None
        stored.save(
            update_fields=[
                "candidate_generation_id",
                "baseline_generation_id",
                "expected",
                "min_strength",
            ]
        )
        updated += 1
    return ImportResult(
        created=created, details={"updated": updated, "single_response": passed}
    )
