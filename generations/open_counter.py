"""Per-job count of generation tasks still open: a hint for when a job may be finished.

Not to be confused with ``selectors.job_progress``, the exact counts by status shown to
users. The exact test ("no generation of the job is pending or running") reads every
generation of the job, so running it after each of a 2,000-generation job's tasks
costs O(n^2). A Redis counter, set to the number of tasks a job sends and decremented
as each ends, says when the exact test is worth running. It is only a hint: extra
decrements (a redelivered or duplicated task) just run the exact test early, and a
missing key (Redis flushed, expired) counts as "check". Without a Redis broker
(filesystem broker, eager tasks) the exact test always runs.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

KEY_SECONDS = 30 * 24 * 3600
PREFIX = "evalsite:job-open:"


def broker_redis_url() -> str | None:
    """The broker's Redis, which also holds the job counters and the server slots."""
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else None


@lru_cache(maxsize=1)
def _redis():
    """One client per process (thread-safe over its connection pool); None: no Redis."""
    if url := broker_redis_url():
        import redis

        return redis.Redis.from_url(url)
    return None


def job_open_set(*, job_id: int, tasks: int) -> None:
    """Note that ``tasks`` generation tasks of the job are about to be sent."""
    if (client := _redis()) is not None:
        client.set(f"{PREFIX}{job_id}", tasks, ex=KEY_SECONDS)


def job_open_end(*, job_id: int) -> bool:
    """Count one task of the job as ended; True when the job may be complete."""
    if (client := _redis()) is None:
        return True
    return client.decr(f"{PREFIX}{job_id}") <= 0
