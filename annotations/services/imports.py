"""Importing pairwise ratings made elsewhere into an evaluation; all or nothing."""

import hashlib
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from evalsite.imports.lines import Source, source_sha256
from evalsite.imports.options import name_option
from evalsite.imports.reader import (
    MAX_ERRORS,
    ImportConflictError,
    ImportFileError,
    ImportResult,
    LineError,
    iter_records,
)
from generations.models import ChatModel, Generation, PromptSet

from .. import roles, scales
from ..models import Comparison, Evaluation, Rating, RatingsFile
from . import import_slots, import_staged, import_storing
from .rating_references import model_names, references_check, references_load
from .rating_rows import COLUMNS, FIELDS, Checked, checked_batches
from .stages import stages_refresh

# The databases with a staged path (COPY and set-based SQL); others use the ORM.
STAGED_VENDORS = ("postgresql",)


# The scales a ratings file holds: the pairwise ones (a Likert rating is of one
# response, rated on the site).
IMPORTED_SCALES = tuple(
    (value, label)
    for value, label in Evaluation.Scale.choices
    if value != Evaluation.Scale.LIKERT
)
LIKERT_NOT_IMPORTED = (
    "likert: single-response ratings are not imported (a ratings file holds pairs); "
    "rate them here"
)


def ratings_import(
    *,
    prompt_set_name: str,
    evaluation_name: str,
    scale: str,
    file_name: str,
    data: Source,
    candidate_name: str | None = None,
    created_by=None,
    progress: Callable[[int], None] | None = None,
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

    On the preference scale a rating may carry ``safety_a`` and ``safety_b``: all
    ratings of an evaluation have them (an evaluation with ``safety_labels``) or
    none does; a new evaluation has them when the file's first rating has.

    ``data`` (bytes or a seekable binary file) is read as a stream and checked in
    batches of BATCH_ROWS records (rating_rows.py); ``progress`` is called after
    each with the number of records read. PostgreSQL stages the checked rows and
    stores them with set-based SQL (import_staged.py, import_storing.py); other
    databases keep them in memory and store them with the ORM. A file imported whole into this
    evaluation before (same SHA-256), whose ratings are as that import left them
    (``ratings_state``, PostgreSQL), is not read again: nothing is written.
    """
    scale_check(scale)
    prompt_set_name = name_option(prompt_set_name, "prompt_set")
    evaluation_name = name_option(evaluation_name, "evaluation")
    if candidate_name is not None:  # "" was taken as none given (the API refuses it)
        candidate_name = name_option(candidate_name, "candidate")
    digest = source_sha256(data)
    with transaction.atomic(durable=True):  # as every path: never nested
        known = (
            RatingsFile.objects.select_related("evaluation__candidate")
            .filter(
                evaluation__name=evaluation_name,
                evaluation__prompt_set__name=prompt_set_name,
                evaluation__scale=scale,
                sha256=digest,
            )
            .first()
        )
    if known is not None and candidate_name:
        _candidate_check(known.evaluation, candidate_name)
    if known is not None and known.state == ratings_state(known.evaluation_id) != "":
        return ImportResult(
            unchanged=known.ratings,
            details={"evaluation": evaluation_name, "comparisons": known.comparisons},
        )
    # The file's target first: on the wrong scale every line's choice would be an
    # error of its own, hiding the one mistake (checked again where it is stored).
    import_targets(
        prompt_set_name=prompt_set_name,
        evaluation_name=evaluation_name,
        scale=scale,
        candidate_name=candidate_name,
    )
    records = iter_records(
        file_name=file_name, source=data, csv_columns=COLUMNS, csv_known=FIELDS
    )
    # None when the import creates the evaluation: its first rating decides.
    safety_labels = (
        Evaluation.objects.filter(name=evaluation_name)
        .values_list("safety_labels", flat=True)
        .first()
    )
    batches = checked_batches(records, scale, progress, safety_labels=safety_labels)
    target = {
        "prompt_set_name": prompt_set_name,
        "evaluation_name": evaluation_name,
        "scale": scale,
        "candidate_name": candidate_name,
        "created_by": created_by,
    }
    if connection.vendor in STAGED_VENDORS:
        with transaction.atomic(durable=True):
            result = _staged_import(batches, **target)
            _file_record(result, digest)
        return result
    checked = [pair for batch in batches for pair in batch]
    return _portable_import(checked, digest=digest, **target)


def scale_check(scale: str) -> None:
    """A ratings file's scale: one of pairs (ImportFileError names the field)."""
    if scale not in Evaluation.Scale.values:
        raise ImportFileError([LineError(None, "scale", f"unknown scale {scale!r}")])
    if scale == Evaluation.Scale.LIKERT:  # files hold pairs; Likert rates one response
        raise ImportFileError([LineError(None, "scale", LIKERT_NOT_IMPORTED)])


def ratings_state(evaluation_id: int) -> str:
    """A digest of the evaluation's ratings that changes when any is added, changed
    or deleted: their count, last id and PostgreSQL's row versions (``xmin``, new on
    every write). Elsewhere "": the shortcut for unchanged files is not taken."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(MAX(r.id), 0),"
            f" COALESCE(SUM(r.xmin::text::bigint), 0)"
            f" FROM {Rating._meta.db_table} r"
            f" JOIN {Comparison._meta.db_table} c ON c.id = r.comparison_id"
            f" WHERE c.evaluation_id = %s",
            [evaluation_id],
        )
        return hashlib.sha256(repr(cursor.fetchone()).encode()).hexdigest()


def _file_record(result: ImportResult, digest: str) -> None:
    """Record the file as imported, with the state of the ratings it left."""
    evaluation = Evaluation.objects.get(name=result.details["evaluation"])
    RatingsFile.objects.update_or_create(
        evaluation=evaluation,
        sha256=digest,
        defaults={
            "ratings": result.created + result.unchanged,
            "comparisons": result.details["comparisons"],
            "state": ratings_state(evaluation.pk),
        },
    )


def import_targets(
    *,
    prompt_set_name: str,
    evaluation_name: str,
    scale: str,
    candidate_name: str | None = None,
):
    """The prompt set named, and the evaluation named if it exists (on that set
    and scale, and with ``candidate_name`` its candidate if one is given);
    ImportFileError names the field otherwise."""
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
    if evaluation and candidate_name:
        _candidate_check(evaluation, candidate_name)
    return prompt_set, evaluation


def _candidate_check(evaluation: Evaluation, candidate_name: str) -> None:
    """ImportFileError naming ``candidate`` unless it is the existing evaluation's
    candidate (it is chosen when an import creates the evaluation)."""
    stored = evaluation.candidate.name if evaluation.candidate else None
    if stored != candidate_name:
        has = f"its candidate is {stored!r}" if stored else "it is a tournament"
        message = f"{evaluation.name!r} exists and {has}; leave candidate out"
        raise ImportFileError([LineError(None, "candidate", message)])


def _staged_import(
    batches, *, prompt_set_name, evaluation_name, scale, candidate_name, created_by
) -> ImportResult:
    """The PostgreSQL path: COPY into a staging table, then set-based SQL."""
    import_staged.stage(batches)
    prompt_set, evaluation = import_targets(
        prompt_set_name=prompt_set_name,
        evaluation_name=evaluation_name,
        scale=scale,
        candidate_name=candidate_name,
    )
    import_staged.resolve(prompt_set_id=prompt_set.pk)
    import_staged.check_references(prompt_set_name)
    import_staged.check_duplicates()
    names = import_staged.model_names()
    models = {model.name: model for model in ChatModel.objects.filter(name__in=names)}
    created_here = evaluation is None
    if evaluation is None:
        evaluation = _evaluation_create(
            name=evaluation_name,
            prompt_set=prompt_set,
            scale=scale,
            names=names,
            first=import_staged.first_candidate(),
            safety_labels=import_staged.safety_labelled(),
            models=models,
            candidate_name=candidate_name,
            created_by=created_by,
        )
    comparisons = import_storing.comparisons_ensure(evaluation)
    evaluation.chat_models.add(*models.values())
    _annotators_ensure(import_staged.annotators())
    created, unchanged = import_storing.ratings_store(evaluation)
    import_slots.imported_limit_record(evaluation, created=created_here)
    return ImportResult(
        created=created,
        unchanged=unchanged,
        details={"evaluation": evaluation.name, "comparisons": comparisons},
    )


def _portable_import(
    checked: Checked,
    *,
    digest,
    prompt_set_name,
    evaluation_name,
    scale,
    candidate_name,
    created_by,
) -> ImportResult:
    """Any database: the rows in memory, stored with the ORM in batches."""
    rows = [row for _, row in checked]
    prompt_set, evaluation = import_targets(
        prompt_set_name=prompt_set_name,
        evaluation_name=evaluation_name,
        scale=scale,
        candidate_name=candidate_name,
    )
    names = model_names(rows)
    references = references_load(prompt_set, names)
    references_check(checked, references, prompt_set_name)
    prompts, models = references.prompts, references.models
    generations = references.generations
    _check_duplicates(checked)

    if evaluation is not None:
        _head_to_head_check(evaluation, checked)

    with transaction.atomic(durable=True):
        created_here = evaluation is None
        if evaluation is None:
            evaluation = _evaluation_create(
                name=evaluation_name,
                prompt_set=prompt_set,
                scale=scale,
                names=names,
                first=rows[0].candidate or rows[0].model_a,
                safety_labels=bool(rows[0].safety_a),
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
        import_slots.imported_limit_record(evaluation, created=created_here)
        result = ImportResult(
            created=created,
            unchanged=unchanged,
            details={"evaluation": evaluation.name, "comparisons": len(comparisons)},
        )
        _file_record(result, digest)
    return result


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
    *,
    name,
    prompt_set,
    scale,
    names,
    first,
    models,
    candidate_name,
    created_by,
    safety_labels=False,
):
    """A new evaluation of the models ``names`` (in order of first appearance);
    a head-to-head's candidate is ``candidate_name`` or ``first``, the first line's
    candidate (or model_a)."""
    head_to_head = len(names) == 2
    candidate = baseline = None
    if head_to_head:
        first = candidate_name or first
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
                safety_labels=safety_labels,
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


def _head_to_head_check(evaluation: Evaluation, checked: Checked) -> None:
    """ImportFileError naming every line that rates a model other than a
    head-to-head's two (a tournament takes any of its prompt set's models)."""
    if evaluation.kind != Evaluation.Kind.HEAD_TO_HEAD:
        return
    pair = {evaluation.candidate.name, evaluation.baseline.name}
    message = import_storing.not_in_head_to_head(evaluation)
    errors = [
        LineError(
            record.line, "model_a" if row.model_a not in pair else "model_b", message
        )
        for record, row in checked
        if {row.model_a, row.model_b} != pair
    ]
    if errors:
        raise ImportFileError(errors[:MAX_ERRORS])


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
        if evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:  # _head_to_head_check
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
        group = roles.group_for(roles.ANNOTATOR)
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
            if old == (row.choice, on_left, row.safety_a, row.safety_b):
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
                safety_a=row.safety_a,
                safety_b=row.safety_b,
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
