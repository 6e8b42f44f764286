"""The report: shares by turn per chat model equal a hand count; page, CSV, figure
and API; parameters checked."""

import pytest
from rest_framework.test import APIClient

from annotations import roles
from consistency.models import ReplyJudgement
from consistency.report import consistency_report
from consistency.services import judging
from tests.conftest import make_user

from .answering import answer_for, hand_count
from .support import SECRET_MODELS, build_evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged():
    users = [make_user(f"j{i}", roles.ANNOTATOR) for i in range(3)]
    evaluation = build_evaluation(instructions=3, turns=3, annotators=users)
    given = []
    for index, user in enumerate(users):
        shown = judging.judgement_next(evaluation=evaluation, annotator=user)
        while shown is not None:
            reply = ReplyJudgement.objects.select_related(
                "reply__dialogue__chat_model", "reply__dialogue__instruction"
            ).get(pk=shown.judgement_id)
            key = (
                reply.reply.dialogue.chat_model.name,
                reply.reply.dialogue.instruction.external_id,
                reply.reply.turn,
            )
            answer = answer_for(index, key[1], key[2], key[0])
            given.append((*key, answer))
            shown = judging.judgement_answer(
                evaluation=evaluation,
                annotator=user,
                judgement_id=shown.judgement_id,
                answer=answer,
            ).next
    return evaluation, given


def test_shares_equal_a_hand_count(judged):
    evaluation, given = judged
    expected = hand_count(given, per_reply=3)
    report = consistency_report(evaluation=evaluation, resamples=200, seed=1)
    assert report.chat_models == SECRET_MODELS
    assert len(report.rows) == 2 * 3
    kinds = set()
    for row in report.rows:
        respecting, decided = expected[(row.chat_model, row.turn)]
        assert (row.respecting, row.respecting + row.not_respecting) == (
            respecting,
            decided,
        )
        assert row.share == (respecting / decided if decided else None)
        assert row.replies == row.complete == 3
        kinds |= {k for k in ("not_applicable", "no_majority") if getattr(row, k)}
        if row.share is not None:
            assert row.low <= row.share <= row.high
    assert kinds == {"not_applicable", "no_majority"}  # the pattern has both


def test_incomplete_replies_are_not_counted():
    users = [make_user(f"k{i}", roles.ANNOTATOR) for i in range(2)]
    evaluation = build_evaluation(instructions=1, turns=1, annotators=users)
    for user in users:  # two answers of three
        shown = judging.judgement_next(evaluation=evaluation, annotator=user)
        judging.judgement_answer(
            evaluation=evaluation,
            annotator=user,
            judgement_id=shown.judgement_id,
            answer="yes",
        )
    report = consistency_report(evaluation=evaluation, resamples=10)
    assert [(r.replies, r.complete, r.share) for r in report.rows] == [
        (1, 0, None),
        (1, 0, None),
    ]


def test_report_page_csv_figure_and_api(client, judged, researcher):
    evaluation, _ = judged
    client.force_login(researcher)
    page = client.get(f"/consistency/{evaluation.pk}/report/?resamples=50")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-table"' in html
    assert "secret-model-alpha" in html  # researchers see the models
    svg = client.get(f"/consistency/{evaluation.pk}/report.svg?resamples=50")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"secret-model-beta" in svg.content
    png = client.get(f"/consistency/{evaluation.pk}/report.png?resamples=50")
    assert png.content.startswith(b"\x89PNG")
    csv = client.get(f"/consistency/{evaluation.pk}/report.csv?resamples=50")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("chat_model,turn,replies,complete,respecting")
    assert len(lines) == 1 + 6
    api = APIClient()
    api.force_authenticate(researcher)
    body = api.get(
        f"/api/consistency/evaluations/{evaluation.pk}/report/?resamples=50&seed=4"
    ).json()
    assert (body["resamples"], body["seed"], body["annotators_per_reply"]) == (
        50,
        4,
        3,
    )
    report = consistency_report(evaluation=evaluation, resamples=50, seed=4)
    assert [row["share"] for row in body["rows"]] == [r.share for r in report.rows]
    assert [row["low"] for row in body["rows"]] == [r.low for r in report.rows]


@pytest.mark.parametrize(
    "query", ["resamples=0", "resamples=x", "seed=-1", "seed=1%00", "resamples=99999"]
)
def test_bad_report_parameters_are_400s(client, researcher, query):
    evaluation = build_evaluation(instructions=1, turns=1)
    client.force_login(researcher)
    assert (
        client.get(f"/consistency/{evaluation.pk}/report/?{query}").status_code == 400
    )
    api = APIClient()
    api.force_authenticate(researcher)
    url = f"/api/consistency/evaluations/{evaluation.pk}/report/?{query}"
    assert api.get(url).status_code == 400


def test_api_refuses_a_parameter_it_does_not_take(researcher):
    """A misspelt option (``resample``) left the default in force without a word,
    where the reports API refuses it (a new-user pass)."""
    evaluation = build_evaluation(instructions=1, turns=1)
    api = APIClient()
    api.force_authenticate(researcher)
    url = f"/api/consistency/evaluations/{evaluation.pk}/report/"
    refused = api.get(url, {"resample": 50, "foo": 1})
    assert refused.status_code == 400
    assert sorted(refused.json()) == ["foo", "resample"]
    assert "use resamples, seed" in refused.json()["resample"][0]
    assert api.get(url, {"resamples": 50, "format": "json"}).status_code == 200


def test_annotators_cannot_read_the_report(client, annotator):
    evaluation = build_evaluation(instructions=1, turns=1, annotators=[annotator])
    client.force_login(annotator)
    assert client.get(f"/consistency/{evaluation.pk}/report/").status_code == 403
    assert client.get(f"/consistency/{evaluation.pk}/").status_code == 403
