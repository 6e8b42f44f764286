"""The generation hot path: claim and record, job-open counters, batched dispatch."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from generations import open_counter
from generations.models import ChatModel, Generation, GenerationJob
from generations.services import execution, jobs, rows
from generations.tasks import job_dispatch
from tests.factories import ChatModelFactory, PromptFactory, PromptSetFactory
from tests.support.worker import exclusive_broker, redis_broker

from .conftest import stub_chat_model

pytestmark = pytest.mark.django_db
needs_redis = pytest.mark.skipif(
    not redis_broker(), reason="needs a Redis CELERY_BROKER_URL"
)


def _job(prompt_set, chat_model) -> tuple[GenerationJob, list[int]]:
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    ids = jobs.job_start(job=job)
    open_counter.job_open_set(job_id=job.pk, tasks=len(ids))
    return job, ids


@pytest.fixture
def two_prompts():
    prompt_set = PromptSetFactory(name="two")
    PromptFactory(
        prompt_set=prompt_set,
        external_id="a",
        turns=[
            {"role": "user", "content": "Name a fruit"},
            {"role": "assistant", "content": "Apple"},
            {"role": "user", "content": "Another one"},
        ],
    )
    PromptFactory(
        prompt_set=prompt_set,
        external_id="b",
        turns=[{"role": "user", "content": "Hi"}],
    )
    return prompt_set


def offline_model(name: str, **fields) -> ChatModel:
    """A chat model whose server is never called."""
    return ChatModelFactory(
        name=name,
        backend=ChatModel.Backend.OPENAI,
        base_url="http://127.0.0.1:9/v1",
        model_id="m",
        **fields,
    )


@pytest.fixture
def redis_counts():
    """The job-open counters on this run's Redis, reset around the test."""
    open_counter._redis.cache_clear()
    yield
    open_counter._redis.cache_clear()


def test_claim_marks_running_and_returns_the_chat_model_and_turns(two_prompts):
    chat_model = offline_model(
        name="claimed", system_prompt="Be brief.", decoding={"seed": 7}
    )
    job, ids = _job(two_prompts, chat_model)
    first = Generation.objects.get(pk=ids[0])

    claimed_model, turns = rows.generation_claim(
        generation_id=first.pk, job_id=job.pk, now=timezone.now()
    )

    assert claimed_model == chat_model
    assert claimed_model.system_prompt == "Be brief."
    assert claimed_model.decoding == {"seed": 7}
    assert claimed_model.created_at == chat_model.created_at
    assert turns == first.prompt.turns
    first.refresh_from_db()
    assert (first.status, first.attempts) == (Generation.Status.RUNNING, 1)


def test_claim_skips_done_filtered_and_cancelled_work(two_prompts):
    chat_model = offline_model(name="skips")
    job, (first, second) = _job(two_prompts, chat_model)
    Generation.objects.filter(pk=first).update(status=Generation.Status.DONE)

    assert (
        rows.generation_claim(generation_id=first, job_id=job.pk, now=timezone.now())
        is None
    )
    jobs.job_cancel(job=job)
    assert (
        rows.generation_claim(generation_id=second, job_id=job.pk, now=timezone.now())
        is None
    )
    assert Generation.objects.get(pk=second).status == Generation.Status.PENDING
    # Without a job, a running generation is claimed again (a redelivered task).
    assert rows.generation_claim(generation_id=second, job_id=None, now=timezone.now())


def test_record_stores_what_the_orm_stores_and_never_overwrites_done(two_prompts):
    chat_model = offline_model(name="records")
    _, (first, _) = _job(two_prompts, chat_model)
    now = timezone.now()
    request = {"messages": [{"role": "user", "content": "é ✓"}], "top_p": 0.9}

    written = rows.generation_record(
        generation_id=first,
        fields={
            "status": Generation.Status.DONE,
            "text": "Pear",
            "request": request,
            "latency_seconds": 0.25,
            "finished_at": now,
        },
    )
    again = rows.generation_record(
        generation_id=first, fields={"status": Generation.Status.FAILED, "text": "x"}
    )

    generation = Generation.objects.get(pk=first)
    assert (written, again) == (True, False)
    assert (generation.status, generation.text) == (Generation.Status.DONE, "Pear")
    assert generation.request == request
    assert generation.latency_seconds == 0.25
    assert generation.finished_at == now
    assert Generation.objects.filter(request__top_p=0.9).count() == 1


def test_claim_is_two_statements_and_record_one(two_prompts, django_assert_num_queries):
    chat_model = offline_model(name="counted")
    job, (first, _) = _job(two_prompts, chat_model)

    with django_assert_num_queries(2):  # the claim's UPDATE, the load's SELECT
        rows.generation_claim(generation_id=first, job_id=job.pk, now=timezone.now())
    with django_assert_num_queries(1):
        rows.generation_record(generation_id=first, fields={"text": "x"})


