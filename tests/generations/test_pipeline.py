"""Jobs and generation tasks end to end in one process (eager Celery, stub server)."""

import pytest
from django.core.exceptions import ValidationError

from generations import presets, tasks
from generations.models import ChatModel, Generation, GenerationJob
from generations.services import jobs
from generations.tasks import generation_generate
from tests.factories import PromptFactory, PromptSetFactory

from .conftest import stub_chat_model
from .test_backends import serve_page

pytestmark = pytest.mark.django_db


def _user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def prompt_set():
    prompt_set = PromptSetFactory(name="mixed")
    PromptFactory(prompt_set=prompt_set, external_id="short", turns=_user("Hi there"))
    PromptFactory(
        prompt_set=prompt_set,
        external_id="multi",
        turns=[
            {"role": "user", "content": "Name a fruit"},
            {"role": "assistant", "content": "Apple"},
            {"role": "user", "content": "Another one"},
        ],
        categories=["dialogue"],
    )
    PromptFactory(prompt_set=prompt_set, external_id="long", turns=_user("w " * 1200))
    PromptFactory(prompt_set=prompt_set, external_id="bad", turns=_user("BAD-REQUEST"))
    PromptFactory(prompt_set=prompt_set, external_id="ctx", turns=_user("TOO-LONG"))
    return prompt_set


