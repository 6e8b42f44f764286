"""Serving quality-control items mixed into an annotator's pairs: gold pairs and
repeats of their own rated pairs, sides swapped (docs/quality-serving.md).

Every request for work goes through ``item_lease``. With both rates at zero it is
``leasing.lease_next`` and nothing more. Otherwise it takes the annotator's pool
membership lock (as leasing does, serializing their own requests), returns the item
they hold (a live quality task, else their live lease), and draws the kind of their
next item from their order seed and how many items they were served
(quality_mixing.py). A quality item is served only while a normal pair is open to
them and their quota is not done: checks mix into real work, they never extend it.
A quality task touches no comparison, so it takes no pair lock and leaves every
pair's slots, and exactly N, alone.
"""

from __future__ import annotations

import random
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from .. import allocation
from ..models import Assignment, Evaluation, GoldPair, QualityTask, Rating
from ..quality_mixing import REPEAT_GAP, ItemKind, item_kind, item_rng
from . import pair_queries, stages
from .assignment_errors import QuotaDone
from .leasing import assignment_next, lease_next
from .sql import A, C, R, bound

Kind = QualityTask.Kind
TaskState = QualityTask.State
T = QualityTask._meta.db_table
_GONE = (TaskState.EXPIRED, TaskState.LEASED)  # a task that may be served again

_STATE = f"""
SELECT
  (SELECT t.id FROM {T} t WHERE t.evaluation_id = %(evaluation)s
   AND t.annotator_id = %(user)s AND t.state = %(task_leased)s
   AND t.expires_at > %(now)s ORDER BY t.leased_at LIMIT 1),
  EXISTS (SELECT 1 FROM {A} h JOIN {C} hc ON hc.id = h.comparison_id
   WHERE hc.evaluation_id = %(evaluation)s AND h.annotator_id = %(user)s
   AND h.state = %(leased)s AND h.expires_at > %(now)s),
  (SELECT COUNT(*) FROM {A} a JOIN {C} ac ON ac.id = a.comparison_id
   WHERE ac.evaluation_id = %(evaluation)s AND a.annotator_id = %(user)s)
  + (SELECT COUNT(*) FROM {T} s WHERE s.evaluation_id = %(evaluation)s
     AND s.annotator_id = %(user)s),
  (SELECT COUNT(*) FROM {R} r JOIN {C} rc ON rc.id = r.comparison_id
   WHERE rc.evaluation_id = %(evaluation)s AND r.annotator_id = %(user)s)
"""


def quality_on(evaluation: Evaluation) -> bool:
    """Whether the evaluation mixes quality-control items into its pairs."""
    return evaluation.gold_rate > 0 or evaluation.repeat_rate > 0


