"""The consistency pages by role: list, detail, start, upload; the nav link."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from consistency.models import Dialogue

from .support import build_evaluation

pytestmark = pytest.mark.django_db


def test_researcher_reads_admin_starts(client, researcher, admin_user, annotator):
    evaluation = build_evaluation(instructions=2, turns=1, annotators=[annotator])
    Dialogue.objects.filter(evaluation=evaluation).update(
        status="stopped_at_context", note="stopped before turn 2: over"
    )
    client.force_login(researcher)
    listing = client.get("/consistency/").content.decode()
    assert evaluation.name in listing
    assert 'href="/consistency/"' in listing  # the nav link
    detail = client.get(f"/consistency/{evaluation.pk}/")
    html = detail.content.decode()
    assert "Stopped at the context limit: 2" in html  # the label, not the code
    assert "stopped_at_context" not in html
    assert "stopped before turn 2: over" in html
    assert "0 of 4 replies judged by all 3 annotators" in html
    assert "Start (or resume)" not in html
    assert client.post(f"/consistency/{evaluation.pk}/start/").status_code == 403
    assert client.get("/consistency/upload/").status_code == 403

    client.force_login(admin_user)
    assert (
        "Start (or resume)"
        in client.get(f"/consistency/{evaluation.pk}/").content.decode()
    )
    assert client.get("/consistency/upload/").status_code == 200


def test_only_the_pool_is_offered_judge_replies(client, researcher, annotator):
    """A new-user pass: the list and the evaluation's page offered every researcher
    Judge replies, a link to "Not allowed: you are not in this evaluation's annotator
    pool"; they get the report, the pool's annotators the judging page."""
    evaluation = build_evaluation(instructions=1, turns=1, annotators=[annotator])
    judge_url = f"/consistency/{evaluation.pk}/judge/"
    client.force_login(researcher)
    assert client.get(judge_url).status_code == 403
    for page in ("/consistency/", f"/consistency/{evaluation.pk}/"):
        html = client.get(page).content.decode()
        assert judge_url not in html, page
        assert f"/consistency/{evaluation.pk}/report/" in html, page
    evaluation.annotators.add(researcher)
    for page in ("/consistency/", f"/consistency/{evaluation.pk}/"):
        assert judge_url in client.get(page).content.decode(), page


def test_dialogues_waiting_for_their_server_show_its_error(client, researcher):
    """A server that cannot be reached left dialogues "Queued" with nothing said;
    their last error is in their note, and the page shows it."""
    evaluation = build_evaluation(instructions=1, turns=1)
    error = "connection error: ConnectError('[Errno 111] Connection refused')"
    Dialogue.objects.filter(evaluation=evaluation).update(
        status="queued", attempts=4, note=error
    )
    client.force_login(researcher)
    html = client.get(f"/consistency/{evaluation.pk}/").content.decode()
    assert "Waiting for the server" in html
    assert "4 attempts; tried again" in html
    assert "Connection refused" in html


def test_annotator_sees_only_their_pools(client, annotator):
    mine = build_evaluation(
        name="mine", instructions=1, turns=1, annotators=[annotator]
    )
    build_evaluation(name="theirs", instructions=1, turns=1, models=("x", "y"))
    client.force_login(annotator)
    html = client.get("/consistency/").content.decode()
    assert f"/consistency/{mine.pk}/judge/" in html
    assert "theirs" not in html
    # Never the name, which often names the models (a new-user pass read "GAtt-
    # llama2-70b vs no-GAtt" as an annotator): as the pairwise pages say it.
    assert "mine" not in html
    assert f"Consistency evaluation {mine.pk}" in html
    # Annotators in a pool find it from their home (the nav's link is for those who
    # oversee consistency: every annotator saw it, leading to an empty page).
    assert 'href="/consistency/"' in client.get("/").content.decode()


@override_settings(EVALSITE_MAX_UPLOAD_BYTES=10)
def test_api_upload_over_the_size_limit_is_a_400(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post(
        "/api/consistency/imports/",
        {"evaluation": "big", "file": SimpleUploadedFile("a.jsonl", b"x" * 100)},
        format="multipart",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (None, "file")
    assert "size limit" in error["message"]


def test_an_annotator_in_no_pool_of_theirs_has_no_such_links(client, annotator):
    """A new-user pass: every annotator saw Write prompts and Consistency, leading to
    "You are in no authoring pool" and "No consistency evaluations yet"."""
    client.force_login(annotator)
    html = client.get("/").content.decode()
    assert 'href="/consistency/"' not in html
    assert 'href="/authoring/"' not in html
