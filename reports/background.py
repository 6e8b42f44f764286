"""Reports for web requests: a large report is computed by a worker, not the request.

A report already cached is served. One whose work (``report_work``: its ratings,
scaled by its resamples) is under ``EVALSITE_REPORT_BACKGROUND_MIN_RATINGS`` is computed
in the request, as ``evaluation_report`` does. A larger one is computed by
``reports.tasks.report_build``:
the request answers with the job's progress (``report_jobs.ReportJob``) at once, and
the pages and API poll ``report_status`` until it is done. ``manage.py report`` keeps
computing in its own process.

Without the cache (Redis down) a worker could not hand the report back: the request
computes it itself, as before, and logs a warning. The same when the task cannot be
queued (broker down).
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.conf import settings

from annotations.models import Evaluation

from . import annotator_filters, report_jobs, selectors
from . import evaluation_reports as reports
from .report_jobs import JobState, ReportJob
from .report_options import ReportOptions
from .tasks import report_build
from .values import Report

logger = logging.getLogger(__name__)

__all__ = ["UnknownJob", "report_or_job", "report_status"]


class UnknownJob(LookupError):
    """A ``job`` that names no report job of the evaluation: another evaluation's,
    one never handed out, or one expired."""

    def __init__(self) -> None:
        super().__init__(
            "job: no report job of this evaluation (another evaluation's, or "
            "expired); ask without job for the report of the data as it is"
        )


def _queued(evaluation_id: int, options: ReportOptions, key: str) -> ReportJob | None:
    """The report's job, its task queued if this call claimed it; None if impossible."""
    try:
        job, claimed = report_jobs.job_claim(key, evaluation_id)
    except Exception as error:
        logger.warning("report cache unavailable, computing in the request: %r", error)
        return None
    if claimed:
        try:
            report_build.delay(evaluation_id, asdict(options), key)
        except Exception as error:
            logger.warning("report task not queued, computing in the request: %r",
                           error)  # fmt: skip
            report_jobs.job_release(key)
            return None
    return job


def _named(job_id: str) -> tuple[ReportJob | None, Report | None]:
    """The job ``job_id`` names and, when done, the report it built: its record's,
    or the one cached under its id's key (a report built in the request, whose id
    a status hands out too). None and None when the cache fails."""
    key = reports.report_key_of(job_id)
    try:
        job = report_jobs.job_read(key)
    except Exception as error:
        logger.warning("report cache unavailable: %r", error)
        return None, None
    if job.state == JobState.DONE and job.report_key:
        key = job.report_key
    elif job.state != JobState.NONE:
        return job, None
    return job, reports.cached_report(key)


def report_work(n_ratings: int, options: ReportOptions) -> int:
    """A report's work in ratings at the default resamples: its bootstraps' time
    grows with their resamples (a tournament refits its model on every one), so
    100,000 resamples of 8,931 votes weigh as 893,100 ratings would, not 8,931."""
    default = ReportOptions().resamples
    return n_ratings * max(options.resamples, default) // default


def report_or_job(
    evaluation: Evaluation, options: ReportOptions, job_id: str = "", *,
    strict: bool = False,
) -> Report | ReportJob:  # fmt: skip
    """The evaluation's report, or the progress of the job computing it.

    ``job_id``: a finished job whose report will do, if it is this evaluation's
    with these options. A page reloaded when its job is done asks for it by the
    job's id: on an evaluation rated meanwhile the report is a little older than
    the data, rather than a new job started on every reload. Any other is passed
    over, or with ``strict`` (the API) UnknownJob unless it is a job of this
    evaluation (expired or another evaluation's: a client's mistake to tell).
    ValueError for one that is no job id at all.
    """
    _job_id_check(job_id)
    if job_id:
        job, report = _named(job_id)
        of_this = report is not None and report.metadata.evaluation.id == evaluation.pk
        if of_this and report.metadata.options == options:
            return report
        known = job is None or of_this or job.evaluation_id == evaluation.pk
        if strict and not known:
            raise UnknownJob
    key, size = reports.cache_key_and_size(evaluation.pk, options)
    if (cached := reports.cached_report(key)) is not None:
        return cached
    if report_work(size, options) >= settings.EVALSITE_REPORT_BACKGROUND_MIN_RATINGS:
        # A name ``exclude`` does not know is the asker's mistake: say so now (400),
        # not as the job's failure.
        if options.exclude:
            names = selectors.annotator_names(evaluation.pk)
            annotator_filters.names_check(options, names)
        job = _queued(evaluation.pk, options, key)
        if job is not None:
            return job
    return reports.built_report(evaluation.pk, options, key)


def report_status(
    evaluation: Evaluation, options: ReportOptions, job_id: str = ""
) -> ReportJob:
    """Where the report stands, read only: done, its job's progress, or no job.

    With ``job_id`` (from a status URL handed out) only the job's record is read;
    without, the report's key is made afresh (a count of the ratings). ValueError
    for a malformed id; UnknownJob for another evaluation's job.
    """
    _job_id_check(job_id)
    if job_id:
        key = reports.report_key_of(job_id)
    else:
        key, _ = reports.cache_key_and_size(evaluation.pk, options)
        if reports.is_cached(key):
            return ReportJob(JobState.DONE, id=report_jobs.job_id(key), stage="done")
    try:
        job = report_jobs.job_read(key)
    except Exception as error:
        logger.warning("report cache unavailable: %r", error)
        return report_jobs.NO_JOB
    if job.evaluation_id not in (0, evaluation.pk):  # 0: no job, or no record of it
        raise UnknownJob
    if job_id and job.state == JobState.NONE:
        # No record: the id may be a report's built in a request (a status hands
        # those out too); its report says whose it is.
        built = reports.cached_report(key)
        if built is not None and built.metadata.evaluation.id != evaluation.pk:
            raise UnknownJob
        if built is not None:
            return ReportJob(JobState.DONE, id=job_id, stage="done")
    return job


def _job_id_check(job_id: str) -> None:
    """ValueError naming ``job`` for a value that is no job id ("" is none)."""
    if job_id and not report_jobs.JOB_ID.fullmatch(job_id):
        raise ValueError("job: not a report job id")
