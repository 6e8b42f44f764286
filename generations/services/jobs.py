"""Generation jobs: create and launch, resume, cancel.

``job_create_and_launch``, ``job_launch`` and ``job_cancel`` are the top-level services
(one durable transaction each); the tasks of a launched job are published once that
transaction commits. ``job_create`` and ``job_start`` are their steps, run inside the
caller's transaction.

Before a job is queued, ``preflight`` checks that the broker and each chat model's
server can be reached, and refuses with ``BrokerUnavailable`` or ``ServerUnreachable``
(both HTTP 503) when not. Should publishing still fail after the commit (the broker
went down in between), the job is put back to "queued", never left "running" with
nothing queued, and ``BrokerUnavailable`` is raised: resuming the job queues it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from generations import open_counter, tasks
from generations.models import ChatModel, Generation, GenerationJob, Prompt, PromptSet

from .preflight import BrokerUnavailable, ServerUnreachable, broker_check, servers_check

logger = logging.getLogger(__name__)
OUTAGES = (BrokerUnavailable, ServerUnreachable)

__all__ = [
    "OUTAGES",
    "BrokerUnavailable",
    "ServerUnreachable",
    "job_cancel",
    "job_create",
    "job_create_and_launch",
    "job_launch",
    "job_start",
]

TO_RUN = (
    Generation.Status.PENDING,
    Generation.Status.RUNNING,
    Generation.Status.FAILED,
)


def job_create_and_launch(
    *,
    prompt_sets: Iterable[PromptSet],
    chat_models: Iterable[ChatModel],
    name: str = "",
    created_by=None,
) -> tuple[GenerationJob, int]:
    """Create a job (see ``job_create``) and launch it, in one transaction.

    Returns the job and the number of generations queued; their tasks are published
    when the transaction commits, so a job that fails validation publishes nothing.
    Raises ``BrokerUnavailable`` or ``ServerUnreachable`` (see the module docstring).
    """
    chat_models = list(chat_models)
    broker_check()
    servers_check(chat_models)
    with transaction.atomic(durable=True):
        job = job_create(
            prompt_sets=prompt_sets,
            chat_models=chat_models,
            name=name,
            created_by=created_by,
        )
        queued = _launch(job)
        job.refresh_from_db(fields=["status", "started_at", "finished_at"])
    return job, queued


def job_launch(*, job: GenerationJob) -> int:
    """Start or resume a job: failed generations are redone, done ones never.

    Returns the number of generations queued; published when the transaction commits.
    Raises ``BrokerUnavailable`` or ``ServerUnreachable`` (see the module docstring).
    """
    broker_check()
    # Only the servers with something to do must answer: Resume of a job with
    # nothing left was refused (503) while a server of it was down.
    servers_check(
        job.chat_models.filter(
            generations__jobs=job,
            generations__status__in=TO_RUN,
        ).distinct()
    )
    with transaction.atomic(durable=True):
        return _launch(job)


def _launch(job: GenerationJob) -> int:
    ids = job_start(job=job)
    transaction.on_commit(partial(_publish, job.pk, ids))
    return len(ids)


def _publish(job_id: int, generation_ids: list[int]) -> None:
    if not generation_ids:
        return
    try:
        open_counter.job_open_set(job_id=job_id, tasks=len(generation_ids))
        tasks.job_dispatch.delay(job_id, generation_ids)
    except Exception as exc:  # redis-py and kombu raise their own connection errors
        logger.warning("job %s: publishing failed, back to queued: %r", job_id, exc)
        GenerationJob.objects.filter(
            pk=job_id, status=GenerationJob.Status.RUNNING
        ).update(status=GenerationJob.Status.QUEUED)
        raise BrokerUnavailable(
            f"The task broker is unavailable ({exc}); job {job_id} is saved as "
            "queued with nothing sent. Resume it when the broker is back."
        ) from exc


@transaction.atomic
def job_create(
    *,
    prompt_sets: Iterable[PromptSet],
    chat_models: Iterable[ChatModel],
    name: str = "",
    created_by=None,
) -> GenerationJob:
    """A queued job over every prompt of ``prompt_sets`` x ``chat_models``.

    Generations that already exist (done ones included) are attached, not duplicated.
    """
    prompt_sets, chat_models = list(prompt_sets), list(chat_models)
    if not prompt_sets:
        raise ValidationError({"prompt_sets": "Choose at least one prompt set."})
    if not chat_models:
        raise ValidationError({"chat_models": "Choose at least one chat model."})
    unusable = [m.name for m in chat_models if m.backend == ChatModel.Backend.IMPORTED]
    if unusable:
        names = ", ".join(unusable)
        raise ValidationError(
            {"chat_models": f"No inference backend (imported only): {names}"}
        )
    job = GenerationJob(name=name, created_by=created_by)
    job.full_clean()
    job.save()
    job.prompt_sets.set(prompt_sets)
    job.chat_models.set(chat_models)
    prompt_ids = list(
        Prompt.objects.filter(prompt_set__in=prompt_sets).values_list("id", flat=True)
    )
    for chat_model in chat_models:
        Generation.objects.bulk_create(
            [Generation(prompt_id=pid, chat_model=chat_model) for pid in prompt_ids],
            ignore_conflicts=True,
            batch_size=1000,
        )
    generation_ids = Generation.objects.filter(
        prompt_id__in=prompt_ids, chat_model__in=chat_models
    ).values_list("id", flat=True)
    through = GenerationJob.generations.through
    through.objects.bulk_create(
        [through(generationjob_id=job.pk, generation_id=gid) for gid in generation_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return job


@transaction.atomic
def job_start(*, job: GenerationJob) -> list[int]:
    """Mark the job running; failed generations go back to pending.

    Returns the ids of the generations still to do (publishing them is the caller's
    part); a job with nothing left to do is finished at once.
    """
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    job.generations.filter(status=Generation.Status.FAILED).update(
        status=Generation.Status.PENDING, updated_at=timezone.now()
    )
    ids = list(
        job.generations.filter(status__in=TO_RUN)
        .order_by("id")
        .values_list("id", flat=True)
    )
    now = timezone.now()
    job.status = GenerationJob.Status.RUNNING if ids else GenerationJob.Status.FINISHED
    job.started_at = job.started_at or now
    job.finished_at = None if ids else now
    job.save(update_fields=["status", "started_at", "finished_at"])
    return ids


@transaction.atomic(durable=True)
def job_cancel(*, job: GenerationJob) -> GenerationJob:
    """Stop a job: queued tasks of it skip; requests in flight still finish."""
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if job.status in (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING):
        job.status = GenerationJob.Status.CANCELLED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
    return job
