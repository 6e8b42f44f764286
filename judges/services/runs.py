"""Judge runs: start or resume, cancel.

``run_start`` and ``run_cancel`` are top-level services (one durable transaction
each); ``run_start_new_judge`` creates a judge and starts it, or keeps nothing. A run is one judge over one evaluation's pairs; starting it again resumes it:
missing judgements are created, failed ones redone, done and unparseable ones kept.
A run keeps the chat model (and its request settings) and the template version it
started with: a resume after either changed is refused once verdicts were made.
Its tasks are published when the transaction commits, as for generation jobs
(generations/services/jobs.py), after the same checks of the broker and the judge's
server (``BrokerUnavailable``, ``ServerUnreachable``: HTTP 503).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotations.models import Comparison, Evaluation
from generations.models import ChatModel
from generations.services.preflight import (
    BrokerUnavailable,
    ServerUnreachable,
    broker_check,
    servers_check,
)

from .. import prompting, tasks, verdicts
from ..models import Judge, Judgement, JudgeRun
from . import templates
from .execution import MODEL_CHANGED, chat_model_fingerprint

logger = logging.getLogger(__name__)
OUTAGES = (BrokerUnavailable, ServerUnreachable)
TO_RUN = (Judgement.Status.PENDING, Judgement.Status.RUNNING)


class Started(NamedTuple):
    run: JudgeRun
    queued: int  # judgements queued
    created: (
        bool  # False: an existing run resumed (one caller of many racing ones wins)
    )


def run_check(*, evaluation: Evaluation, judge: Judge) -> None:
    """Raise ValidationError (naming the field) unless ``judge`` can judge the pairs
    of ``evaluation``."""
    if evaluation.kind == Evaluation.Kind.SINGLE or evaluation.scale not in (
        verdicts.SCALES
    ):
        raise ValidationError(
            {
                "evaluation": f"{evaluation.name} rates single responses "
                f"({evaluation.get_scale_display()}): it has no pairs to judge."
            }
        )
    chat_model = judge.chat_model
    if chat_model is None or chat_model.backend == ChatModel.Backend.IMPORTED:
        reason = (
            "no chat model to ask (its verdicts can only be imported)"
            if chat_model is None
            else f"a chat model with no inference server ({chat_model.name}'s "
            "responses are imported)"
        )
        raise ValidationError({"judge": f"{judge.name} has {reason}."})
    if judge.template is None:
        raise ValidationError({"judge": f"{judge.name} has no judging template."})


def run_start(
    *,
    evaluation: Evaluation,
    judge: Judge,
    both_orders: bool = False,
    created_by=None,
) -> Started:
    """Start ``judge`` on ``evaluation``'s pairs, or resume its run there.

    One judgement per pair in the order as shown (the candidate's side drawn per pair,
    ``prompting.candidate_first``), and with ``both_orders`` a second with the sides
    swapped. Resuming with ``both_orders`` adds the swapped ones; resuming without it
    keeps a run's both orders. Returns the run, the number of judgements queued and
    whether this call created the run.
    """
    run_check(evaluation=evaluation, judge=judge)
    broker_check()
    servers_check([judge.chat_model])
    with transaction.atomic(durable=True):
        run, ids, created = _start(
            evaluation=evaluation,
            judge=judge,
            both_orders=both_orders,
            created_by=created_by,
        )
        transaction.on_commit(partial(_publish, run.pk, ids))
    return Started(run, len(ids), created)


def run_start_new_judge(
    *,
    evaluation: Evaluation,
    name: str,
    chat_model: ChatModel,
    verdict_format: str = verdicts.JSON,
    both_orders: bool = False,
    created_by=None,
) -> tuple[Judge, Started]:
    """Create the judge ``name`` (``templates.judge_create``) and start it on
    ``evaluation`` (``run_start``). When the start is refused or its checks fail,
    the new judge is removed again and the error raised: nothing is kept."""
    judge = templates.judge_create(
        name=name, chat_model=chat_model, verdict_format=verdict_format
    )
    try:
        started = run_start(
            evaluation=evaluation,
            judge=judge,
            both_orders=both_orders,
            created_by=created_by,
        )
    except (ValidationError, *OUTAGES):
        # A run saved before its publishing failed keeps its judge (resumable).
        Judge.objects.filter(pk=judge.pk, runs__isnull=True).delete()
        raise
    return judge, started


def _start(
    *, evaluation: Evaluation, judge: Judge, both_orders: bool, created_by
) -> tuple[JudgeRun, list[int], bool]:
    # Read here, as the workers will read it: the caller's copy may be older.
    chat_model = ChatModel.objects.get(pk=judge.chat_model_id)
    run, created = JudgeRun.objects.select_for_update().get_or_create(
        evaluation=evaluation,
        judge=judge,
        defaults={
            "both_orders": both_orders,
            "created_by": created_by,
            "chat_model": chat_model,
            "chat_model_fingerprint": chat_model_fingerprint(chat_model),
        },
    )
    _one_template_version(run, judge)
    _one_chat_model(run, judge, chat_model)
    run.both_orders = run.both_orders or both_orders
    comparison_ids = Comparison.objects.filter(
        evaluation=evaluation, baseline_generation__isnull=False
    ).values_list("id", flat=True)
    orders = (False, True) if run.both_orders else (False,)
    Judgement.objects.bulk_create(
        [
            Judgement(
                judge=judge,
                comparison_id=comparison_id,
                run=run,
                template=judge.template,
                swapped=swapped,
                candidate_on_left=prompting.candidate_first(comparison_id) != swapped,
                scale=evaluation.scale,
            )
            for comparison_id in comparison_ids
            for swapped in orders
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    now = timezone.now()
    run.judgements.filter(status=Judgement.Status.FAILED).update(
        status=Judgement.Status.PENDING, updated_at=now, next_attempt_at=None
    )
    ids = list(
        run.judgements.filter(status__in=TO_RUN)
        .order_by("id")
        .values_list("id", flat=True)
    )
    run.status = JudgeRun.Status.RUNNING if ids else JudgeRun.Status.FINISHED
    run.started_at = run.started_at or now
    run.finished_at = None if ids else now
    run.save(
        update_fields=[
            "both_orders",
            "status",
            "started_at",
            "finished_at",
            "chat_model",
            "chat_model_fingerprint",
        ]
    )
    return run, ids, created


def _one_template_version(run: JudgeRun, judge: Judge) -> None:
    """A run judges with one template version. Refused (ValidationError naming the
    judge) when verdicts of this run came from a version other than the judge's
    current one; otherwise its unfinished judgements take the current version."""
    finished = (Judgement.Status.DONE, Judgement.Status.UNPARSEABLE)
    used = (
        run.judgements.filter(status__in=finished)
        .exclude(template=judge.template)
        .exclude(template=None)
        .select_related("template")
        .first()
    )
    if used is not None:
        raise ValidationError(
            {
                "judge": f"{judge.name} now uses {judge.template}, but this run's "
                f"verdicts were made with {used.template}: a run keeps one template "
                "version. To judge with the new version, create a new judge with it "
                "(the reports compare judges)."
            }
        )
    run.judgements.exclude(status__in=finished).exclude(template=judge.template).update(
        template=judge.template
    )


def _one_chat_model(run: JudgeRun, judge: Judge, chat_model: ChatModel) -> None:
    """A run judges with one chat model and its request settings. Refused
    (ValidationError naming the judge) when the judge's chat model, or its settings,
    changed since the run started and the run has verdicts made or being made;
    otherwise (as for a run from before runs recorded their model) the run takes the
    judge's current one."""
    fingerprint = chat_model_fingerprint(chat_model)
    if (run.chat_model_id, run.chat_model_fingerprint) == (chat_model.pk, fingerprint):
        return
    judged = run.judgements.filter(
        status__in=(
            Judgement.Status.DONE,
            Judgement.Status.UNPARSEABLE,
            Judgement.Status.RUNNING,
        )
    )
    if run.chat_model_id is not None and judged.exists():
        if run.chat_model_id == chat_model.pk:
            change = f"{chat_model.name}'s request settings were edited"
        else:
            change = (
                f"its verdicts come from {run.chat_model.name}; {judge.name} now "
                f"uses {chat_model.name}"
            )
        raise ValidationError({"judge": f"{MODEL_CHANGED} ({change})."})
    run.chat_model, run.chat_model_fingerprint = chat_model, fingerprint


def _publish(run_id: int, judgement_ids: list[int]) -> None:
    if not judgement_ids:
        return
    try:
        tasks.run_dispatch.delay(run_id, judgement_ids)
    except Exception as exc:  # redis-py and kombu raise their own connection errors
        logger.warning("judge run %s: publishing failed, back to queued", run_id)
        JudgeRun.objects.filter(pk=run_id, status=JudgeRun.Status.RUNNING).update(
            status=JudgeRun.Status.QUEUED
        )
        raise BrokerUnavailable(
            f"The task broker is unavailable ({exc}); judge run {run_id} is saved "
            "as queued with nothing sent. Resume it when the broker is back."
        ) from exc


@transaction.atomic(durable=True)
def run_cancel(*, run: JudgeRun) -> JudgeRun:
    """Stop a run: its queued tasks skip; requests in flight still finish."""
    run = JudgeRun.objects.select_for_update().get(pk=run.pk)
    if run.status in (JudgeRun.Status.QUEUED, JudgeRun.Status.RUNNING):
        run.status = JudgeRun.Status.CANCELLED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
    return run