def _run(prompt_set, chat_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.job_create_and_launch(
            prompt_sets=[prompt_set], chat_models=[chat_model]
        )
    job.refresh_from_db()
    return job, {g.prompt.external_id: g for g in Generation.objects.filter(jobs=job)}


def test_job_generates_filters_and_fails_as_expected(
    stub_server, eager_celery, prompt_set, django_capture_on_commit_callbacks
):
    chat_model = stub_chat_model(
        stub_server,
        system_prompt_preset="llama2",
        system_prompt=presets.LLAMA2_SYSTEM_PROMPT,
    )
    job, by_id = _run(prompt_set, chat_model, django_capture_on_commit_callbacks)

    assert job.status == GenerationJob.Status.FINISHED
    statuses = {key: g.status for key, g in by_id.items()}
    assert statuses == {
        "short": "done",
        "multi": "done",
        "long": "filtered",
        "bad": "failed",
        "ctx": "filtered",
    }
    short = by_id["short"]
    assert short.text == "Answer to Hi there"
    assert short.finish_reason == "stop"
    assert short.backend_model_id == "stub-model"
    assert short.latency_seconds > 0
    assert short.request["messages"][0] == {
        "role": "system",
        "content": presets.LLAMA2_SYSTEM_PROMPT,
    }
    assert short.request["max_tokens"] == 1000
    assert short.request["context_limit"] == 1000
    assert short.request["temperature"] == 0.0
    assert short.request["counted_prompt_tokens"] == short.prompt_tokens
    assert (
        by_id["multi"].request["messages"][-3:]
        == prompt_set.prompts.get(external_id="multi").turns
    )
    assert by_id["long"].prompt_tokens > 1000
    assert "exceed the context limit of 1000" in by_id["long"].last_error
    assert "context size" in by_id["ctx"].last_error
    assert "unsupported input" in by_id["bad"].last_error
    # Filtered prompts were never sent; the context one was sent once and refused.
    assert "w " * 10 not in "".join(stub_server.state.completed)


def test_done_generation_is_never_generated_again(
    stub_server, eager_celery, prompt_set, django_capture_on_commit_callbacks
):
    chat_model = stub_chat_model(stub_server)
    _, by_id = _run(prompt_set, chat_model, django_capture_on_commit_callbacks)
    before = stub_server.state.requests
    assert generation_generate.delay(by_id["short"].pk).get() == "skipped"
    assert stub_server.state.requests == before
    assert Generation.objects.get(pk=by_id["short"].pk).attempts == 1


def test_transient_errors_are_retried_until_success(
    stub_server, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.EVALSITE_GENERATION_BACKOFF = 0.01
    prompt_set = PromptSetFactory()
    PromptFactory(prompt_set=prompt_set, turns=_user("Retry me"))
    stub_server.state.fail_500 = 2
    stub_server.state.hang, stub_server.state.hang_seconds = 1, 1.5
    chat_model = stub_chat_model(stub_server, request_timeout=0.5)
    job, by_id = _run(prompt_set, chat_model, django_capture_on_commit_callbacks)
    generation = next(iter(by_id.values()))
    assert generation.status == "done"
    assert generation.attempts == 4
    assert job.status == "finished"


def test_transient_errors_end_as_failed_after_the_last_retry(
    stub_server, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.EVALSITE_GENERATION_MAX_RETRIES = 2
    prompt_set = PromptSetFactory()
    PromptFactory(prompt_set=prompt_set, turns=_user("Never works"))
    stub_server.state.fail_500 = 100
    chat_model = stub_chat_model(stub_server)
    job, by_id = _run(prompt_set, chat_model, django_capture_on_commit_callbacks)
    generation = next(iter(by_id.values()))
    assert generation.status == "failed"
    assert generation.attempts == 3
    assert "HTTP 500" in generation.last_error
    assert job.status == "finished"


def test_missing_api_key_fails_permanently(
    stub_server, eager_celery, prompt_set, django_capture_on_commit_callbacks
):
    chat_model = stub_chat_model(
        stub_server, api_key_env="EVALSITE_TEST_NO_SUCH_API_KEY"
    )
    _, by_id = _run(prompt_set, chat_model, django_capture_on_commit_callbacks)
    assert {g.status for g in by_id.values()} == {"failed"}
    assert "EVALSITE_TEST_NO_SUCH_API_KEY" in by_id["short"].last_error
    assert stub_server.state.requests == 0


def test_a_reply_without_content_fails_at_once(
    stub_server, eager_celery, django_capture_on_commit_callbacks
):
    """It was stored as done with an empty text (a new-user pass)."""
    prompt_set = PromptSetFactory()
    PromptFactory(prompt_set=prompt_set, turns=_user("Hi there"))
    stub_server.state.reply = lambda body: None
    job, by_id = _run(
        prompt_set, stub_chat_model(stub_server), django_capture_on_commit_callbacks
    )
    generation = next(iter(by_id.values()))
    assert (generation.status, generation.text, generation.attempts) == (
        "failed",
        "",
        1,
    )
    assert "the server returned no content" in generation.last_error
    assert job.status == "finished"


def test_a_page_from_the_token_counter_fails_at_once(
    stub_server, eager_celery, django_capture_on_commit_callbacks
):
    """It was retried 8 times over 20 minutes as an unexpected error."""
    prompt_set = PromptSetFactory()
    PromptFactory(prompt_set=prompt_set, turns=_user("Hi there"))
    serve_page(stub_server, "/apply-template")
    chat_model = stub_chat_model(stub_server, tokenizer="backend")
    _, by_id = _run(prompt_set, chat_model, django_capture_on_commit_callbacks)
    generation = next(iter(by_id.values()))
    assert (generation.status, generation.attempts) == ("failed", 1)
    assert "/apply-template answered with something other than JSON" in (
        generation.last_error
    )
    assert stub_server.state.requests == 0  # never sent for a completion


def test_cancelled_job_skips_and_resume_redoes_only_what_is_not_done(
    stub_server, eager_celery, prompt_set, django_capture_on_commit_callbacks
):
    chat_model = stub_chat_model(stub_server)
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    ids = jobs.job_start(job=job)
    jobs.job_cancel(job=job)
    assert generation_generate.delay(ids[0], job.pk).get() == "skipped"
    assert Generation.objects.get(pk=ids[0]).status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_launch(job=job)
    job.refresh_from_db()
    assert job.status == "finished"
    sent = stub_server.state.requests
    with django_capture_on_commit_callbacks(execute=True):
        queued = jobs.job_launch(job=job)  # resume: only the failed one is redone
    assert queued == 1
    assert stub_server.state.requests == sent + 1
    bad = Generation.objects.get(prompt__external_id="bad", chat_model=chat_model)
    assert (bad.status, bad.attempts) == ("failed", 2)


def test_job_reuses_existing_generations(stub_server, prompt_set):
    chat_model = stub_chat_model(stub_server)
    first = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    second = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    assert Generation.objects.filter(chat_model=chat_model).count() == 5
    assert second.generations.count() == first.generations.count() == 5


def test_creating_and_launching_a_job_is_one_transaction_published_on_commit(
    stub_server, prompt_set, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(
        tasks.job_dispatch, "delay", lambda *args: published.append(args)
    )
    chat_model = stub_chat_model(stub_server)
    imported = ChatModel.objects.create(name="imported", backend="imported")

    with django_capture_on_commit_callbacks() as callbacks:
        job, queued = jobs.job_create_and_launch(
            prompt_sets=[prompt_set], chat_models=[chat_model]
        )
        assert published == []  # nothing before the commit
    for callback in callbacks:
        callback()
    ids = sorted(job.generations.values_list("id", flat=True))
    assert (queued, published) == (5, [(job.pk, ids)])
    assert job.status == GenerationJob.Status.RUNNING

    with pytest.raises(ValidationError, match="imported only"):
        jobs.job_create_and_launch(prompt_sets=[prompt_set], chat_models=[imported])
    assert GenerationJob.objects.count() == 1