def test_claim_reads_the_chat_model_as_it_is_now(two_prompts):
    chat_model = offline_model(name="edited", temperature=0.0)
    job, (first, second) = _job(two_prompts, chat_model)
    rows.generation_claim(generation_id=first, job_id=job.pk, now=timezone.now())
    ChatModel.objects.filter(pk=chat_model.pk).update(temperature=0.5)

    claimed_model, _ = rows.generation_claim(
        generation_id=second, job_id=job.pk, now=timezone.now()
    )

    assert claimed_model.temperature == 0.5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_worker_sessions_commit_asynchronously_when_opted_in():
    from django.db.backends.signals import connection_created

    from evalsite.celery import _async_commit_session, commit_asynchronously

    with override_settings(EVALSITE_WORKER_ASYNC_COMMIT=True):
        commit_asynchronously()
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
    finally:
        fresh.close()
        connection_created.disconnect(_async_commit_session)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_worker_sessions_commit_synchronously_by_default():
    from django.db.backends.signals import connection_created

    from evalsite.celery import _async_commit_session, commit_asynchronously

    commit_asynchronously()
    assert not connection_created.disconnect(_async_commit_session)


@needs_redis
def test_job_open_counters_say_when_the_exact_check_is_worth_running(redis_counts):
    job_ids = (2**40 + 7, 2**40 + 8)  # no real job's
    open_counter._redis().delete(*(f"{open_counter.PREFIX}{i}" for i in job_ids))
    first, second = job_ids
    open_counter.job_open_set(job_id=first, tasks=2)

    ended = [open_counter.job_open_end(job_id=first) for _ in range(3)]
    assert ended == [False, True, True]
    # No counter (expired, flushed): check.
    assert open_counter.job_open_end(job_id=second) is True


def test_without_a_redis_broker_the_exact_check_always_runs(redis_counts):
    with override_settings(CELERY_BROKER_URL="filesystem://"):
        open_counter._redis.cache_clear()
        open_counter.job_open_set(job_id=7, tasks=2)
        assert open_counter.job_open_end(job_id=7) is True


@needs_redis
def test_a_job_finishes_when_its_last_task_ends_even_if_another_job_did_the_work(
    stub_server, two_prompts, redis_counts
):
    chat_model = stub_chat_model(stub_server, name="shared")
    job_a, (first, second) = _job(two_prompts, chat_model)
    job_b = GenerationJob.objects.create(name="b")
    job_b.generations.set([second])
    assert jobs.job_start(job=job_b) == [second]
    open_counter.job_open_set(job_id=job_b.pk, tasks=1)

    assert execution.generation_execute(generation_id=second, job_id=job_b.pk) == "done"
    job_a.refresh_from_db()
    job_b.refresh_from_db()
    assert (job_a.status, job_b.status) == ("running", "finished")

    # Job A's own task for the shared generation finds it done: it still counts.
    assert (
        execution.generation_execute(generation_id=second, job_id=job_a.pk) == "skipped"
    )
    job_a.refresh_from_db()
    assert job_a.status == "running"
    assert execution.generation_execute(generation_id=first, job_id=job_a.pk) == "done"
    job_a.refresh_from_db()
    assert job_a.status == "finished"


@needs_redis
def test_a_lost_or_low_counter_only_makes_the_exact_check_run_early(
    stub_server, two_prompts, redis_counts
):
    chat_model = stub_chat_model(stub_server, name="lost")
    job, (first, second) = _job(two_prompts, chat_model)
    open_counter.job_open_set(job_id=job.pk, tasks=1)  # one too few

    execution.generation_execute(generation_id=first, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "running"  # checked early, one still open
    open_counter._redis().delete(f"{open_counter.PREFIX}{job.pk}")  # counter gone
    execution.generation_execute(generation_id=second, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "finished"


@needs_redis
def test_dispatch_publishes_one_task_per_generation_in_batches():
    import redis

    ids = list(range(1, 451))  # more than two publish batches
    with exclusive_broker():
        job_dispatch.run(99, ids)
        raw = redis.Redis.from_url(redis_broker()).lrange("celery", 0, -1)

    messages = [json.loads(item) for item in raw]
    assert {m["headers"]["task"] for m in messages} == {
        "generations.tasks.generation_generate"
    }
    args = sorted(tuple(json.loads(base64.b64decode(m["body"]))[0]) for m in messages)
    assert args == [(generation_id, 99) for generation_id in ids]
