"""Starting the same judge run from many clients at once on PostgreSQL: one run, and
exactly one caller told it created it (a new-user pass saw two 201s for one run)."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from judges.models import Judgement, JudgeRun

from .conftest import build_evaluation, prefers_candidate

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8


def test_racing_starts_make_one_run_and_one_201(
    require_postgres, admin_user, stub_server, eager_celery, json_judge
):
    stub_server.state.reply = prefers_candidate
    evaluation = build_evaluation(pairs=2)
    body = {"evaluation": evaluation.name, "judge": json_judge.name}
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[int, int]] = []

    def client() -> None:
        api = APIClient()
        api.force_authenticate(admin_user)
        try:
            start.wait()
            response = api.post("/api/judge-runs/", body, format="json")
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [run] = JudgeRun.objects.all()
    assert Counter(answers) == {(201, run.pk): 1, (202, run.pk): CLIENTS - 1}
    assert Judgement.objects.filter(run=run).count() == 2


def test_racing_starts_send_each_judgement_once(
    require_postgres, admin_user, stub_server, eager_celery, json_judge
):
    """Each start queues the run's open judgements; one in flight was claimed and
    sent again by the others (attempts 2, two requests): now it is sent once."""
    stub_server.state.reply = prefers_candidate
    stub_server.state.latency = 0.3
    evaluation = build_evaluation(pairs=3)
    body = {"evaluation": evaluation.name, "judge": json_judge.name}
    start = threading.Barrier(CLIENTS)
    statuses: list[int] = []

    def client() -> None:
        api = APIClient()
        api.force_authenticate(admin_user)
        try:
            start.wait()
            statuses.append(
                api.post("/api/judge-runs/", body, format="json").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [202] * (CLIENTS - 1)
    judgements = Judgement.objects.all()
    assert [(j.status, j.attempts) for j in judgements] == [("done", 1)] * 3
    assert stub_server.state.requests == 3
    assert JudgeRun.objects.get().status == "finished"
