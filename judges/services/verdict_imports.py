"""Importing a judge's verdicts made elsewhere (``import_ratings ... --judge NAME``):
a ratings file, read and checked by the ratings import's code, stored as the
judge's Judgement rows; all of the file or nothing.

A judgement is a rating of its own kind: no Rating, Assignment or user is made and
no pair's stage changes, so verdicts never count towards a pair's N annotators.
Per judge and pair the first verdict is the order as shown (``swapped`` false); a
second one with the sides the other way round is the swapped order; a second with
the same sides, or a third, is an error naming its line. A verdict already stored
with the same choice is counted unchanged, so importing a file again changes
nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations import scales
from annotations.services.verdict_files import VerdictFile, verdicts_read
from evalsite.imports.lines import Source
from evalsite.imports.options import name_option
from evalsite.imports.reader import (
    MAX_ERRORS,
    ImportConflictError,
    ImportFileError,
    ImportResult,
    LineError,
)

from ..models import Judge, Judgement

CONFLICT = LineError(
    None,
    None,
    "another import stored this judge's verdicts on these pairs meanwhile; nothing "
    "of this file was stored (send it again)",
)


def verdicts_import(
    *,
    judge_name: str,
    prompt_set_name: str,
    evaluation_name: str,
    scale: str,
    file_name: str,
    data: Source,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import judge ``judge_name``'s verdicts on the evaluation's pairs; the judge is
    created, without a chat model, when missing.

    Each judgement is ``source`` imported, ``status`` done, with no template or
    run; ``candidate_on_left`` follows the line's model_a, ``choice`` is the
    line's (as shown), ``score`` the candidate's view; the line's ``comment`` is
    kept as the reply and its ``created_at`` as ``finished_at`` (else now).
    ImportFileError names the line and field of every bad line, and nothing is
    stored, the judge included; ImportConflictError when another import stored
    verdicts of this judge on the same pairs meanwhile.
    """
    name = name_option(judge_name, "judge")
    with transaction.atomic(durable=True):
        verdicts = verdicts_read(
            prompt_set_name=prompt_set_name,
            evaluation_name=evaluation_name,
            scale=scale,
            file_name=file_name,
            data=data,
            progress=progress,
        )
        judge, _ = Judge.objects.get_or_create(name=name)
        created, unchanged = _judgements_store(judge, verdicts)
    return ImportResult(
        created=created,
        unchanged=unchanged,
        details={
            "evaluation": verdicts.evaluation.name,
            "judge": judge.name,
            "comparisons": len({v.comparison_id for v in verdicts.verdicts}),
        },
    )


@dataclass
class _Order:
    """One order of a pair that the judge has, stored or new: ``line`` is the
    file's line that gave it (or matched it, if stored), None while none has."""

    candidate_on_left: bool
    swapped: bool
    choice: int | None
    status: str
    line: int | None = None


def _judgements_store(judge: Judge, file: VerdictFile) -> tuple[int, int]:
    """Store the file's new verdicts; return (created, unchanged)."""
    orders: dict[int, list[_Order]] = {}
    stored = Judgement.objects.select_for_update().filter(
        judge=judge, comparison__evaluation=file.evaluation
    )
    for judgement in stored.order_by("swapped"):
        orders.setdefault(judgement.comparison_id, []).append(
            _Order(
                judgement.candidate_on_left,
                judgement.swapped,
                judgement.choice,
                judgement.status,
            )
        )
    now = timezone.now()
    new, unchanged, errors = [], 0, []
    for verdict in file.verdicts:
        pair = orders.setdefault(verdict.comparison_id, [])
        same = next(
            (o for o in pair if o.candidate_on_left == verdict.candidate_on_left),
            None,
        )
        problem = _problem(judge, verdict.choice, same, pair)
        if problem:
            errors.append(LineError(verdict.line, *problem))
            if len(errors) >= MAX_ERRORS:
                break
            continue
        if same is not None:  # stored with the same choice
            same.line = verdict.line
            unchanged += 1
            continue
        swapped = any(not order.swapped for order in pair)
        pair.append(
            _Order(
                verdict.candidate_on_left,
                swapped,
                verdict.choice,
                Judgement.Status.DONE,
                verdict.line,
            )
        )
        new.append(
            Judgement(
                judge=judge,
                comparison_id=verdict.comparison_id,
                swapped=swapped,
                candidate_on_left=verdict.candidate_on_left,
                scale=file.evaluation.scale,
                status=Judgement.Status.DONE,
                source=Judgement.Source.IMPORTED,
                choice=verdict.choice,
                score=scales.candidate_score(
                    verdict.choice, candidate_on_left=verdict.candidate_on_left
                ),
                reply=verdict.comment,
                finished_at=verdict.created_at or now,
            )
        )
    if errors:
        raise ImportFileError(errors)
    try:
        with transaction.atomic():  # a savepoint: a race is a conflict, not a 500
            Judgement.objects.bulk_create(new, batch_size=2000)
    except IntegrityError as exc:
        if "judgement_once_per_order" in str(exc) or "UNIQUE" in str(exc):
            raise ImportConflictError([CONFLICT]) from None
        raise
    return len(new), unchanged


def _problem(
    judge: Judge, choice: int, same: _Order | None, pair: list[_Order]
) -> tuple[str, str] | None:
    """Why a verdict cannot be stored, as (field, message); None if it can."""
    if same is not None and same.line is not None:
        return (
            "model_a",
            f"line {same.line} gives judge {judge.name!r}'s verdict on this pair "
            "with these sides already; a pair has one verdict per order, as shown "
            "and swapped (model_a and model_b the other way round)",
        )
    if same is not None and same.choice != choice:
        held = same.status if same.choice is None else f"choice {same.choice}"
        return (
            "choice",
            f"judge {judge.name!r} already has another verdict on this pair with "
            f"these sides ({held})",
        )
    if same is None and len(pair) >= 2:
        return (
            "model_a",
            f"judge {judge.name!r} already has this pair in both orders",
        )
    return None
