"""Per-job count of task deliveries still to end: a hint for when a job may be finished.

The exact test ("no generation of the job is pending or running") reads every
generation of the job, so running it after each of a 2,000-generation job's tasks
costs O(n^2). A Redis counter, set to the number of tasks a job sends and decremented
as each ends, says when the exact test is worth running. It is only a hint: extra
decrements (a redelivered or duplicated task) just run the exact test early, and a
missing key (Redis flushed, expired) counts as "check". Pure: no Django.
"""

from __future__ import annotations

KEY_SECONDS = 30 * 24 * 3600


class RedisOpenCounts:
    """Counters in Redis, shared by every worker."""

    def __init__(self, url: str, prefix: str = "evalsite:job-open:"):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def reset(self, job_id: int, count: int) -> None:
        self.redis.set(f"{self.prefix}{job_id}", count, ex=KEY_SECONDS)

    def ended(self, job_id: int) -> bool:
        """Count one task of the job as ended; True when the job may be complete."""
        return self.redis.decr(f"{self.prefix}{job_id}") <= 0


class NoOpenCounts:
    """Without Redis (filesystem broker, eager tasks): always run the exact test."""

    def reset(self, job_id: int, count: int) -> None:
        pass

    def ended(self, job_id: int) -> bool:
        return True


OpenCounts = RedisOpenCounts | NoOpenCounts
