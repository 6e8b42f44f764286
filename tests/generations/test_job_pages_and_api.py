"""Job pages and the REST API: permissions, starting, progress, cancel and resume."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from generations.models import ChatModel, GenerationJob
from generations.services import jobs
from tests.factories import PromptFactory, PromptSetFactory

from .conftest import stub_chat_model


@pytest.fixture
def prompt_set(db):
    prompt_set = PromptSetFactory(name="set-a")
    PromptFactory(prompt_set=prompt_set, turns=[{"role": "user", "content": "Hi"}])
    PromptFactory(
        prompt_set=prompt_set, turns=[{"role": "user", "content": "BAD-REQUEST"}]
    )
    return prompt_set


def test_annotators_cannot_see_jobs(client, annotator, prompt_set):
    client.force_login(annotator)
    assert client.get(reverse("generations:job-list")).status_code == 403
    assert client.get("/api/jobs/").status_code == 403
    assert client.get("/api/chat-models/").status_code == 403


def test_researchers_read_but_cannot_start_or_cancel(client, researcher, prompt_set):
    chat_model = ChatModel.objects.create(name="m", base_url="http://h:1/v1")
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    client.force_login(researcher)
    assert client.get(job.get_absolute_url()).status_code == 200
    assert client.get(reverse("generations:job-new")).status_code == 403
    cancel = reverse("generations:job-cancel", args=[job.pk])
    assert client.post(cancel).status_code == 403
    api = APIClient()
    api.force_authenticate(researcher)
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 200
    assert api.post("/api/jobs/", {}, format="json").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_admin_starts_a_job_from_the_page_and_sees_progress(
    client, admin_user, prompt_set, stub_server, eager_celery
):
    chat_model = stub_chat_model(stub_server, name="stub")
    client.force_login(admin_user)
    page = client.get(reverse("generations:job-new"))
    assert b"set-a" in page.content
    assert b"stub" in page.content
    response = client.post(
        reverse("generations:job-new"),
        {
            "name": "first",
            "prompt_sets": [prompt_set.pk],
            "chat_models": [chat_model.pk],
        },
    )
    job = GenerationJob.objects.get(name="first")
    assert response.url == job.get_absolute_url()
    assert job.status == "finished"
    progress = client.get(reverse("generations:job-progress", args=[job.pk])).json()
    assert progress["counts"]["done"] == 1
    assert progress["counts"]["failed"] == 1
    assert progress["ended"] == progress["total"] == 2
    assert "unsupported input" in progress["latest_errors"][0]["error"]
    detail = client.get(job.get_absolute_url())
    assert b"unsupported input" in detail.content
    assert b"resume-job" in detail.content

    client.post(reverse("generations:job-resume", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "finished"
    assert job.generations.get(prompt__turns__0__content="BAD-REQUEST").attempts == 2


@pytest.mark.django_db(transaction=True)
def test_api_registers_a_model_and_runs_a_job(
    admin_user, prompt_set, stub_server, eager_celery
):
    api = APIClient()
    api.force_authenticate(admin_user)
    created = api.post(
        "/api/chat-models/",
        {
            "name": "via-api",
            "base_url": stub_server.url,
            "model_id": "stub-model",
            "system_prompt_preset": "vicuna",
            "limits": "closed",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["context_limit"] == 2000
    assert created.json()["system_prompt"].startswith("A chat between")
    bad = api.post(
        "/api/chat-models/",
        {"name": "bad", "base_url": "ftp://x", "model_id": "m"},
        format="json",
    )
    assert bad.status_code == 400
    assert "base_url" in bad.json()

    started = api.post(
        "/api/jobs/",
        {"name": "api job", "prompt_sets": ["set-a"], "chat_models": ["via-api"]},
        format="json",
    )
    assert started.status_code == 201, started.content
    body = api.get(f"/api/jobs/{started.json()['id']}/").json()
    assert body["status"] == "finished"
    assert body["progress"]["counts"]["done"] == 1
    cancelled = api.post(f"/api/jobs/{body['id']}/cancel/")
    assert cancelled.json()["status"] == "finished"  # nothing to cancel any more


def test_cancel_stops_a_running_job(client, admin_user, prompt_set):
    chat_model = ChatModel.objects.create(name="m", base_url="http://h:1/v1")
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    jobs.job_start(job=job)
    client.force_login(admin_user)
    client.post(reverse("generations:job-cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert job.finished_at is not None


def test_a_running_job_offers_a_requeue_and_a_cancelled_one_waits_for_nothing(
    client, admin_user, prompt_set
):
    """A worker that lost its tasks (the demo's broker) left a job running with no
    button; a cancelled job still said it waited for a server (a new-user pass)."""
    from datetime import timedelta

    from django.utils import timezone

    from generations.models import Generation

    chat_model = ChatModel.objects.create(name="m", base_url="http://h:1/v1")
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    jobs.job_start(job=job)
    job.refresh_from_db()
    assert job.status == "running"
    Generation.objects.filter(jobs=job).update(
        attempts=2,
        last_error="HTTP 503",
        next_attempt_at=timezone.now() + timedelta(seconds=30),
    )
    client.force_login(admin_user)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="requeue-job"' in page
    # It said in-flight generations are "not sent twice"; a resume sends every one
    # not ended again (the claim skips done and filtered ones only).
    assert "may be sent a second time: only one result is kept" in page
    assert "Waiting for http://h:1/v1" in page
    client.post(reverse("generations:job-cancel", args=[job.pk]))
    progress = client.get(reverse("generations:job-progress", args=[job.pk])).json()
    assert progress["waiting"] == []
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for" not in page
    assert 'id="resume-job"' in page


def test_a_server_that_answered_since_its_last_error_is_not_waited_for(
    client, admin_user, prompt_set
):
    """After the server came back, the page said "Waiting for ..." for minutes,
    its next try in the past, while the retries completed one after another."""
    from datetime import timedelta

    from django.utils import timezone

    from generations.models import Generation

    chat_model = ChatModel.objects.create(name="m", base_url="http://h:1/v1")
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    jobs.job_start(job=job)
    failed_at = timezone.now() - timedelta(seconds=60)
    Generation.objects.filter(jobs=job).update(
        attempts=5,
        last_error="Connection refused",
        next_attempt_at=failed_at + timedelta(seconds=20),
        updated_at=failed_at,
    )
    client.force_login(admin_user)
    url = reverse("generations:job-progress", args=[job.pk])
    [waiting] = client.get(url).json()["waiting"]
    assert waiting["last_error"] == "Connection refused"
    first = Generation.objects.filter(jobs=job).order_by("pk").first()
    Generation.objects.filter(pk=first.pk).update(
        status=Generation.Status.DONE,
        next_attempt_at=None,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    assert client.get(url).json()["waiting"] == []
    assert "Waiting for" not in client.get(job.get_absolute_url()).content.decode()


def test_jobs_need_a_backend(prompt_set):
    imported = ChatModel.objects.create(name="imported", backend="imported")
    with pytest.raises(Exception, match="imported only"):
        jobs.job_create(prompt_sets=[prompt_set], chat_models=[imported])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("context_limit", 2**31),
        ("generation_limit", 99999999999999),
        ("max_concurrency", 99999999999),
        # Each of these once made every job of the model run forever, its worker
        # failing on the request (or, for "model", asking the server for another).
        ("max_concurrency", 0),
        ("request_timeout", -1),
        ("decoding", "notobj"),
        ("decoding", [1, 2]),
        ("decoding", {"model": "hijack", "seed": 1}),
        ("decoding", {"messages": []}),
        ("temperature", -3),  # accepted, and every job ran with it (a new-user pass)
        ("temperature", 1e308),
        ("tempreature", 0.7),  # a misspelt field was passed over in silence
        # Each of these was a server error: at once, or at every job start.
        ("base_url", "http://[::1"),
        ("base_url", "http://127.0.0.1:abc/v1"),
        ("base_url", "http://127.0.0.1:99999/v1"),
        ("base_url", "http://" + "a" * 70 + "/v1"),
        ("base_url", "http://a..b/v1"),
        ("base_url", "http://xn--zz/v1"),
        # Every request then went to ".../v1?x=1#f/chat/completions".
        ("base_url", "http://127.0.0.1:8923/v1?x=1#f"),
        ("decoding", {"stop": "\u0000"}),
    ],
)
def test_api_refuses_a_number_beyond_its_column_naming_the_field(
    admin_user, field, value
):
    """SQLite enforces no integer range: the model's validators do, everywhere."""
    api = APIClient()
    api.force_authenticate(admin_user)
    body = {"name": "big", "base_url": "http://127.0.0.1:9/v1", "model_id": "m"}
    response = api.post("/api/chat-models/", {**body, field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ChatModel.objects.filter(name="big").exists()


@pytest.mark.django_db
def test_api_names_a_missing_server_or_model_and_a_constraint_in_words(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    missing = api.post("/api/chat-models/", {"name": "m1"}, format="json")
    assert missing.status_code == 400  # was a 500
    assert set(missing.json()) == {"base_url", "model_id"}
    body = {"name": "m2", "base_url": "http://127.0.0.1:9/v1", "model_id": "m"}
    top_p = api.post("/api/chat-models/", {**body, "top_p": 5}, format="json")
    assert top_p.status_code == 400
    # Named on the field, not under "__all__" (a new-user pass).
    assert top_p.json() == {"top_p": ["top_p is above 0 and at most 1."]}
    limit = api.post(
        "/api/chat-models/",
        {**body, "limits": "custom", "context_limit": 0},
        format="json",
    )
    assert limit.status_code == 400
    assert list(limit.json()) == ["context_limit"]
    assert not ChatModel.objects.filter(name__in=["m1", "m2"]).exists()


@pytest.mark.django_db
def test_the_schema_says_cancel_and_resume_take_no_body(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    cancel = paths["/api/jobs/{id}/cancel/"]["post"]
    resume = paths["/api/jobs/{id}/resume/"]["post"]
    assert "requestBody" not in cancel
    assert "requestBody" not in resume
    # As it answers: 202, 404 for a job that is not there (the schema hook), 401
    # without credentials and 403 without the permission (evalsite.schema).
    assert set(resume["responses"]) == {"202", "401", "403", "404"}


@pytest.mark.django_db(transaction=True)
def test_an_unexpected_error_fails_the_generation_and_the_job_ends(
    prompt_set, stub_server, eager_celery, settings
):
    """A worker's error that no backend names (here a decoding stored before it was
    checked, which the request cannot merge) ended the task with its generation
    "running": its job never finished. Now it is retried, then failed with the
    error, and the job ends."""
    settings.EVALSITE_GENERATION_MAX_RETRIES = 1
    chat_model = stub_chat_model(stub_server, name="legacy")
    ChatModel.objects.filter(pk=chat_model.pk).update(decoding="notobj")
    job, _ = jobs.job_create_and_launch(
        prompt_sets=[prompt_set], chat_models=[chat_model]
    )
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FINISHED
    statuses = set(job.generations.values_list("status", flat=True))
    assert statuses == {"failed"}
    errors = list(job.generations.values_list("last_error", flat=True))
    assert all(error.startswith("unexpected error: TypeError(") for error in errors)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["DJANGO_SECRET_KEY", "DATABASE_URL", "openai_api_key", "API_KEY", "X Y"]
)
def test_a_model_s_api_key_variable_must_be_named_as_an_api_key(admin_user, name):
    """An admin could name any variable, and the workers would send its value to the
    model's server: the site's secret key or database URL to a server of theirs."""
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post(
        "/api/chat-models/",
        {
            "name": "m",
            "base_url": "http://example.test/v1",
            "model_id": "m",
            "api_key_env": name,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "_API_KEY" in str(response.json()["api_key_env"])
    assert not ChatModel.objects.exists()


@pytest.mark.django_db
def test_a_variable_stored_before_the_rule_is_never_read(monkeypatch):
    from generations.backends.base import PermanentBackendError
    from generations.services.execution import chat_connection

    monkeypatch.setenv("DJANGO_SECRET_KEY", "the-site-secret")
    chat_model = ChatModel.objects.create(
        name="old", base_url="http://example.test/v1", model_id="m"
    )
    ChatModel.objects.filter(pk=chat_model.pk).update(api_key_env="DJANGO_SECRET_KEY")
    chat_model.refresh_from_db()
    with pytest.raises(PermanentBackendError, match="only names ending in _API_KEY"):
        chat_connection(chat_model)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    ChatModel.objects.filter(pk=chat_model.pk).update(api_key_env="OPENAI_API_KEY")
    chat_model.refresh_from_db()
    assert chat_connection(chat_model).api_key == "sk-test"


@pytest.mark.django_db
def test_a_preset_chosen_in_a_form_fills_its_system_prompt_and_limits():
    """The admin's form (a ModelForm: the model's clean) saved the Llama 2 preset
    with an empty system prompt, and every request went out without one while the
    generations' records named the preset (a new-user pass in Chromium)."""
    from generations import presets

    chat_model = ChatModel(
        name="form-made", base_url="http://127.0.0.1:9/v1", model_id="m",
        system_prompt_preset="llama2", limits="closed",
    )  # fmt: skip
    chat_model.full_clean()
    assert chat_model.system_prompt == presets.SYSTEM_PROMPTS["llama2"]
    assert (chat_model.context_limit, chat_model.generation_limit) == (2000, 2000)
    # Values given that differ from the preset are still refused, naming the field.
    chat_model.system_prompt, chat_model.generation_limit = "Be brief.", 60
    with pytest.raises(ValidationError) as caught:
        chat_model.full_clean()
    assert "system_prompt" in caught.value.message_dict


def test_a_refused_job_form_is_a_400_as_the_api_s_is(client, admin_user, prompt_set):
    """A new-admin pass: the page answered a form with nothing chosen, or a
    prompt set that is gone, with 200 and the form again, where the API and the
    evaluation page answer 400."""
    client.force_login(admin_user)
    url = reverse("generations:job-new")
    assert client.get(url).status_code == 200
    empty = client.post(url, {"name": "j"})
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    gone = client.post(url, {"prompt_sets": [999_999], "chat_models": ["x"]})
    assert gone.status_code == 400
    assert not GenerationJob.objects.exists()


@pytest.mark.django_db
def test_the_api_names_what_it_could_not_find_in_words(admin_user, prompt_set):
    """A new-admin pass: a job or an evaluation naming a prompt set or a chat
    model that is not there was refused with DRF's "Object with name=nope does
    not exist."."""
    api = APIClient()
    api.force_authenticate(admin_user)
    job = api.post(
        "/api/jobs/",
        {"prompt_sets": ["nope"], "chat_models": ["gone"]},
        format="json",
    )
    assert job.status_code == 400
    assert job.json() == {
        "prompt_sets": ["No prompt set named 'nope'."],
        "chat_models": ["No chat model named 'gone'."],
    }
    evaluation = api.post(
        "/api/evaluations/",
        {"name": "e", "prompt_set": prompt_set.name, "candidate": "nope",
         "baseline": "gone"},
        format="json",
    )  # fmt: skip
    assert evaluation.status_code == 400
    assert evaluation.json()["candidate"] == ["No chat model named 'nope'."]
    assert not GenerationJob.objects.exists()
