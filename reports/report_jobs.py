"""A report computed by a Celery worker: its job record, kept in the cache.

A job's record lives under a key derived from the report's own cache key, so one
report (evaluation, options, data version) has at most one job; its id is that key's
digest, so that a status poll reads the record without counting the ratings again. ``job_claim`` adds
the record with ``cache.add``: of concurrent requests for the same report exactly one
claims it and queues the task. The task (``job_run``) builds the report, stores it
under its key and records its stages; a failure is recorded with its message.

A record expires when it has no news for ``JOB_SECONDS`` (its task lost, say), and a
failure after ``FAILED_SECONDS``: the next request then starts the job again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.core.cache import cache

from .evaluation_reports import built_report, cache_key, cached_report
from .report_options import ReportOptions

logger = logging.getLogger(__name__)

JOB_SECONDS = 600
FAILED_SECONDS = 60
# The share of the work done when a stage starts (the bootstrap of the intervals
# takes the largest part of a large report).
STAGES = {
    "queued": 0.0,
    "reading": 0.05,
    "outcomes": 0.25,
    "agreement": 0.35,
    "intervals": 0.55,
    "done": 1.0,
}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    NONE = "none"  # no job: the report is not cached and nothing computes it


@dataclass(frozen=True)
class ReportJob:
    """Where the computation of one report stands."""

    state: JobState
    id: str = ""
    stage: str = "queued"
    error: str = ""
    # Done: where the report went (newer than the job's key if ratings came meanwhile).
    report_key: str = ""
    # Whose report it computes (0: unknown, as for NO_JOB), so that a job's id
    # cannot fetch another evaluation's report.
    evaluation_id: int = 0

    @property
    def progress(self) -> float:
        """The share of the work done, from 0 to 1."""
        return STAGES.get(self.stage, 0.0)

    @property
    def pending(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    def to_json(self) -> dict:
        return {
            "status": str(self.state),
            "job": self.id,
            "stage": self.stage,
            "progress": self.progress,
            "error": self.error,
        }


NO_JOB = ReportJob(JobState.NONE, stage="")  # no stage: nothing is queued
JOB_ID = re.compile(r"[0-9a-f]{64}")


def job_id(report_key: str) -> str:
    """The id of the report's job: the digest at the end of the report's key."""
    return report_key.rsplit(":", 1)[1]


def job_key(report_key: str) -> str:
    return f"{report_key}:job"


def job_claim(report_key: str, evaluation_id: int) -> tuple[ReportJob, bool]:
    """The report's job, and whether this call claimed it (and must queue its task).

    Raises what the cache raises when it is unavailable.
    """
    key = job_key(report_key)
    queued = ReportJob(
        JobState.QUEUED, id=job_id(report_key), evaluation_id=evaluation_id
    )
    if cache.add(key, queued, JOB_SECONDS):
        return queued, True
    job = cache.get(key)
    if job is not None and job.state == JobState.DONE:
        # Done, yet its report is not cached (evicted): compute it again.
        cache.set(key, queued, JOB_SECONDS)
        return queued, True
    # Expired between the two calls: the job is as good as just queued.
    return job or queued, False


def job_release(report_key: str) -> None:
    """Forget a claimed job whose task could not be queued."""
    cache.delete(job_key(report_key))


def job_read(report_key: str) -> ReportJob:
    return cache.get(job_key(report_key)) or NO_JOB


def _record(key: str, job: ReportJob, seconds: int = JOB_SECONDS) -> None:
    try:
        cache.set(key, job, seconds)
    except Exception as error:  # progress is for show: the report goes on
        logger.warning("report cache unavailable, progress not recorded: %r", error)


def job_run(*, evaluation_id: int, options: dict, report_key: str) -> None:
    """Build and store one report, recording its progress under its job's key.

    Idempotent: a report already stored is only marked done. ``report_key`` is the
    key the job was claimed under; the report itself is stored under its key when the
    task reads the data, newer if ratings came meanwhile. A failure is recorded with
    its message and raised again.
    """
    key = job_key(report_key)
    ident = {"id": job_id(report_key), "evaluation_id": evaluation_id}
    progress: Callable[[str], None] = lambda stage: _record(  # noqa: E731
        key, ReportJob(JobState.RUNNING, stage=stage, **ident)
    )
    try:
        report_options = ReportOptions(**options)
        stored_key = cache_key(evaluation_id, report_options)  # before the data
        if cached_report(stored_key) is None:
            built_report(evaluation_id, report_options, stored_key, progress=progress)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        failed = ReportJob(JobState.FAILED, stage="failed", error=message, **ident)
        _record(key, failed, FAILED_SECONDS)
        raise
    done = ReportJob(JobState.DONE, stage="done", report_key=stored_key, **ident)
    _record(key, done)
