"""Starting a consistency evaluation: one dialogue per instruction and chat model,
each run by a worker; starting again queues only what is not done."""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

from generations.services import preflight

from ..models import ConsistencyEvaluation, Dialogue

logger = logging.getLogger(__name__)
OPEN = (Dialogue.Status.QUEUED, Dialogue.Status.RUNNING)
ENDED = (Dialogue.Status.DONE, Dialogue.Status.STOPPED_AT_CONTEXT)


class BrokerUnavailable(Exception):
    """The dialogues are saved as queued, but no task could be sent."""


# Why a start queued nothing (HTTP 503), as generation jobs and judge runs refuse.
UNAVAILABLE = (
    BrokerUnavailable,
    preflight.BrokerUnavailable,
    preflight.ServerUnreachable,
)


def evaluation_start(*, evaluation: ConsistencyEvaluation) -> int:
    """Create the missing dialogues and queue every open one (after commit); returns
    how many were queued. Failed dialogues are queued again; done and stopped ones
    are kept.

    With dialogues left to run, refuses first (``preflight.BrokerUnavailable``,
    ``preflight.ServerUnreachable``, nothing stored) when the broker or a chat
    model's server cannot be reached: the dialogues would sit queued, retried for
    many minutes."""
    chat_models = list(evaluation.chat_models.all())
    ended = Dialogue.objects.filter(evaluation=evaluation, status__in=ENDED).count()
    if ended < evaluation.instructions.count() * len(chat_models):
        preflight.broker_check()
        preflight.servers_check(chat_models)
    with transaction.atomic(durable=True):
        evaluation = ConsistencyEvaluation.objects.select_for_update().get(
            pk=evaluation.pk
        )
        chat_models = list(evaluation.chat_models.all())
        have = set(
            Dialogue.objects.filter(evaluation=evaluation).values_list(
                "instruction_id", "chat_model_id"
            )
        )
        Dialogue.objects.bulk_create(
            Dialogue(evaluation=evaluation, instruction=instruction, chat_model=model)
            for instruction in evaluation.instructions.all()
            for model in chat_models
            if (instruction.pk, model.pk) not in have
        )
        Dialogue.objects.filter(
            evaluation=evaluation, status=Dialogue.Status.FAILED
        ).update(status=Dialogue.Status.QUEUED)
        ids = list(
            Dialogue.objects.filter(evaluation=evaluation, status__in=OPEN).values_list(
                "pk", flat=True
            )
        )
        if evaluation.status != ConsistencyEvaluation.Status.RUNNING:
            evaluation.status = ConsistencyEvaluation.Status.RUNNING
            evaluation.save(update_fields=["status"])
        transaction.on_commit(partial(_publish, ids))
    return len(ids)


def _publish(ids: list[int]) -> None:
    from .. import tasks

    if not ids:
        return
    try:
        tasks.dialogues_dispatch.delay(ids)
    except Exception as exc:  # redis-py and kombu raise their own connection errors
        logger.warning("consistency: publishing %s dialogues failed", len(ids))
        raise BrokerUnavailable(
            f"The task broker is unavailable ({exc}); the dialogues are saved as "
            "queued. Start the evaluation again when the broker is back."
        ) from exc
