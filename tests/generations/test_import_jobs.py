"""Background imports without a worker: the task's service is called directly."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from generations.models import ImportJob, Prompt, PromptSet
from generations.services import import_jobs
from generations.services.import_jobs import RUNNERS, import_job_run
from generations.services.preflight import BrokerUnavailable
from tests.conftest import make_user

GOOD = b"".join(
    json.dumps({"id": str(i), "prompt": f"Question {i}?", "category": "c"}).encode()
    + b"\n"
    for i in range(30)
)
BAD = GOOD + b'{"id": "x"}\n{"id": "y", "prompt": "", "category": "c"}\n'


@pytest.fixture
def small_threshold(settings):
    settings.EVALSITE_BACKGROUND_IMPORT_BYTES = 100


def _upload(client, data: bytes, name: str = "p.jsonl"):
    return client.post(
        "/api/imports/prompts/",
        {"prompt_set": "big", "file": SimpleUploadedFile(name, data)},
    )


def test_every_app_registers_its_import_kinds():
    assert set(RUNNERS) == {"prompts", "generations", "ratings"}


@pytest.mark.django_db
def test_a_large_api_upload_is_queued_then_imported(
    client, admin_user, small_threshold
):
    client.force_login(admin_user)
    response = _upload(client, GOOD)
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["status_url"]
    assert body["state"] == "queued"
    assert Prompt.objects.count() == 0  # nothing before the task runs

    queued = client.get(body["status_url"]).json()
    assert (queued["state"], queued["stage"], queued["percent"]) == (
        "queued",
        "stored",
        0,
    )
    assert queued["records_total"] == 30
    job = ImportJob.objects.get()
    assert job.options == {"prompt_set": "big"}
    assert job.file.storage.exists(job.file.name)

    assert import_job_run(job_id=body["id"]) == "done", ImportJob.objects.get().errors
    done = client.get(body["status_url"]).json()
    assert (done["state"], done["percent"], done["records_read"]) == ("done", 100, 30)
    assert done["result"] == {"created": 30, "unchanged": 0, "prompt_set": "big"}
    assert Prompt.objects.filter(prompt_set__name="big").count() == 30
    job.refresh_from_db()
    assert not job.file  # the stored upload is deleted once imported
    assert import_job_run(job_id=body["id"]) == "done"  # a redelivery changes nothing
    assert Prompt.objects.count() == 30


@pytest.mark.django_db
def test_a_bad_large_upload_fails_with_lines_and_fields(
    client, admin_user, small_threshold
):
    client.force_login(admin_user)
    body = _upload(client, BAD).json()
    assert import_job_run(job_id=body["id"]) == "failed"
    status = client.get(body["status_url"]).json()
    assert status["state"] == "failed"
    assert status["result"] is None
    assert status["errors"] == [
        {
            "line": 31,
            "field": "turns",
            "message": "required field is missing (or give 'prompt')",
        },
        {"line": 32, "field": "prompt", "message": "must not be empty"},
    ]
    assert not PromptSet.objects.exists()


@pytest.mark.django_db
def test_small_uploads_are_imported_in_the_request(client, admin_user, settings):
    settings.EVALSITE_BACKGROUND_IMPORT_BYTES = len(GOOD)
    client.force_login(admin_user)
    response = _upload(client, GOOD)
    assert response.status_code == 201
    assert response.json()["created"] == 30
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_without_a_broker_large_uploads_are_imported_in_the_request(
    client, admin_user, small_threshold, monkeypatch
):
    def broker_down():
        raise BrokerUnavailable("down")

    monkeypatch.setattr(import_jobs, "broker_check", broker_down)
    client.force_login(admin_user)
    response = _upload(client, GOOD)
    assert response.status_code == 201
    assert response.json()["created"] == 30
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_the_uploader_and_those_who_read_every_record_see_an_import(
    client, admin_user, small_threshold
):
    client.force_login(admin_user)
    url = _upload(client, GOOD).json()["status_url"]
    # Researchers and admins read every record (the admin's import jobs too).
    for role in ("researcher", "admin"):
        client.force_login(make_user(f"other-{role}", role))
        assert client.get(url).status_code == 200
    client.force_login(make_user("ann-x", "annotator"))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_large_admin_upload_shows_the_progress_page(
    client, admin_user, small_threshold
):
    client.force_login(admin_user)
    response = client.post(
        "/admin/generations/promptset/upload-prompts/",
        {"prompt_set": "big", "file": SimpleUploadedFile("p.jsonl", GOOD)},
    )
    assert response.status_code == 200
    job = ImportJob.objects.get()
    page = response.content.decode()
    assert f'data-url="/api/imports/jobs/{job.pk}/"' in page
    assert "<progress" in page
    assert "evalsite/import_progress.js" in page


@pytest.mark.django_db
def test_the_command_shows_a_progress_bar_when_asked(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(GOOD)
    bar, out = io.StringIO(), io.StringIO()
    call_command(
        "import_prompts",
        str(path),
        prompt_set="s",
        progress_bar="always",
        stdout=out,
        stderr=bar,
    )
    assert "30 created" in out.getvalue()
    assert "done: 100%" in bar.getvalue()
    assert "30/30" in bar.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_the_command_shows_a_progress_bar_on_a_terminal(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(GOOD)
    bar = Terminal()
    call_command(
        "import_prompts", str(path), prompt_set="s", stdout=io.StringIO(), stderr=bar
    )
    assert "\r" in bar.getvalue()  # redrawn in place
    assert "done: 100%" in bar.getvalue()


@pytest.mark.django_db
def test_the_command_shows_no_bar_off_a_terminal(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(GOOD)
    bar = io.StringIO()
    call_command(
        "import_prompts", str(path), prompt_set="s", stdout=io.StringIO(), stderr=bar
    )
    assert bar.getvalue() == ""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outcome", ["done", "failed"])
def test_the_records_read_are_seen_while_the_import_runs_and_kept_if_it_fails(
    monkeypatch, outcome
):
    """A service reports the records read from inside its one transaction: a write
    to the job's row there was unseen until it committed, and lost with a refused
    file (the status said 0 records read; a new-user pass). Another connection
    (a web process polling) now sees the count while the import runs."""
    import threading

    from django.db import connection, transaction

    from evalsite.imports.reader import ImportFileError, ImportResult, LineError

    seen = {}

    def look(job_id):
        seen["status"] = import_jobs.import_job_status(ImportJob.objects.get(pk=job_id))
        connection.close()

    def runner(*, options, file_name, file, uploaded_by, progress):
        with transaction.atomic(durable=True):
            Prompt.objects.none().exists()  # the import's own work, elided
            progress(12_000)
            poll = threading.Thread(target=look, args=(job.pk,))
            poll.start()
            poll.join()
            if outcome == "failed":
                raise ImportFileError([LineError(12_345, "id", "bad")])
            return ImportResult(created=20_000)

    monkeypatch.setitem(RUNNERS, "test", runner)
    job = ImportJob(kind="test", file_name="p.jsonl", records_total=25_000)
    job.file.save("p.jsonl", io.BytesIO(b"{}\n"), save=False)
    job.save()
    assert import_job_run(job_id=job.pk) == outcome
    running = seen["status"]
    assert (running.state, running.records_read) == ("running", 12_000)
    assert running.percent == 10 + round(85 * 12_000 / 25_000)
    job.refresh_from_db()
    assert job.records_read == (20_000 if outcome == "done" else 12_000)


@pytest.mark.django_db
def test_an_api_upload_over_the_size_limit_is_refused_before_it_is_queued(
    client, admin_user, small_threshold, settings
):
    """It was queued (202), stored, and failed later in the worker."""
    settings.EVALSITE_MAX_UPLOAD_BYTES = len(GOOD) - 1
    client.force_login(admin_user)
    response = _upload(client, GOOD)
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["field"] == "file"
    assert "size limit" in error["message"]
    assert not ImportJob.objects.exists()
    assert Prompt.objects.count() == 0
