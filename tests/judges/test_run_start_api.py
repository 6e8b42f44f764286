"""Starting a judge run over the API as a client scripting it from the schema does:
the evaluation by name or id, as the reports take it, and a ``both_orders`` that
would narrow a run refused rather than passed over."""

import pytest
from rest_framework.test import APIClient

from judges.models import JudgeRun

from .conftest import prefers_candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_false_for_a_run_with_both_orders_is_refused_naming_both_orders(
    api, stub_server, eager_celery, evaluation, json_judge,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """It answered 202 with both_orders true, as if the false had been heard."""
    stub_server.state.reply = prefers_candidate
    run = JudgeRun.objects.create(
        evaluation=evaluation, judge=json_judge, both_orders=True
    )
    body = {"evaluation": evaluation.name, "judge": json_judge.name}
    refused = api.post("/api/judge-runs/", {**body, "both_orders": False}, "json")
    assert refused.status_code == 400, refused.content
    assert list(refused.json()) == ["both_orders"]
    assert not run.judgements.exists()
    # Left out, a resume keeps the run's orders.
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api.post("/api/judge-runs/", body, format="json")
    assert resumed.status_code == 202, resumed.content
    assert resumed.json()["both_orders"] is True
    assert resumed.json()["progress"]["total"] == 6


@pytest.mark.parametrize("as_text", [True, False])
def test_the_evaluation_may_be_given_by_its_id(
    api, stub_server, eager_celery, evaluation, json_judge,
    django_capture_on_commit_callbacks, as_text,
):  # fmt: skip
    """``{"evaluation": "7"}`` was "Object with name=7 does not exist."."""
    stub_server.state.reply = prefers_candidate
    pk = str(evaluation.pk) if as_text else evaluation.pk
    body = {"evaluation": pk, "judge": json_judge.name}
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/judge-runs/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["evaluation"] == evaluation.name


def test_an_unknown_evaluation_is_named_by_name_or_id(api, evaluation, json_judge):
    body = {"evaluation": str(evaluation.pk + 1000), "judge": json_judge.name}
    response = api.post("/api/judge-runs/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "evaluation": [f"No evaluation named or with the id '{evaluation.pk + 1000}'."]
    }
    assert not JudgeRun.objects.exists()
