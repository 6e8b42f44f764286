"""Celery tasks of the reports app: thin wrappers around ``reports.report_jobs``."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_build(evaluation_id: int, options: dict, report_key: str) -> None:
    """Build and cache one report in the background; idempotent."""
    # Imported on the first report, not when a worker imports every app's tasks at
    # its start: report_jobs brings pandas and SciPy, half a second of CPU and about
    # 85 MB, which a worker that only generates or judges never needs once Celery's
    # start-up system checks (which import every view) are skipped, as the test
    # suite's workers skip them.
    from . import report_jobs

    report_jobs.job_run(
        evaluation_id=evaluation_id, options=options, report_key=report_key
    )
