"""A real Celery worker for the report tests, and reports made large by a setting."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from tests.support.worker import Worker, exclusive_broker, redis_broker


def require_worker_parts() -> None:
    """Skip unless PostgreSQL, a Redis broker and a Redis cache are configured."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    if not redis_broker():
        pytest.skip("needs a Redis CELERY_BROKER_URL")
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("needs a Redis CACHE_URL: the worker hands reports back through it")


@pytest.fixture
def large_reports(settings):
    """Every report with a rating counts as large: computed by a worker."""
    settings.EVALSITE_REPORT_BACKGROUND_MIN_RATINGS = 1


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator:
    """Start a real worker (call it); the broker is this test's alone, emptied first."""
    require_worker_parts()
    workers: list[Worker] = []

    def start() -> Worker:
        workers.append(Worker(tmp_path / "worker.log", concurrency=2).start())
        return workers[-1]

    with exclusive_broker():
        try:
            yield start
        finally:
            for worker in workers:
                worker.stop()


def wait_for(client, url: str, states: set[str], timeout: float = 90) -> dict:
    """Poll a report's status URL until its status is one of ``states``."""
    deadline = time.monotonic() + timeout
    while True:
        data = client.get(url).json()
        if data["status"] in states:
            return data
        if time.monotonic() > deadline:
            raise TimeoutError(f"report status still {data}")
        time.sleep(0.2)
