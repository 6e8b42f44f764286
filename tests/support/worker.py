"""A real ``celery -A evalsite worker`` subprocess on the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from generations.open_counter import broker_redis_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def redis_broker() -> str | None:
    return broker_redis_url()


def worker_command(
    concurrency: int, hostname: str, loglevel: str = "INFO"
) -> list[str]:
    """``celery -A evalsite worker`` on the thread pool, as tests and benchmarks run it."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "evalsite",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        hostname,
    ]


def worker_database_url() -> str:
    """DATABASE_URL of the database this test runs on (pytest-django's)."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("worker tests need PostgreSQL")
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


LOCK_KEY = "evalsite:test-worker-lock"


def flush_broker() -> None:
    """Empty this run's Redis database (queued and unacked tasks, slots), lock aside."""
    import redis

    client = redis.Redis.from_url(redis_broker())
    keys = [key for key in client.scan_iter() if key != LOCK_KEY.encode()]
    if keys:
        client.delete(*keys)


@contextmanager
def exclusive_broker(timeout: float = 900) -> Iterator[None]:
    """One worker test at a time per broker, also across pytest-xdist processes.

    Workers consume the shared default queue, so two at once would take each other's
    tasks (and run them on the wrong test database).
    """
    import redis

    lock = redis.Redis.from_url(redis_broker()).lock(
        LOCK_KEY, timeout=timeout, blocking_timeout=timeout
    )
    if not lock.acquire():
        raise TimeoutError("another worker test held the broker too long")
    try:
        flush_broker()
        yield
    finally:
        lock.release()


class Worker:
    """Start, SIGKILL and stop a worker; its log goes to ``log_path``."""

    def __init__(self, log_path: Path, concurrency: int = 4, **env: str):
        self.log_path = log_path
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_RESTORE_INTERVAL": "1",
            "CELERY_RESTORE_THROTTLE": "1",
            "CELERY_RESTORE_MUTEX_EXPIRE": "3",
            "EVALSITE_GENERATION_BACKOFF": "0.2",
            "EVALSITE_GENERATION_BACKOFF_MAX": "2",
            "EVALSITE_GENERATION_MAX_RETRIES": "4",
            # A killed worker's server slots free themselves soon after its requests'
            # timeouts, not 30 s later.
            "EVALSITE_SERVER_SLOT_GRACE": "1",
            # Celery's Django fixup runs the system checks at each worker start, and
            # the URL checks import every view (matplotlib, drf-spectacular): about a
            # second of CPU per start. The suite runs the checks itself
            # (tests/test_project_checks.py).
            "CELERY_SKIP_CHECKS": "1",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Worker:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            worker_command(
                self.concurrency, f"test-{os.getpid()}-{time.monotonic_ns()}@%h"
            ),
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"worker exited:\n{self.log_path.read_text()[-3000:]}"
                )
            if " ready." in self.log_path.read_text():
                return self
            time.sleep(0.2)
        self.stop()
        raise TimeoutError("worker did not become ready")

    def kill(self) -> None:
        """SIGKILL, as when the machine or the OOM killer takes the worker down."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        self.log_path.write_text(self.log_path.read_text() + "\n--- killed ---\n")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


@contextmanager
def running_worker(
    log_path: Path, concurrency: int = 2, **env: str
) -> Iterator[Worker]:
    """A started worker, alone on the broker, stopped on leaving."""
    with exclusive_broker():
        # A loaded machine can take a minute or more to start one.
        worker = Worker(log_path, concurrency=concurrency, **env).start(timeout=240)
        try:
            yield worker
        finally:
            worker.stop()
