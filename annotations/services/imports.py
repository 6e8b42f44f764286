"""Importing pairwise ratings made elsewhere into an evaluation; all or nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from evalsite.imports.limits import (
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_SECONDS,
    MAX_USERNAME_CHARS,
)
from evalsite.imports.reader import (
    FieldError,
    ImportConflictError,
    ImportFileError,
    ImportResult,
    LineError,
    Record,
    check_records,
    optional_float,
    read_records,
    text_field,
)
from generations.models import ChatModel, Generation, Prompt, PromptSet

from .. import roles, scales
from ..models import Comparison, Evaluation, Rating
from . import import_slots
from .stages import stages_refresh

COLUMNS = ("prompt_id", "model_a", "model_b", "annotator", "choice")
# No chat model was rated before this; a rating from the future is a wrong clock.
EARLIEST_RATING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RatingRow:
    prompt_id: str
    model_a: str
    model_b: str
    annotator: str
    choice: int
    created_at: datetime | None
    seconds: float | None
    comment: str
    candidate: str | None
    pair_id: str

    @property
    def pair(self) -> tuple[str, frozenset[str]]:
        return self.prompt_id, frozenset((self.model_a, self.model_b))


def _rating_row(record: Record, scale: str) -> RatingRow:
    data = record.data
    model_a = text_field(data, "model_a", max_length=MAX_NAME_CHARS)
    model_b = text_field(data, "model_b", max_length=MAX_NAME_CHARS)
    if model_a == model_b:
        raise FieldError("model_b", "model_a and model_b must differ")
    raw = data.get("choice")
    if raw is None or raw == "":
        raise FieldError("choice", "required field is missing")
    try:
        choice = scales.parse_choice(scale, raw)
    except ValueError as exc:
        raise FieldError("choice", str(exc)) from None
    created_at = _created_at(data)
    candidate = data.get("candidate") or None
    if candidate is not None and candidate not in (model_a, model_b):
        raise FieldError("candidate", "must be model_a or model_b")
    return RatingRow(
        prompt_id=text_field(data, "prompt_id", max_length=MAX_NAME_CHARS),
        model_a=model_a,
        model_b=model_b,
        annotator=_annotator(data),
        choice=choice,
        created_at=created_at,
        seconds=optional_float(data, "seconds", maximum=MAX_SECONDS),
        comment=_optional_text(data, "comment", MAX_COMMENT_CHARS),
        candidate=candidate,
        pair_id=_optional_text(data, "pair_id", MAX_NAME_CHARS).strip(),
    )


def _optional_text(data: dict, name: str, max_length: int) -> str:
    if data.get(name) in (None, ""):
        return ""
    return text_field(data, name, allow_empty=True, max_length=max_length)


def _annotator(data: dict) -> str:
    name = text_field(data, "annotator", max_length=MAX_USERNAME_CHARS)
    try:
        get_user_model().username_validator(name)
    except ValidationError as exc:
        raise FieldError("annotator", " ".join(exc.messages)) from None
    return name


def _created_at(data: dict) -> datetime | None:
    raw = data.get("created_at")
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise FieldError("created_at", "expected an ISO 8601 date and time")
    try:
        created_at = parse_datetime(raw)
    except ValueError as exc:  # well formed but impossible: 2023-02-30, month 13
        raise FieldError("created_at", f"{raw!r} is not a real date ({exc})") from None
    if created_at is None:
        raise FieldError("created_at", "expected an ISO 8601 date and time")
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at, UTC)
    latest = timezone.now() + timedelta(days=1)
    try:
        in_range = EARLIEST_RATING <= created_at <= latest
    except OverflowError:
        in_range = False
    if not in_range:
        raise FieldError("created_at", f"{raw!r} is not between 2000-01-01 and today")
    return created_at


def ratings_import(
    *,
    prompt_set_name: str,
    evaluation_name: str,
    scale: str,
    file_name: str,
    data: bytes,
    candidate_name: str | None = None,
    created_by=None,
) -> ImportResult:
    """Import ratings; the evaluation, its comparisons and annotators are created as
    needed. Two models in the file make a head-to-head evaluation (candidate: the
    ``candidate_name`` or the first line's model_a), more make a tournament whose
    pairs take the first line's model_a (or the line's ``candidate``) as candidate.
    A new evaluation records ``created_by``, the uploader.

    Into an evaluation annotators rate in, an import keeps the annotator loop's
    rules (import_slots.py): a line that would give a pair more than N ratings and
    live leases is refused, naming it, and nothing of the file is stored; a rating
    for a pair its annotator is leasing ends that lease, linked to the rating.
    """
    if scale not in Evaluation.Scale.values:
        raise ImportFileError([LineError(None, "scale", f"unknown scale {scale!r}")])
    records = read_records(file_name=file_name, data=data, csv_columns=COLUMNS)
    checked = check_records(records, lambda record: _rating_row(record, scale))
    rows = [row for _, row in checked]
    prompt_set = PromptSet.objects.filter(name=prompt_set_name).first()
    if prompt_set is None:
        raise ImportFileError(
            [LineError(None, "prompt_set", f"no prompt set named {prompt_set_name!r}")]
        )
    evaluation = Evaluation.objects.filter(name=evaluation_name).first()
    if evaluation and (evaluation.prompt_set_id, evaluation.scale) != (
        prompt_set.pk,
        scale,
    ):
        raise ImportFileError(
            [
                LineError(
                    None,
                    "evaluation",
                    f"{evaluation_name!r} exists on another prompt set or scale",
                )
            ]
        )
    prompts = dict(
        Prompt.objects.filter(prompt_set=prompt_set).values_list("external_id", "id")
    )
    names = {row.model_a for row in rows} | {row.model_b for row in rows}
    models = {model.name: model for model in ChatModel.objects.filter(name__in=names)}
    generations = {
        (prompt_id, model_id): (generation_id, status)
        for prompt_id, model_id, generation_id, status in Generation.objects.filter(
            prompt__prompt_set=prompt_set, chat_model__name__in=names
        ).values_list("prompt_id", "chat_model_id", "id", "status")
    }
    _check_references(checked, prompts, models, generations, prompt_set_name)
    _check_duplicates(checked)

    with transaction.atomic(durable=True):
        if evaluation is None:
            evaluation = _evaluation_create(
                name=evaluation_name,
                prompt_set=prompt_set,
                scale=scale,
                rows=rows,
                models=models,
                candidate_name=candidate_name,
                created_by=created_by,
            )
        comparisons = _comparisons_ensure(
            evaluation, rows, prompts, models, generations
        )
        annotators = _annotators_ensure({row.annotator for row in rows})
        created, unchanged = _ratings_store(
            evaluation, checked, comparisons, annotators, models
        )
    return ImportResult(
        created=created,
        unchanged=unchanged,
        details={"evaluation": evaluation.name, "comparisons": len(comparisons)},
    )


def _check_references(checked, prompts, models, generations, prompt_set_name) -> None:
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
            found = generations.get((prompts[row.prompt_id], models[name].pk))
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


def _check_duplicates(checked) -> None:
    seen: dict[tuple, int] = {}
    errors = []
    for record, row in checked:
        key = (row.pair, row.annotator)
        if key in seen:
            errors.append(
                LineError(
                    record.line,
                    "annotator",
                    f"{row.annotator!r} already rated this pair on line {seen[key]}",
                )
            )
        seen.setdefault(key, record.line)
    if errors:
        raise ImportFileError(errors[:50])


def _evaluation_create(
    *, name, prompt_set, scale, rows, models, candidate_name, created_by
):
    names = list(dict.fromkeys(n for row in rows for n in (row.model_a, row.model_b)))
    head_to_head = len(names) == 2
    candidate = baseline = None
    if head_to_head:
        first = candidate_name or rows[0].candidate or rows[0].model_a
        if first not in names:
            raise ImportFileError(
                [LineError(None, "candidate", f"{first!r} is not in the file")]
            )
        candidate = models[first]
        baseline = models[next(n for n in names if n != first)]
    try:
        # A savepoint: another upload may create the same name meanwhile.
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                name=name,
                kind=Evaluation.Kind.HEAD_TO_HEAD
                if head_to_head
                else Evaluation.Kind.TOURNAMENT,
                prompt_set=prompt_set,
                candidate=candidate,
                baseline=baseline,
                scale=scale,
                source=Evaluation.Source.IMPORTED,
                status=Evaluation.Status.CLOSED,
                created_by=created_by,
            )
    except IntegrityError:
        raise ImportConflictError(
            [
                LineError(
                    None,
                    "evaluation",
                    f"evaluation {name!r} was created by another upload meanwhile; "
                    "nothing of this file was stored (send it again to add to it)",
                )
            ]
        ) from None
    evaluation.chat_models.set([models[n] for n in names])
    return evaluation


def _comparisons_ensure(evaluation, rows, prompts, models, generations):
    """Map each (prompt, model pair) of the file to its comparison, creating missing."""
    by_generations = {
        (
            c.prompt_id,
            frozenset((c.candidate_generation_id, c.baseline_generation_id)),
        ): c
        for c in Comparison.objects.filter(evaluation=evaluation)
    }
    found, new = {}, []
    for row in rows:
        if row.pair in found:
            continue
        prompt_id = prompts[row.prompt_id]
        if evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:
            if {row.model_a, row.model_b} != {
                evaluation.candidate.name,
                evaluation.baseline.name,
            }:
                raise ImportFileError(
                    [
                        LineError(
                            None, "model_a", "a head-to-head evaluation has two models"
                        )
                    ]
                )
            first, second = evaluation.candidate.name, evaluation.baseline.name
        else:
            first = row.candidate or row.model_a
            second = row.model_b if first == row.model_a else row.model_a
        one = generations[(prompt_id, models[first].pk)][0]
        two = generations[(prompt_id, models[second].pk)][0]
        comparison = by_generations.get((prompt_id, frozenset((one, two))))
        if comparison is None:
            comparison = Comparison(
                evaluation=evaluation,
                prompt_id=prompt_id,
                candidate_generation_id=one,
                baseline_generation_id=two,
                external_id=row.pair_id,
            )
            new.append(comparison)
        found[row.pair] = comparison
    Comparison.objects.bulk_create(new, batch_size=2000)
    evaluation.chat_models.add(
        *{models[n] for row in rows for n in (row.model_a, row.model_b)}
    )
    return found


def _annotators_ensure(usernames: set[str]) -> dict[str, object]:
    User = get_user_model()
    users = {
        user.username: user for user in User.objects.filter(username__in=usernames)
    }
    missing = sorted(usernames - set(users))
    if missing:
        for username in missing:
            user = User(username=username)
            user.set_unusable_password()
            users[username] = user
        User.objects.bulk_create([users[name] for name in missing])
        users = {u.username: u for u in User.objects.filter(username__in=usernames)}
        group = roles.groups_ensure()[roles.ANNOTATOR]
        group.user_set.add(*[users[name] for name in missing])
    return users


def _ratings_store(evaluation, checked, comparisons, annotators, models):
    now = timezone.now()
    ids = [comparison.pk for comparison in comparisons.values()]
    pairs = import_slots.pairs_locked(
        evaluation_id=evaluation.pk, comparison_ids=ids, now=now
    )
    per_pair = import_slots.limit_of(evaluation)
    generation_models = dict(
        Generation.objects.filter(
            pk__in=[c.candidate_generation_id for c in comparisons.values()]
        ).values_list("id", "chat_model_id")
    )
    new, unchanged, errors = [], 0, []
    for record, row in checked:
        comparison = comparisons[row.pair]
        annotator = annotators[row.annotator]
        pair = pairs[comparison.pk]
        candidate_model = generation_models[comparison.candidate_generation_id]
        on_left = models[row.model_a].pk == candidate_model
        old = pair.ratings.get(annotator.pk)
        if old is not None:
            if old == (row.choice, on_left):
                unchanged += 1
            else:
                errors.append(
                    LineError(
                        record.line,
                        "choice",
                        f"{row.annotator!r} already has another rating of this pair",
                    )
                )
            continue
        if not pair.admit(annotator.pk, per_pair=per_pair):
            errors.append(
                LineError(
                    record.line,
                    "annotator",
                    f"the pair already has its {per_pair} annotators (ratings and "
                    f"live leases); a rating by {row.annotator!r} would exceed "
                    "annotators_per_pair",
                )
            )
            continue
        new.append(
            Rating(
                comparison=comparison,
                annotator=annotator,
                assignment_id=pair.open_leases.get(annotator.pk),
                scale=evaluation.scale,
                choice=row.choice,
                candidate_on_left=on_left,
                score=scales.candidate_score(row.choice, candidate_on_left=on_left),
                seconds=row.seconds,
                comment=row.comment,
                source=Rating.Source.IMPORTED,
                created_at=row.created_at or now,
            )
        )
    if errors:
        raise ImportFileError(errors[:50])
    import_slots.leases_end(
        assignment_ids=[r.assignment_id for r in new if r.assignment_id], now=now
    )
    Rating.objects.bulk_create(new, batch_size=2000)
    stages_refresh(comparison_ids=ids)
    return len(new), unchanged
