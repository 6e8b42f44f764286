"""Fixtures of the generation pipeline tests: stub and llama.cpp servers, workers."""

from __future__ import annotations

import os
import socket

import pytest

from evalsite.celery import app as celery_app
from generations.models import ChatModel
from tests.support.openai_stub import StubServer

# Stub servers and "dead" ports: 100 ports a test process. A port a stub server
# used stays in TIME_WAIT for a minute (the probe below then skips it), and a run of
# quick stub-server tests would use up a small slice.
STUB_PORTS = (18200, 18500)
_next_port: dict[tuple[int, int], int] = {}


def free_port(start: int, end: int) -> int:
    """A port of this engineer's range that nobody listens on.

    Under pytest-xdist each test process takes its own slice of the range: a port
    one process holds as "dead" (nothing listening) for a whole test is then never
    the port another process's stub server binds meanwhile.
    """
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])
    size = (end - start) // processes
    start, end = start + index * size, start + (index + 1) * size
    # Round the slice: consecutive calls take different ports, so a port just
    # closed (and a client's cached connection to it) is not the next one.
    first = _next_port.get((start, end), start)
    for port in [*range(first, end), *range(start, first)]:
        _next_port[(start, end)] = port + 1 if port + 1 < end else start
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


@pytest.fixture
def stub_server():
    with StubServer(free_port(*STUB_PORTS)) as server:
        yield server


@pytest.fixture
def eager_celery():
    """Run tasks inline (retries included, without their countdown)."""
    keys = ("task_always_eager",)
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(dict.fromkeys(keys, True))
    yield
    celery_app.conf.update(saved)


def stub_chat_model(server: StubServer, name: str = "stub", **fields) -> ChatModel:
    defaults = {
        "backend": ChatModel.Backend.OPENAI,
        "base_url": server.url,
        "model_id": "stub-model",
        "request_timeout": 2.0,
        "max_concurrency": 4,
    }
    return ChatModel.objects.create(name=name, **{**defaults, **fields})