def item_next(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Assignment | QualityTask | None:
    """``leasing.assignment_next`` with quality-control items mixed in: the next
    Assignment or QualityTask leased to ``annotator`` (or the one they hold), None
    when no pair is left for them. Raises as assignment_next does."""
    if not quality_on(evaluation):
        return assignment_next(
            evaluation=evaluation, annotator=annotator, now=now, rng=rng
        )
    now = now or timezone.now()
    done = None
    with transaction.atomic(durable=True):
        try:
            item, new = item_lease(
                evaluation=evaluation, annotator=annotator, now=now, rng=rng
            )
        except QuotaDone as error:  # its completion time is kept: commit, then raise
            done, item, new = error, None, False
        if new and not isinstance(item, QualityTask):
            stages.stages_refresh(comparison_ids=[item.comparison_id])
    if done is not None:
        raise done
    return item


def item_lease(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    now: datetime,
    rng: random.Random | None = None,
    wait: bool = True,
) -> tuple[Assignment | QualityTask | None, bool]:
    """``leasing.lease_next`` with quality-control items mixed in, inside the
    caller's transaction: (the Assignment or QualityTask, whether it is new). A
    quality task comes with what its page shows loaded."""
    lease = {
        "evaluation": evaluation,
        "annotator": annotator,
        "now": now,
        "rng": rng,
        "wait": wait,
    }
    if (
        not quality_on(evaluation)
        or evaluation.status != Evaluation.Status.OPEN
        or evaluation.stopped_at is not None
    ):
        return lease_next(**lease)  # refuses a closed or stopped evaluation
    member = pair_queries.membership_lock(
        evaluation_id=evaluation.pk, user_id=annotator.pk
    )
    if member is None or member.paused:
        return lease_next(**lease)  # refuses them
    with connection.cursor() as cursor:
        cursor.execute(
            _STATE,
            bound(
                now,
                evaluation=evaluation.pk,
                user=annotator.pk,
                task_leased=TaskState.LEASED.value,
            ),
        )
        held_task, held_lease, served, rated = cursor.fetchone()
    if held_task is not None:
        return task_loaded(task_id=held_task), False
    if held_lease or member.quota_reached(rated):
        return lease_next(**lease)
    kind = item_kind(
        order_seed=member.order_seed,
        served=served,
        gold_rate=evaluation.gold_rate,
        repeat_rate=evaluation.repeat_rate,
    )
    if kind != ItemKind.PAIR and pair_queries.open_count(
        evaluation_id=evaluation.pk,
        per_pair=evaluation.annotators_per_pair,
        user_id=annotator.pk,
        now=now,
    ):
        task = _task_new(
            kind,
            evaluation=evaluation,
            annotator=annotator,
            rng=item_rng(member.order_seed, served),
            now=now,
        )
        if task is not None:
            return task, True
    return lease_next(**lease)


def _task_new(
    kind: ItemKind,
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    rng: random.Random,
    now: datetime,
) -> QualityTask | None:
    """Lease a gold pair or a repeat the annotator has not answered, None when there
    is none. A task of theirs that expired is served again (its row reused: one per
    gold pair or rating and annotator)."""
    tasks = QualityTask.objects.filter(evaluation=evaluation, annotator=annotator)
    done = tasks.exclude(state__in=_GONE)
    if kind == ItemKind.GOLD:
        ids = list(
            GoldPair.objects.filter(evaluation=evaluation)
            .exclude(pk__in=done.filter(gold__isnull=False).values("gold_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return None
        gold_id = rng.choice(ids)
        # The sides of a gold pair are drawn like a pair's (reproducibly here).
        on_left = allocation.draw_candidate_on_left(rng)
        target = {"kind": Kind.GOLD, "gold_id": gold_id}
    else:
        # Their own native ratings in the evaluation, newest first, past the gap.
        ratings = (
            Rating.objects.filter(
                comparison__evaluation=evaluation,
                annotator=annotator,
                assignment__isnull=False,
            )
            .exclude(pk__in=done.filter(repeat_of__isnull=False).values("repeat_of_id"))
            .order_by("-created_at", "-pk")
        )
        gap = Rating.objects.filter(
            comparison__evaluation=evaluation, annotator=annotator
        ).order_by("-created_at", "-pk")[:REPEAT_GAP]
        rows = list(
            ratings.exclude(pk__in=list(gap.values_list("pk", flat=True))).values_list(
                "pk", "assignment__candidate_on_left"
            )
        )
        if not rows:
            return None
        rating_id, first_on_left = rng.choice(sorted(rows))
        # The sides swapped against the first showing; one response has one side.
        on_left = evaluation.kind == Evaluation.Kind.SINGLE or not first_on_left
        target = {"kind": Kind.REPEAT, "repeat_of_id": rating_id}
    expires_at = allocation.lease_expiry(now, minutes=evaluation.lease_minutes)
    lease = {
        "candidate_on_left": on_left,
        "state": TaskState.LEASED,
        "leased_at": now,
        "expires_at": expires_at,
    }
    # Their task on it, if any, expired (else it was left out above): lease it anew.
    mine = QualityTask.objects.filter(annotator=annotator, **target)
    if not mine.update(**lease):
        QualityTask.objects.create(
            evaluation=evaluation, annotator=annotator, **target, **lease
        )
    return task_loaded(task_id=mine.values_list("pk", flat=True).get())


def task_loaded(*, task_id: int) -> QualityTask:
    """A task with its evaluation and what its page shows (prompt, generations)."""
    return QualityTask.objects.select_related(
        "evaluation",
        "gold__prompt",
        "gold__candidate_generation",
        "gold__baseline_generation",
        "repeat_of__comparison__prompt",
        "repeat_of__comparison__candidate_generation",
        "repeat_of__comparison__baseline_generation",
    ).get(pk=task_id)
