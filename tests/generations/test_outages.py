"""Outages when a job starts: the broker or a chat model's server is down."""

import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from annotations import roles
from evalsite.celery import app as celery_app
from generations import tasks
from generations.models import ChatModel, Generation, GenerationJob
from generations.services import jobs, preflight
from tests.conftest import make_user
from tests.factories import PromptFactory, PromptSetFactory
from tests.support.worker import PROJECT_ROOT, worker_database_url

from .conftest import STUB_PORTS, free_port, stub_chat_model
from .test_worker_faults import start_worker  # noqa: F401 - a fixture


@pytest.fixture
def prompt_set(db):
    prompt_set = PromptSetFactory(name="set-a")
    PromptFactory(prompt_set=prompt_set, turns=[{"role": "user", "content": "Hi"}])
    return prompt_set


@contextmanager
def broker_at(url: str):
    """Point the Celery app's new connections (those the checks open) at ``url``."""
    saved = celery_app.conf.broker_url, celery_app.conf.broker_write_url
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = url
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_write_url = saved


def _dead_url() -> str:
    return f"redis://127.0.0.1:{free_port(*STUB_PORTS)}/0"


@pytest.fixture
def broker_down():
    with broker_at(_dead_url()):
        yield


def _job_form(prompt_set, *models) -> dict:
    return {
        "name": "j",
        "prompt_sets": [prompt_set.pk],
        "chat_models": [m.pk for m in models],
    }


def test_broker_down_refuses_on_page_api_and_command(
    client, admin_user, prompt_set, stub_server, broker_down
):
    chat_model = stub_chat_model(stub_server)
    client.force_login(admin_user)
    page = client.post(
        reverse("generations:job-new"), _job_form(prompt_set, chat_model)
    )
    assert page.status_code == 503
    assert "task broker is unavailable" in page.content.decode()

    api = APIClient()
    api.force_authenticate(admin_user)
    answer = api.post(
        "/api/jobs/",
        {"prompt_sets": ["set-a"], "chat_models": ["stub"]},
        format="json",
    )
    assert answer.status_code == 503
    assert "task broker is unavailable" in answer.json()["detail"]

    with pytest.raises(CommandError, match="task broker is unavailable"):
        call_command("generate", "--prompt-set=set-a", "--model=stub")
    assert not GenerationJob.objects.exists()  # refused before anything was saved


@pytest.mark.postgres
def test_generate_exits_non_zero_when_the_broker_is_down(transactional_db, stub_server):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    prompt_set = PromptSetFactory(name="set-c")
    PromptFactory(prompt_set=prompt_set)
    stub_chat_model(stub_server)
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": _dead_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    # --skip-checks: the system checks (tests/test_project_checks.py) import every
    # view, a second of CPU that this test of the broker does not need.
    command = ["generate", "--prompt-set=set-c", "--model=stub", "--skip-checks"]
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "CommandError: The task broker is unavailable" in result.stderr
    assert not GenerationJob.objects.exists()


def test_broker_down_refuses_resume(client, admin_user, prompt_set, stub_server):
    chat_model = stub_chat_model(stub_server)
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    client.force_login(admin_user)
    with broker_at(_dead_url()):
        page = client.post(reverse("generations:job-resume", args=[job.pk]))
        api = APIClient()
        api.force_authenticate(admin_user)
        answer = api.post(f"/api/jobs/{job.pk}/resume/")
    assert page.status_code == 503
    assert "task broker is unavailable" in page.content.decode()
    assert answer.status_code == 503
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.QUEUED


