"""Fault tests with a real Celery worker on Redis and PostgreSQL: kills, 5xx, hangs."""

import time

import pytest
from django.db import connection

from generations.models import Generation, GenerationJob
from generations.services import jobs
from tests.factories import PromptFactory, PromptSetFactory
from tests.support.openai_stub import StubServer
from tests.support.worker import Worker, exclusive_broker, redis_broker

from .conftest import free_port, stub_chat_model

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    if not redis_broker():
        pytest.skip("needs a Redis CELERY_BROKER_URL")
    workers = []

    def start(**env) -> Worker:
        worker = Worker(tmp_path / "worker.log", **env).start()
        workers.append(worker)
        return worker

    with exclusive_broker():
        yield start
        for worker in workers:
            worker.stop()


def _prompt_set(n: int, *extra: str):
    prompt_set = PromptSetFactory()
    for i in range(n):
        PromptFactory(
            prompt_set=prompt_set,
            external_id=f"q{i}",
            turns=[{"role": "user", "content": f"Question {i}"}],
        )
    for text in extra:
        PromptFactory(
            prompt_set=prompt_set,
            external_id=text,
            turns=[{"role": "user", "content": text}],
        )
    return prompt_set


def _launch(prompt_set, chat_model) -> GenerationJob:
    job, _ = jobs.job_create_and_launch(
        prompt_sets=[prompt_set], chat_models=[chat_model]
    )  # published when its transaction commits
    return job


def _wait_finished(job, worker: Worker, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == GenerationJob.Status.FINISHED:
            return
        time.sleep(0.3)
    counts = list(Generation.objects.filter(jobs=job).values_list("status", flat=True))
    pytest.fail(f"job not finished: {counts}\n{worker.log_path.read_text()[-3000:]}")


def test_killed_worker_job_completes_without_loss_or_duplicates(
    start_worker, stub_server
):
    stub_server.state.latency = 0.4
    chat_model = stub_chat_model(stub_server, max_concurrency=4)
    job = _launch(_prompt_set(20), chat_model)
    worker = start_worker(concurrency=4)
    generations = Generation.objects.filter(jobs=job)
    deadline = time.monotonic() + 60
    # Kill it once some generations are done and others are in flight. From then on
    # the server holds each new request for a minute, so that a request is surely
    # in flight at the kill (at 0.4 s, a loaded machine could let the last ones end
    # between the check and the kill).
    while generations.filter(status="done").count() < 6:
        assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
        time.sleep(0.05)
    stub_server.state.latency = 60
    time.sleep(1.0)  # requests sent before the change end meanwhile
    while not generations.filter(status="running").exists():
        assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
        time.sleep(0.05)
    worker.kill()
    done_before = set(generations.filter(status="done").values_list("id", flat=True))
    assert generations.filter(status="running").exists()  # killed mid-request

    stub_server.state.latency = 0.4
    worker = start_worker(concurrency=4)
    _wait_finished(job, worker)
    assert generations.count() == 20
    assert set(generations.values_list("status", flat=True)) == {"done"}
    for generation in generations.filter(id__in=done_before):
        assert generation.attempts == 1
        assert stub_server.state.completed[generation.prompt.final_user_turn] == 1
    assert all(
        generation.text == f"Answer to {generation.prompt.final_user_turn}"
        for generation in generations
    )


def test_server_errors_and_timeouts_for_a_while_then_the_job_completes(
    start_worker, stub_server
):
    stub_server.state.fail_500 = 6
    stub_server.state.hang, stub_server.state.hang_seconds = 3, 2.0
    chat_model = stub_chat_model(stub_server, request_timeout=0.5)
    job = _launch(_prompt_set(8, "BAD-REQUEST"), chat_model)
    worker = start_worker(concurrency=4)
    _wait_finished(job, worker)
    generations = Generation.objects.filter(jobs=job)
    bad = generations.get(prompt__external_id="BAD-REQUEST")
    assert bad.status == "failed"
    assert bad.attempts == 1  # a 400 is not retried
    assert "HTTP 400: bad request: unsupported input" in bad.last_error
    others = generations.exclude(pk=bad.pk)
    assert set(others.values_list("status", flat=True)) == {"done"}
    assert sum(g.attempts for g in others) == 8 + 6 + 3  # every fault was retried


def test_server_down_for_the_whole_job_fails_every_generation(start_worker):
    prompt_set = _prompt_set(5)
    with StubServer(free_port(18150, 18199)) as server:  # up when the job is checked
        chat_model = stub_chat_model(server)
        job = _launch(prompt_set, chat_model)
    # ... and down from then on.
    worker = start_worker(concurrency=4, EVALSITE_GENERATION_MAX_RETRIES="2")
    _wait_finished(job, worker, timeout=60)
    generations = Generation.objects.filter(jobs=job)
    assert set(generations.values_list("status", flat=True)) == {"failed"}
    for generation in generations:
        assert generation.attempts == 3
        assert "connection error" in generation.last_error
        assert generation.finished_at is not None
        assert generation.next_attempt_at is None  # retries spent: no next try
