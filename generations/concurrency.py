"""Per-server concurrency limit shared by all workers: a counting semaphore with leases.

With Redis, a sorted set per server holds one member per request in flight, scored
by its lease expiry, so a killed worker's slot frees itself when the lease runs out.
Without Redis (the filesystem broker: one machine), one lock file per slot; the
kernel drops a dead process's ``flock`` at once. Pure: no Django.
"""

from __future__ import annotations

import fcntl
import hashlib
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .backends import TransientBackendError

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class ServerBusyError(TransientBackendError):
    """No free slot for this server within the wait; retried like transient errors."""


def _key(server: str) -> str:
    return hashlib.sha1(server.encode()).hexdigest()[:16]


class RedisSlots:
    """Slots in Redis sorted sets, one per server, shared by all workers."""

    def __init__(self, url: str, prefix: str = "evalsite:slots:"):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._acquire = self.redis.register_script(_ACQUIRE)

    def try_acquire(self, server: str, limit: int, lease_seconds: float) -> str | None:
        token, now = uuid.uuid4().hex, time.time()
        ttl = int(lease_seconds) + 60
        args = [now, limit, now + lease_seconds, token, ttl]
        acquired = self._acquire(keys=[self.prefix + _key(server)], args=args)
        return token if acquired else None

    def release(self, server: str, token: str) -> None:
        self.redis.zrem(self.prefix + _key(server), token)

    def in_use(self, server: str) -> int:
        key = self.prefix + _key(server)
        self.redis.zremrangebyscore(key, "-inf", time.time())
        return int(self.redis.zcard(key))


class FileSlots:
    """Slots as lock files under ``folder``; valid across one machine's processes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._held: dict[str, object] = {}
        self._lock = threading.Lock()

    def try_acquire(self, server: str, limit: int, lease_seconds: float) -> str | None:
        folder = self.folder / _key(server)
        folder.mkdir(parents=True, exist_ok=True)
        for index in random.sample(range(limit), limit):
            handle = open(folder / f"slot-{index}.lock", "a+")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            token = uuid.uuid4().hex
            with self._lock:
                self._held[token] = handle
            return token
        return None

    def release(self, server: str, token: str) -> None:
        with self._lock:
            handle = self._held.pop(token, None)
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


Slots = RedisSlots | FileSlots


@contextmanager
def server_slot(
    slots: Slots, server: str, *, limit: int, lease_seconds: float, wait_seconds: float
) -> Iterator[None]:
    """Hold one of ``limit`` slots of ``server``; ServerBusyError if none frees."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    while (token := slots.try_acquire(server, max(limit, 1), lease_seconds)) is None:
        if time.monotonic() >= deadline:
            raise ServerBusyError(
                f"all {limit} slots of {server} busy for {wait_seconds}s"
            )
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 1.5, 0.2)
    try:
        yield
    finally:
        slots.release(server, token)
