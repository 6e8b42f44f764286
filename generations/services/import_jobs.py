"""Background imports: an upload over the size is stored, then a Celery task imports it.

Each kind of import (prompts, generations, ratings) registers a runner in its app's
``AppConfig.ready``, so this module never imports the apps above it. A runner takes
the job's options, the stored file and a progress callback (records read so far) and
returns the service's ImportResult or raises its ImportFileError.

Stages: stored (queued for the worker), reading, importing, done. The percent shown
follows the records read once the services report them, the stages until then.

The services report the records read from inside their one transaction, where a
write to the job's row stays unseen until it commits (and is lost if the file is
refused), so the count goes to the cache (``CACHE_URL``: Redis, shared with the web
processes) as well: the status reads it while the job runs, and a failed job keeps
how far it read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from evalsite.imports.reader import ImportFileError, ImportResult, LineError

from .. import tasks
from ..models import ImportJob
from .preflight import broker_check


class ImportRunner(Protocol):
    def __call__(
        self,
        *,
        options: dict[str, Any],
        file_name: str,
        file: BinaryIO,
        uploaded_by,
        progress: Callable[[int], None],
    ) -> ImportResult: ...


logger = logging.getLogger(__name__)
RUNNERS: dict[str, ImportRunner] = {}
# How long a job's count of records read is kept in the cache: past any import.
PROGRESS_SECONDS = 24 * 3600
# Percent shown at each stage while no records are counted.
STAGE_PERCENT = {"stored": 0, "reading": 10, "importing": 50, "done": 100}


def import_kind_register(kind: str, runner: ImportRunner) -> None:
    """Called from an app's ``ready``: ``kind`` imports run ``runner``."""
    RUNNERS[kind] = runner


@dataclass(frozen=True)
class ImportJobStatus:
    """What the progress page and the status endpoint show of a job."""

    id: int
    kind: str
    file_name: str
    state: str
    stage: str
    percent: int
    records_read: int
    records_total: int
    result: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


def import_job_create(
    *, kind: str, options: dict[str, Any], upload, uploaded_by=None
) -> ImportJob:
    """Store ``upload`` (a Django UploadedFile) and queue its import on commit.

    Raises ``BrokerUnavailable`` (storing nothing) when no task can be queued.
    """
    if kind not in RUNNERS:
        raise ValueError(f"unknown import kind {kind!r}")
    broker_check()
    lines = 0
    for chunk in upload.chunks():
        lines += chunk.count(b"\n")
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            options=options,
            file_name=upload.name,
            uploaded_by=uploaded_by,
            total_bytes=upload.size,
            records_total=max(lines, 1),
        )
        job.file.save(upload.name, upload, save=False)
        job.full_clean()
        job.save()
        transaction.on_commit(lambda: tasks.import_job_run.delay(job.pk))
    return job


def _read_key(job_id: int) -> str:
    return f"import-job:{job_id}:records-read"


def _records_read(job_id: int) -> int:
    """The records the running job has read, as its import last reported."""
    try:
        return int(cache.get(_read_key(job_id)) or 0)
    except Exception as error:  # the cache down: the stage still shows
        logger.warning("import progress unavailable: %r", error)
        return 0


def _record_progress(job_id: int, *, stage: str, records_read: int | None = None):
    fields = {"stage": stage}
    if records_read is not None:
        fields["records_read"] = records_read
        try:  # seen at once, unlike the row written in the import's transaction
            cache.set(_read_key(job_id), records_read, PROGRESS_SECONDS)
        except Exception as error:
            logger.warning("import progress not recorded: %r", error)
    ImportJob.objects.filter(pk=job_id).update(**fields)


def import_job_run(*, job_id: int) -> str:
    """Run a stored import; idempotent: a job that has ended is left as it is.

    The service stores all of the file or nothing, so a job redelivered after a
    worker died is simply run again. Returns the job's final state.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        return job.state if job else "missing"
    job.state, job.stage, job.started_at = "running", "reading", timezone.now()
    job.save(update_fields=["state", "stage", "started_at"])

    def progress(records_read: int) -> None:
        _record_progress(job_id, stage="importing", records_read=records_read)

    runner = RUNNERS.get(job.kind)
    try:
        if runner is None:
            raise ImportFileError(
                [LineError(None, None, f"unknown import kind {job.kind!r}")]
            )
        with job.file.open("rb") as file:
            _record_progress(job_id, stage="importing")
            result = runner(
                options=job.options,
                file_name=job.file_name,
                file=file,
                uploaded_by=job.uploaded_by,
                progress=progress,
            )
    except ImportFileError as exc:
        job.state, job.errors = "failed", [error.as_dict() for error in exc.listed]
    except Exception:
        # A defect or an outage, not the file: the page must not poll forever.
        message = "the import stopped unexpectedly; see the worker's log"
        _job_end(job, state="failed", errors=[LineError(None, None, message).as_dict()])
        raise
    else:
        job.state, job.result = "done", result.as_dict()
    _job_end(job, state=job.state, errors=job.errors)
    return job.state


def _job_end(job: ImportJob, *, state: str, errors: list[dict[str, Any]]) -> None:
    job.state, job.errors = state, errors
    job.stage, job.finished_at = "done", timezone.now()
    job.refresh_from_db(fields=["records_read"])
    job.records_read = max(job.records_read, _records_read(job.pk))
    if job.result:
        read = job.result.get("created", 0) + job.result.get("unchanged", 0)
        job.records_read = max(job.records_read, read)
    job.file.delete(save=False)
    fields = ["state", "stage", "result", "errors", "finished_at", "records_read"]
    job.save(update_fields=[*fields, "file"])


def import_job_status(job: ImportJob) -> ImportJobStatus:
    records_read = job.records_read
    if job.state == "running":
        records_read = max(records_read, _records_read(job.pk))
    if job.state in ("done", "failed"):
        percent = 100
    elif records_read:
        share = min(records_read / job.records_total, 1.0)
        percent = STAGE_PERCENT["reading"] + round(85 * share)
    else:
        percent = STAGE_PERCENT[job.stage]
    return ImportJobStatus(
        id=job.pk,
        kind=job.kind,
        file_name=job.file_name,
        state=job.state,
        stage=job.stage,
        percent=percent,
        records_read=records_read,
        records_total=job.records_total,
        result=job.result,
        errors=job.errors,
    )
