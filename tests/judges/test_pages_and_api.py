"""The judge run pages and REST API: permissions, start and resume, progress, cancel."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from generations.models import ChatModel
from judges.models import Judge, Judgement, JudgeRun
from judges.services import templates
from tests.factories import EvaluationFactory
from tests.generations.conftest import stub_chat_model

from .conftest import build_evaluation, prefers_candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_annotators_never_reach_judges_pages_or_api(client, annotator, evaluation):
    client.force_login(annotator)
    assert client.get("/judges/runs/").status_code == 403
    assert client.get("/api/judge-runs/").status_code == 403
    assert b"/judges/runs/" not in client.get("/").content


def test_researchers_read_runs_but_cannot_start_or_cancel(
    client, researcher, evaluation, json_judge
):
    run = JudgeRun.objects.create(evaluation=evaluation, judge=json_judge)
    client.force_login(researcher)
    page = client.get("/judges/runs/")
    assert page.status_code == 200
    assert b'id="start-run"' not in page.content
    assert str(run).encode() in page.content
    post = {"evaluation": evaluation.pk, "judge": json_judge.pk}
    refused = client.post("/judges/runs/", post)
    assert refused.status_code == 403
    # The site's page, as every other refusal (it was the bare text alone).
    assert b'id="forbidden"' in refused.content
    assert b"You may not start judge runs." in refused.content
    assert client.get(f"/judges/runs/{run.pk}/").status_code == 200
    assert client.post(f"/judges/runs/{run.pk}/cancel/").status_code == 403
    assert client.post(f"/judges/runs/{run.pk}/resume/").status_code == 403
    api = APIClient()
    api.force_authenticate(researcher)
    assert api.get(f"/api/judge-runs/{run.pk}/").status_code == 200
    assert api.post("/api/judge-runs/", {}, format="json").status_code == 403
    run.refresh_from_db()
    assert run.status == "queued"


def test_admin_starts_a_run_from_the_page_and_reads_escaped_replies(
    client,
    admin_user,
    stub_server,
    eager_celery,
    evaluation,
    text_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = lambda body: "<script>alert(1)</script> [[A>]]"
    client.force_login(admin_user)
    page = client.get("/judges/runs/")
    assert b'id="start-run"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/judges/runs/",
            {"evaluation": evaluation.pk, "judge": text_judge.pk, "both_orders": "on"},
        )
    run = JudgeRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/judges/runs/{run.pk}/"
    assert run.both_orders
    assert run.created_by == admin_user
    detail = client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [[A&gt;]]" in detail
    assert "<script>alert(1)" not in detail
    assert detail.count("<td>Done</td>") == 6
    # Each row names the chat model shown first (each pair once each way), and the
    # header the template version the run's judgements used.
    candidate = evaluation.candidate.name
    baseline = evaluation.baseline.name
    assert detail.count(f"<td>{candidate}</td>") == 3
    assert detail.count(f"<td>{baseline}</td>") == 3
    assert f"template: {text_judge.template}" in detail
    assert 'id="resume-run"' in detail
    assert 'id="cancel-run"' not in detail  # finished
    progress = client.get(f"/judges/runs/{run.pk}/progress.json").json()
    assert progress["status"] == "finished"
    assert (progress["total"], progress["ended"], progress["counts"]["done"]) == (
        6,
        6,
        6,
    )
    # Started again from the page with the box unticked: the run keeps both
    # orders, and the page says so instead of a bare "0 judgements queued".
    again = client.post(
        "/judges/runs/", {"evaluation": evaluation.pk, "judge": text_judge.pk}
    )
    assert again["Location"] == f"/judges/runs/{run.pk}/"
    said = client.get(again["Location"]).content.decode()
    assert "0 judgements queued. It judges both orders, which a resume keeps." in said
    assert JudgeRun.objects.get().both_orders


def test_the_page_form_names_bad_fields(client, admin_user, evaluation):
    client.force_login(admin_user)
    response = client.post("/judges/runs/", {"evaluation": "x", "judge": ""})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"evaluation", "judge"}
    assert JudgeRun.objects.count() == 0


def test_cancel_and_resume_from_the_run_page(
    client,
    admin_user,
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    run = JudgeRun.objects.create(
        evaluation=evaluation, judge=json_judge, status="running"
    )
    client.force_login(admin_user)
    assert 'id="cancel-run"' in client.get(f"/judges/runs/{run.pk}/").content.decode()
    assert client.post(f"/judges/runs/{run.pk}/cancel/").status_code == 302
    run.refresh_from_db()
    assert run.status == "cancelled"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/judges/runs/{run.pk}/resume/").status_code == 302
    run.refresh_from_db()
    assert run.status == "finished"
    assert Judgement.objects.filter(run=run, status="done").count() == 3


def test_api_starts_resumes_and_reports_progress(
    api,
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    body = {"evaluation": evaluation.name, "judge": json_judge.name}
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/judge-runs/", body, format="json")
    assert created.status_code == 201
    data = created.json()
    assert (data["evaluation"], data["judge"]) == (evaluation.name, json_judge.name)
    assert data["template"] == "mt-bench-pairwise v1"
    assert data["both_orders"] is False
    run_id = data["id"]
    detail = api.get(f"/api/judge-runs/{run_id}/").json()
    assert detail["status"] == "finished"
    assert detail["progress"]["counts"]["done"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api.post(
            "/api/judge-runs/", {**body, "both_orders": True}, format="json"
        )
    assert resumed.status_code == 202
    assert resumed.json()["id"] == run_id
    assert resumed.json()["progress"]["total"] == 6
    listed = api.get("/api/judge-runs/").json()["results"]
    assert [row["id"] for row in listed] == [run_id]
    judgements = api.get(f"/api/judge-runs/{run_id}/judgements/").json()["results"]
    assert len(judgements) == 6
    assert {j["score"] for j in judgements} == {2}
    assert {j["status"] for j in judgements} == {"done"}
    assert judgements[0]["template"] == "mt-bench-pairwise v1"


def test_api_cancel_and_resume(
    api,
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    run = JudgeRun.objects.create(evaluation=evaluation, judge=json_judge)
    cancelled = api.post(f"/api/judge-runs/{run.pk}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api.post(f"/api/judge-runs/{run.pk}/resume/")
    assert resumed.status_code == 202
    run.refresh_from_db()
    assert run.status == "finished"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"judge": "stub json"}, "evaluation"),
        ({"evaluation": "judged"}, "judge"),
        ({"evaluation": "nope", "judge": "stub json"}, "evaluation"),
        ({"evaluation": "judged", "judge": "nope"}, "judge"),
        ({"evaluation": "jud\u0000ged", "judge": "stub json"}, "evaluation"),
        ({"evaluation": "judged", "judge": "x" * 5000}, "judge"),
        ({"evaluation": ["judged"], "judge": "stub json"}, "evaluation"),
        (
            {"evaluation": "judged", "judge": "stub json", "both_orders": "x"},
            "both_orders",
        ),
        ({"evaluation": "likert", "judge": "stub json"}, "evaluation"),
        ({"evaluation": "judged", "judge": "imported votes"}, "judge"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(
    api, evaluation, json_judge, body, field
):
    EvaluationFactory(
        name="likert", kind="single", scale="likert", candidate=None, baseline=None
    )
    Judge.objects.create(name="imported votes")
    response = api.post("/api/judge-runs/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert JudgeRun.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Give an evaluation's name or id: this field may not be blank."),
        (["a"], "Expected an evaluation's name or id, got list."),
        ({"x": 1}, "Expected an evaluation's name or id, got dict."),
    ],
)
def test_api_says_what_is_wrong_with_a_name(
    api, evaluation, json_judge, value, message
):
    body = {"evaluation": value, "judge": json_judge.name}
    response = api.post("/api/judge-runs/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"evaluation": [message]}


def test_api_and_page_say_503_when_the_judges_server_is_down(
    api, client, admin_user, evaluation
):
    down = ChatModel.objects.create(
        name="down", backend="openai", base_url="http://127.0.0.1:9/v1", model_id="m"
    )
    judge = templates.judge_create(name="down judge", chat_model=down)
    response = api.post(
        "/api/judge-runs/",
        {"evaluation": evaluation.name, "judge": judge.name},
        format="json",
    )
    assert response.status_code == 503
    assert "127.0.0.1:9" in response.json()["detail"]
    client.force_login(admin_user)
    page = client.post(
        "/judges/runs/", {"evaluation": evaluation.pk, "judge": judge.pk}
    )
    assert page.status_code == 503
    assert JudgeRun.objects.count() == 0


def test_a_run_of_another_evaluation_is_its_own(
    api, stub_server, eager_celery, json_judge, django_capture_on_commit_callbacks
):
    stub_server.state.reply = prefers_candidate
    first, second = build_evaluation("one", pairs=1), build_evaluation("two", pairs=2)
    with django_capture_on_commit_callbacks(execute=True):
        for evaluation in (first, second):
            body = {"evaluation": evaluation.name, "judge": json_judge.name}
            assert api.post("/api/judge-runs/", body, format="json").status_code == 201
    totals = {
        row["evaluation"]: row["progress"]["total"]
        for row in api.get("/api/judge-runs/").json()["results"]
    }
    assert totals == {"one": 1, "two": 2}


def test_api_refuses_a_field_it_does_not_take(api, evaluation, json_judge):
    body = {"evaluation": evaluation.name, "judge": json_judge.name, "orders": 2}
    response = api.post("/api/judge-runs/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["orders"]
    assert response.json()["orders"][0].startswith("unknown field; use both_orders,")
    assert not JudgeRun.objects.exists()


def test_a_running_run_can_queue_its_pending_judgements_again(
    client,
    admin_user,
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    """A worker that died (the demo's file broker can) lost a message: the run stayed
    running with a judgement pending for ever, and its page offered no way to queue
    it again, as the job page does (a new-user pass)."""
    stub_server.state.reply = prefers_candidate
    run = JudgeRun.objects.create(
        evaluation=evaluation, judge=json_judge, status="running"
    )
    client.force_login(admin_user)
    page = client.get(f"/judges/runs/{run.pk}/").content.decode()
    assert 'id="requeue-run"' in page
    assert "One being judged right now is not sent again" in page
    assert 'id="resume-run"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/judges/runs/{run.pk}/resume/").status_code == 302
    run.refresh_from_db()
    assert run.status == "finished"
    assert Judgement.objects.filter(run=run, status="done").count() == 3


def test_resume_after_the_chat_model_changed_is_a_400_and_the_page_names_the_runs(
    api,
    client,
    admin_user,
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    body = {"evaluation": evaluation.name, "judge": json_judge.name}
    with django_capture_on_commit_callbacks(execute=True):
        run_id = api.post("/api/judge-runs/", body, format="json").json()["id"]
    other = stub_chat_model(stub_server, name="another judge model")
    Judge.objects.filter(pk=json_judge.pk).update(chat_model=other)
    with django_capture_on_commit_callbacks(execute=True):
        refused = api.post(f"/api/judge-runs/{run_id}/resume/")
    assert refused.status_code == 400
    assert refused.json()["judge"][0].startswith(
        "the judge's chat model changed since this run started: start a new judge"
    )
    assert api.get(f"/api/judge-runs/{run_id}/").json()["chat_model"] == "stub"
    client.force_login(admin_user)
    page = client.get(f"/judges/runs/{run_id}/").content.decode()
    assert "judge: stub json (stub)" in page
    assert "another judge model" not in page
    assert stub_server.state.requests == 3


def test_a_cancelled_run_waits_for_no_retry(
    api, client, admin_user, evaluation, json_judge
):
    """A cancelled run's page still said "Waiting for the judge's server: next try
    at" a time long past, and its progress held that time (a new-user pass)."""
    run = JudgeRun.objects.create(
        evaluation=evaluation, judge=json_judge, status="running"
    )
    comparison = evaluation.comparisons.first()
    retry_at = timezone.now() - timedelta(minutes=5)
    Judgement.objects.create(
        judge=json_judge,
        comparison=comparison,
        run=run,
        candidate_on_left=True,
        scale=evaluation.scale,
        last_error="connection refused",
        next_attempt_at=retry_at,
    )
    client.force_login(admin_user)
    progress = api.get(f"/api/judge-runs/{run.pk}/").json()["progress"]
    assert progress["next_attempt_at"] == retry_at.isoformat()
    page = client.get(f"/judges/runs/{run.pk}/").content.decode()
    assert f'datetime="{retry_at.isoformat()}"' in page
    client.post(f"/judges/runs/{run.pk}/cancel/")
    progress = api.get(f"/api/judge-runs/{run.pk}/").json()["progress"]
    assert progress["next_attempt_at"] is None
    progress = client.get(f"/judges/runs/{run.pk}/progress.json").json()
    assert (progress["status"], progress["next_attempt_at"]) == ("cancelled", None)
    page = client.get(f"/judges/runs/{run.pk}/").content.decode()
    assert 'data-field="retry" hidden' in page
    assert 'datetime=""' in page


def test_a_judge_server_that_answered_since_its_last_error_is_not_waited_for(
    api, client, admin_user, evaluation, json_judge
):
    """After the judge's server came back, the run page said "Waiting for the judge's
    server: next try at" a time already past until the last retry ended: a retry a
    worker had claimed kept its next try, and one judged since did not count."""
    from judges.services import rows

    run = JudgeRun.objects.create(
        evaluation=evaluation, judge=json_judge, status="running"
    )
    failed_at = timezone.now() - timedelta(seconds=60)
    first, second, third = (
        Judgement.objects.create(
            judge=json_judge,
            comparison=comparison,
            run=run,
            candidate_on_left=True,
            scale=evaluation.scale,
            template=json_judge.template,
            attempts=1,
            last_error="connection refused",
            next_attempt_at=failed_at + timedelta(seconds=20),
        )
        for comparison in evaluation.comparisons.order_by("pk")[:3]
    )
    Judgement.objects.filter(run=run).update(updated_at=failed_at)
    url = f"/api/judge-runs/{run.pk}/"
    assert api.get(url).json()["progress"]["next_attempt_at"] is not None
    # A worker takes the first retry: its next try is now, not at a time past.
    assert rows.judgement_claim(
        judgement_id=first.pk, run_id=run.pk, now=timezone.now()
    )
    first.refresh_from_db()
    assert first.next_attempt_at is None
    # The server answers the second: the third's retry waits for a worker, not it.
    Judgement.objects.filter(pk=second.pk).update(
        status=Judgement.Status.DONE,
        choice=1,
        score=1,
        next_attempt_at=None,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    assert api.get(url).json()["progress"]["next_attempt_at"] is None
    client.force_login(admin_user)
    page = client.get(f"/judges/runs/{run.pk}/").content.decode()
    assert 'data-field="retry" hidden' in page
    assert third.status == Judgement.Status.PENDING
