"""Fixtures of the generation pipeline tests: stub and llama.cpp servers, workers."""

from __future__ import annotations

import os
import socket

import pytest

from evalsite.celery import app as celery_app
from generations.models import ChatModel
from tests.support.openai_stub import StubServer


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
    for port in range(start, end):
        with socket.socket() as probe:
            # As the servers bind (SO_REUSEADDR): a port whose last connection is
            # in TIME_WAIT is free for them, and a run of quick stub-server tests
            # leaves a whole slice in that state for a minute.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


@pytest.fixture
def stub_server():
    with StubServer(free_port(18150, 18199)) as server:
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
