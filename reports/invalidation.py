"""Keeps cached reports fresh: a change to the data behind a report bumps its version.

A report's cache key holds its evaluation's ``DataVersion`` token and a count of its
ratings (``selectors.report_version``). New and removed ratings change the count, by
any path: raw SQL, ``bulk_create``, a cascade. Everything else a report shows that can
change in place (a rating's choice, the evaluation's fields, a prompt's categories, a
generation's words, a chat model's or an annotator's name, a prompt set's name) gets
a fresh token for every evaluation it reaches:

- ``post_save`` of those models catches the admin and every ``save()``;
- ``generations.signals.rows_changed`` catches the services' bulk writes, which fire
  no model signals.

The generation hot path (``generations/services/rows.py``, plain ``update()``) sends
nothing per generation, so that recording one stays one statement; comparisons use
done generations only, and it never overwrites a done one. A done generation set back
to pending in the admin bumps the version then, and when the job that makes it again
ends, the job announces its responses with ``rows_changed`` (one bump per job).

Deletes need no receiver: prompts, generations, chat models, annotators and prompt
sets that a report shows are protected from deletion, and deleting a rating or a
comparison removes ratings. Receivers only look up the evaluations concerned; the
new token is written once the transaction commits, and a report reads its key before
its data, so a report stored under a new token was computed from the changed data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from annotations.models import Comparison, Evaluation, Rating
from generations.models import ChatModel, Generation, Prompt, PromptSet
from generations.signals import rows_changed

from .models import DataVersion


def versions_bump(*, evaluation_ids: Iterable[int]) -> None:
    """Give each evaluation's report a fresh version token, now (not on commit)."""
    ids = set(evaluation_ids)
    if not ids:
        return
    now = timezone.now()
    DataVersion.objects.filter(evaluation_id__in=ids).update(
        token=uuid.uuid4(), changed_at=now
    )
    missing = ids - set(
        DataVersion.objects.filter(evaluation_id__in=ids).values_list(
            "evaluation_id", flat=True
        )
    )
    # An evaluation deleted meanwhile gets no row. Two bumps racing to create the same
    # row keep one token: both changes were committed before either wrote, so a key
    # read before them never has that token.
    DataVersion.objects.bulk_create(
        [
            DataVersion(evaluation_id=pk, token=uuid.uuid4(), changed_at=now)
            for pk in Evaluation.objects.filter(pk__in=missing).values_list(
                "pk", flat=True
            )
        ],
        ignore_conflicts=True,
    )


def versions_bump_on_commit(*, evaluation_ids: Iterable[int]) -> None:
    """Bump once the current transaction commits (now in autocommit)."""
    ids = set(evaluation_ids)
    if ids:
        transaction.on_commit(lambda: versions_bump(evaluation_ids=ids), robust=True)


def _via_comparisons(condition: Q) -> set[int]:
    return set(
        Comparison.objects.filter(condition)
        .order_by()
        .values_list("evaluation_id", flat=True)
        .distinct()
    )


def evaluations_reached(model: type, pks: Iterable[int]) -> set[int]:
    """The evaluations whose reports show rows ``pks`` of ``model``."""
    pks = list(pks)
    if model is Evaluation:
        return set(pks)
    if model is Comparison:
        return _via_comparisons(Q(pk__in=pks))
    if model is Rating:
        return _via_comparisons(Q(ratings__in=pks))
    if model is Prompt:
        return _via_comparisons(Q(prompt_id__in=pks))
    if model is Generation:
        return _via_comparisons(
            Q(candidate_generation_id__in=pks) | Q(baseline_generation_id__in=pks)
        )
    if model is PromptSet:
        return set(
            Evaluation.objects.filter(prompt_set_id__in=pks).values_list(
                "pk", flat=True
            )
        )
    if model is ChatModel:
        named = Evaluation.objects.filter(
            Q(candidate_id__in=pks) | Q(baseline_id__in=pks)
        ).values_list("pk", flat=True)
        return set(named) | _via_comparisons(
            Q(candidate_generation__chat_model_id__in=pks)
            | Q(baseline_generation__chat_model_id__in=pks)
        )
    if model is get_user_model():
        return _via_comparisons(Q(ratings__annotator_id__in=pks))
    raise TypeError(f"reports show no {model.__name__}")


def on_save(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """``post_save``: a new row is in no report yet (a new rating is counted by the
    key), so only changed rows bump."""
    if created:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every login saves the user
    versions_bump_on_commit(evaluation_ids=evaluations_reached(sender, [instance.pk]))


def on_rows_changed(sender, pks, **kwargs) -> None:
    """``generations.signals.rows_changed``: a service's bulk write."""
    versions_bump_on_commit(evaluation_ids=evaluations_reached(sender, pks))


def connect() -> None:
    """Connect the receivers (``ReportsConfig.ready``)."""
    for model in (
        Evaluation, Comparison, Rating, Prompt, PromptSet, Generation, ChatModel,
        get_user_model(),
    ):  # fmt: skip
        post_save.connect(on_save, sender=model, dispatch_uid=f"reports:{model}")
    rows_changed.connect(on_rows_changed, dispatch_uid="reports:rows_changed")
