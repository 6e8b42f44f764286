"""kombu's Redis transport, reusing one Redis client per connection pool.

kombu builds a new ``redis.Redis`` for every publish, receive and ack; each build
fills a dict of about 250 response callbacks (60 us), which made up 6% of a
generation worker's CPU (benchmarks/generate.py). A ``redis.Redis`` over a pool is
thread-safe, so one per pool serves every thread. Celery uses this transport for
``redis://`` brokers (settings: CELERY_BROKER_TRANSPORT).
"""

from __future__ import annotations

from kombu.transport import redis


class Channel(redis.Channel):
    _shared_client = None

    def _create_client(self, asynchronous: bool = False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:
            # A new pool (after a reconnect) gets a new client.
            client = self._shared_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
