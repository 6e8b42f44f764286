"""The per-server slot limit, on lock files and on Redis, with leases."""

import threading
import time

import pytest
from django.conf import settings

from generations import concurrency


def _peak_in_flight(slots, limit: int, threads: int = 12) -> int:
    in_flight = peak = 0
    lock = threading.Lock()

    def request():
        nonlocal in_flight, peak
        with concurrency.server_slot(
            slots, "http://s", limit=limit, lease_seconds=30, wait_seconds=30
        ):
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.05)
            with lock:
                in_flight -= 1

    workers = [threading.Thread(target=request) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return peak


def test_file_slots_never_exceed_the_limit(tmp_path):
    assert _peak_in_flight(concurrency.FileSlots(tmp_path), limit=3) == 3


def test_busy_server_raises_a_transient_error(tmp_path):
    slots = concurrency.FileSlots(tmp_path)
    with (
        concurrency.server_slot(
            slots, "http://s", limit=1, lease_seconds=30, wait_seconds=1
        ),
        pytest.raises(concurrency.ServerBusyError) as info,
        concurrency.server_slot(
            slots, "http://s", limit=1, lease_seconds=30, wait_seconds=0.1
        ),
    ):
        pass
    assert info.value.transient


@pytest.fixture
def redis_slots():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.skip("needs a Redis CELERY_BROKER_URL")
    slots = concurrency.RedisSlots(url, prefix="evalsite:test-slots:")
    slots.redis.delete(*slots.redis.keys("evalsite:test-slots:*") or ["none"])
    return slots


@pytest.mark.redis
def test_redis_slots_never_exceed_the_limit(redis_slots):
    assert _peak_in_flight(redis_slots, limit=4) == 4
    assert redis_slots.in_use("http://s") == 0


@pytest.mark.redis
def test_redis_slot_of_a_dead_holder_frees_when_its_lease_ends(redis_slots):
    assert redis_slots.try_acquire("http://dead", 1, lease_seconds=0.3)
    assert redis_slots.try_acquire("http://dead", 1, lease_seconds=0.3) is None
    time.sleep(0.4)
    assert redis_slots.try_acquire("http://dead", 1, lease_seconds=0.3)