@pytest.mark.redis
def test_broker_check_follows_a_redis_it_started_and_stopped(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    port = free_port(*STUB_PORTS)
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 5
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        with broker_at(f"redis://127.0.0.1:{port}/0"):
            preflight.broker_check()  # up: passes
            server.terminate()
            server.wait(timeout=5)
            with pytest.raises(preflight.BrokerUnavailable):
                preflight.broker_check()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_publish_failing_after_commit_leaves_the_job_queued_and_resumable(
    stub_server, prompt_set, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_gone(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(preflight, "broker_check", lambda: None)
    monkeypatch.setattr(tasks.job_dispatch, "delay", broker_gone)
    chat_model = stub_chat_model(stub_server)
    with (
        pytest.raises(preflight.BrokerUnavailable, match="saved as queued"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        jobs.job_create_and_launch(prompt_sets=[prompt_set], chat_models=[chat_model])
    job = GenerationJob.objects.get()
    assert job.status == GenerationJob.Status.QUEUED  # not "running" with nothing sent

    published = []
    monkeypatch.setattr(tasks.job_dispatch, "delay", lambda *a: published.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.job_launch(job=job) == 1
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING
    assert len(published) == 1


def test_resume_with_nothing_left_needs_no_server(prompt_set):
    """A job whose generations are all done resumes (to finished) with its server
    down: it was refused with 503, as if something were to be sent."""
    dead = f"http://127.0.0.1:{free_port(*STUB_PORTS)}/v1"
    chat_model = ChatModel.objects.create(name="gone", base_url=dead)
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    Generation.objects.filter(jobs=job).update(status=Generation.Status.DONE)
    assert jobs.job_launch(job=job) == 0
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FINISHED
    # One generation left to redo: the server must answer again.
    first = Generation.objects.filter(jobs=job).order_by("pk").first()
    Generation.objects.filter(pk=first.pk).update(status=Generation.Status.FAILED)
    with pytest.raises(preflight.ServerUnreachable, match=f"chat model gone at {dead}"):
        jobs.job_launch(job=job)


def test_server_down_refuses_before_queueing(client, admin_user, prompt_set):
    dead = f"http://127.0.0.1:{free_port(*STUB_PORTS)}/v1"
    chat_model = ChatModel.objects.create(name="down", base_url=dead)
    with pytest.raises(preflight.ServerUnreachable, match=f"chat model down at {dead}"):
        jobs.job_create_and_launch(prompt_sets=[prompt_set], chat_models=[chat_model])

    api = APIClient()
    api.force_authenticate(admin_user)
    answer = api.post(
        "/api/jobs/",
        {"prompt_sets": ["set-a"], "chat_models": ["down"]},
        format="json",
    )
    assert answer.status_code == 503
    assert f"chat model down at {dead}" in answer.json()["detail"]

    client.force_login(admin_user)
    page = client.post(
        reverse("generations:job-new"), _job_form(prompt_set, chat_model)
    )
    assert page.status_code == 503
    assert f"chat model down at {dead}" in page.content.decode()

    with pytest.raises(CommandError, match=f"chat model down at {dead}"):
        call_command("generate", "--prompt-set=set-a", "--model=down")
    assert not GenerationJob.objects.exists()


def test_any_http_answer_counts_as_reachable(stub_server, prompt_set):
    stub_server.state.fail_500 = 5  # chat requests fail; the server still answers
    chat_model = stub_chat_model(stub_server, base_url=f"{stub_server.url}/missing")
    preflight.servers_check([chat_model])


@pytest.mark.redis
@pytest.mark.postgres
def test_a_server_that_stops_answering_shows_as_waiting_then_the_job_completes(
    start_worker,  # noqa: F811
    stub_server,
):
    prompt_set = PromptSetFactory(name="set-w")
    for i in range(3):
        PromptFactory(
            prompt_set=prompt_set, turns=[{"role": "user", "content": f"{i}"}]
        )
    chat_model = stub_chat_model(stub_server)
    job, _ = jobs.job_create_and_launch(
        prompt_sets=[prompt_set], chat_models=[chat_model]
    )
    stub_server.state.fail_500 = 10_000  # the server answers, but only with errors
    worker = start_worker(
        concurrency=2,
        EVALSITE_GENERATION_BACKOFF="0.5",
        EVALSITE_GENERATION_BACKOFF_MAX="1",
        EVALSITE_GENERATION_MAX_RETRIES="100",
    )
    admin = make_user("adm-w", roles.ADMIN)
    api = APIClient()
    api.force_authenticate(admin)
    deadline = time.monotonic() + 30
    while True:
        progress = api.get(f"/api/jobs/{job.pk}/").json()["progress"]
        waiting = progress["waiting"]
        if waiting and waiting[0]["attempts"] >= 2:
            break
        assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
        time.sleep(0.2)
    assert progress["status"] == "running"
    assert progress["eta_seconds"] is None
    (entry,) = waiting
    assert entry["server"] == stub_server.url
    assert entry["chat_models"] == ["stub"]
    assert "HTTP 500" in entry["last_error"]
    next_try = datetime.fromisoformat(entry["next_attempt_at"])
    assert abs((next_try - timezone.now()).total_seconds()) < 10  # backoff <= 1 s
    client = Client()  # the job page says it too
    client.force_login(admin)
    page = client.get(job.get_absolute_url()).content.decode()
    assert f"Waiting for {stub_server.url}" in page
    assert "HTTP 500" in page
    # A time to read without JavaScript (its script shows the local time).
    assert re.search(r'next try at <time datetime="[^"]+">\d\d:\d\d:\d\d UTC<', page)

    stub_server.state.fail_500 = 0  # back: the retries succeed
    deadline = time.monotonic() + 30
    while job.status != GenerationJob.Status.FINISHED:
        assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
        time.sleep(0.2)
        job.refresh_from_db()
    assert set(
        Generation.objects.filter(jobs=job).values_list("status", flat=True)
    ) == {"done"}
    assert api.get(f"/api/jobs/{job.pk}/").json()["progress"]["waiting"] == []


@pytest.mark.redis
@pytest.mark.postgres
def test_a_server_back_in_service_is_not_waited_for_while_its_retries_run(
    start_worker,  # noqa: F811
    stub_server,
):
    """After the server came back, the page said "Waiting for ..." (and no time left)
    until the last retry ended: a retry claimed by a worker kept its old error and its
    next try, now past, and the claim made it the newest error."""
    prompt_set = PromptSetFactory(name="set-back")
    for i in range(6):
        PromptFactory(
            prompt_set=prompt_set, turns=[{"role": "user", "content": f"{i}"}]
        )
    # One request at a time: a claimed retry waits for the slot, as on a busy server.
    chat_model = stub_chat_model(stub_server, max_concurrency=1)
    stub_server.state.latency = 0.3
    stub_server.state.fail_500 = 6  # every generation's first try fails
    job, _ = jobs.job_create_and_launch(
        prompt_sets=[prompt_set], chat_models=[chat_model]
    )
    worker = start_worker(
        concurrency=3,
        EVALSITE_GENERATION_BACKOFF="0.2",
        EVALSITE_GENERATION_BACKOFF_MAX="0.4",
        EVALSITE_GENERATION_MAX_RETRIES="20",
    )
    generations = Generation.objects.filter(jobs=job)
    seen_waiting, deadline = [], time.monotonic() + 90
    while job.status != GenerationJob.Status.FINISHED:
        assert time.monotonic() < deadline, worker.log_path.read_text()[-3000:]
        answered = generations.filter(status=Generation.Status.DONE).exists()
        waiting = jobs_progress_waiting(job)
        if answered:  # every error came before the first answer
            seen_waiting.append(bool(waiting))
        time.sleep(0.05)
        job.refresh_from_db()
    assert stub_server.state.fail_500 == 0
    assert seen_waiting, "the job ended before it was looked at"
    assert not any(seen_waiting)


def jobs_progress_waiting(job: GenerationJob) -> list[dict]:
    from generations.selectors import job_progress

    job.refresh_from_db()
    return job_progress(job=job).waiting
