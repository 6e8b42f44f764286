"""Celery tasks of the reports app: thin wrappers around ``reports.report_jobs``."""

from __future__ import annotations

from celery import shared_task

from . import report_jobs


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_build(evaluation_id: int, options: dict, report_key: str) -> None:
    """Build and cache one report in the background; idempotent."""
    report_jobs.job_run(
        evaluation_id=evaluation_id, options=options, report_key=report_key
    )
