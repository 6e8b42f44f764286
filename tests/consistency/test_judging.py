"""Annotators judging replies: the page, the API, leases, and exactly N under a race."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from annotations import roles
from consistency.models import ReplyJudgement
from consistency.services import judging
from tests.conftest import make_user

from .support import SECRET_MODELS, build_evaluation

pytestmark = pytest.mark.django_db


def _users(count, prefix="judge"):
    return [make_user(f"{prefix}{i}", roles.ANNOTATOR) for i in range(count)]


def test_page_shows_instruction_dialogue_and_reply_but_no_model(client):
    (user,) = _users(1)
    evaluation = build_evaluation(
        instructions=1, turns=3, annotators=[user], per_reply=1
    )
    client.force_login(user)
    seen_turns = []
    response = client.get(f"/consistency/{evaluation.pk}/judge/")
    for _ in range(6):
        html = response.content.decode()
        assert response.status_code == 200
        assert not any(name in html for name in SECRET_MODELS)
        assert "Always answer in haiku (0)." in html
        judgement = ReplyJudgement.objects.get(annotator=user, state="leased")
        turn = judgement.reply.turn
        seen_turns.append(turn)
        # The dialogue before this turn is shown: each earlier reply.
        for earlier in range(1, turn):
            assert f"Reply 0.{earlier} of a model" in html
        assert f"Reply 0.{turn} of a model" in html
        assert 'data-key="y"' in html
        assert 'data-key="a"' in html
        # One request stores the answer and serves the next reply.
        response = client.post(
            f"/consistency/{evaluation.pk}/judge/",
            {"judgement": judgement.pk, "answer": "yes"},
        )
        if len(seen_turns) == 6:
            break
    assert sorted(seen_turns) == [1, 1, 2, 2, 3, 3]
    assert "Nothing left to judge" in response.content.decode()
    assert ReplyJudgement.objects.filter(state="submitted", answer="yes").count() == 6


def test_the_page_says_when_no_dialogue_has_been_started(client):
    """A new-user pass: before an admin started the dialogues the page said
    "Nothing left to judge here for now. Thank you!" to an annotator who had judged
    nothing."""
    (user,) = _users(1)
    evaluation = build_evaluation(instructions=1, turns=1, annotators=[user])
    evaluation.dialogues.all().delete()
    client.force_login(user)
    html = client.get(f"/consistency/{evaluation.pk}/judge/").content.decode()
    assert "the dialogues have not been started" in html
    assert "Nothing left" not in html


def test_outsiders_and_bad_answers(client):
    member, outsider = _users(2)
    evaluation = build_evaluation(instructions=1, turns=1, annotators=[member])
    url = f"/consistency/{evaluation.pk}/judge/"
    client.force_login(outsider)
    refused = client.get(url)
    assert refused.status_code == 403
    assert 'id="forbidden"' in refused.text  # the site's page, not bare text
    client.force_login(member)
    client.get(url)
    judgement = ReplyJudgement.objects.get(annotator=member)
    for bad, message in (
        ({"judgement": judgement.pk, "answer": "maybe"}, "answer: use one of"),
        ({"judgement": "x\u0000", "answer": "yes"}, "judgement: a whole number"),
        ({"answer": "yes"}, "judgement: a whole number"),
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
        assert message in response.content.decode(), bad
        assert "int()" not in response.content.decode()
    for missing in (999999, 10**30):
        answer = {"judgement": missing, "answer": "yes"}
        assert client.post(url, answer).status_code == 404
    assert not ReplyJudgement.objects.filter(state="submitted").exists()


def test_api_refusals_say_their_code_as_the_rest_of_the_api_does():
    """They said only "detail" (a new-user pass); the annotations API says
    ``not_in_pool`` for the same refusal."""
    member, outsider = _users(2)
    evaluation = build_evaluation(instructions=1, turns=1, annotators=[member])
    base = f"/api/consistency/evaluations/{evaluation.pk}"
    api = APIClient()
    api.force_authenticate(outsider)
    answer = {"judgement": 999999, "answer": "yes"}
    for response in (
        api.post(f"{base}/next/"),
        api.post(f"{base}/answers/", answer, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "not_in_pool"
        assert response.json()["detail"]
    api.force_authenticate(member)
    missing = api.post(f"{base}/answers/", answer, format="json")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_api_next_and_answer_with_a_double_submit_counted_once():
    member, other = _users(2)
    evaluation = build_evaluation(
        instructions=1,
        turns=1,
        annotators=[member, other],
        per_reply=2,
        models=SECRET_MODELS[:1],
    )
    api = APIClient()
    api.force_authenticate(member)
    base = f"/api/consistency/evaluations/{evaluation.pk}"
    # Leasing is a POST: a GET (a prefetch, a crawler) must not take a reply.
    assert api.get(f"{base}/next/").status_code == 405
    assert not ReplyJudgement.objects.exists()
    response = api.post(f"{base}/next/")
    assert not any(name in response.content.decode() for name in SECRET_MODELS)
    shown = response.json()
    assert set(shown) == {
        "judgement_id",
        "system_message",
        "history",
        "user_text",
        "reply_text",
        "turn",
        "expires_at",
    }
    body = {"judgement": shown["judgement_id"], "answer": "no"}
    first = api.post(f"{base}/answers/", body, format="json")
    assert first.status_code == 200
    assert first.json() == {"stored": True, "next": None, "notice": ""}
    double = api.post(f"{base}/answers/", body, format="json")  # a double click
    assert double.json()["stored"] is True
    again = api.post(f"{base}/answers/", {**body, "answer": "yes"}, format="json")
    assert again.status_code == 200
    # Another answer is not stored, and the reply says so (it said stored: true).
    assert again.json()["stored"] is False
    assert "your first answer (no) stands" in again.json()["notice"]
    assert list(ReplyJudgement.objects.values_list("answer", flat=True)) == ["no"]
    assert api.post(f"{base}/next/").status_code == 204
    bad = api.post(
        f"{base}/answers/", {"judgement": "1\u0000", "answer": "no"}, format="json"
    )
    assert bad.status_code == 400
    extra = api.post(
        f"{base}/answers/", {**body, "anser": "yes"}, format="json"
    )  # a misspelt field is named, not passed over
    assert (extra.status_code, list(extra.json())) == (400, ["anser"])
    api.force_authenticate(make_user("stranger", roles.ANNOTATOR))
    assert api.post(f"{base}/next/").status_code == 403


def test_expired_lease_goes_back_and_a_late_answer_is_refused_when_full():
    first, second = _users(2)
    evaluation = build_evaluation(
        instructions=1,
        turns=1,
        annotators=[first, second],
        per_reply=1,
        models=SECRET_MODELS[:1],
    )
    now = timezone.now()
    lease = judging.judgement_next(evaluation=evaluation, annotator=first, now=now)
    assert (
        judging.judgement_next(evaluation=evaluation, annotator=second, now=now) is None
    )
    later = now + timedelta(minutes=evaluation.lease_minutes + 1)
    taken = judging.judgement_next(evaluation=evaluation, annotator=second, now=later)
    assert taken is not None
    judging.judgement_answer(
        evaluation=evaluation,
        annotator=second,
        judgement_id=taken.judgement_id,
        answer="yes",
        now=later,
    )
    late = judging.judgement_answer(
        evaluation=evaluation,
        annotator=first,
        judgement_id=lease.judgement_id,
        answer="no",
        now=later,
    )
    assert late.stored is False
    assert "lease had expired" in late.notice
    assert list(
        ReplyJudgement.objects.filter(state="submitted").values_list(
            "answer", flat=True
        )
    ) == ["yes"]


ANNOTATORS, PER_REPLY = 8, 3


def _judge_all(evaluation, user, barrier, errors):
    try:
        barrier.wait()
        shown = judging.judgement_next(evaluation=evaluation, annotator=user)
        while shown is not None:
            shown = judging.judgement_answer(
                evaluation=evaluation,
                annotator=user,
                judgement_id=shown.judgement_id,
                answer="yes",
            ).next
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_annotators_leave_exactly_n_answers_per_reply(require_postgres):
    users = _users(ANNOTATORS, prefix="racer")
    evaluation = build_evaluation(
        instructions=4, turns=3, annotators=users, per_reply=PER_REPLY
    )
    barrier, errors = threading.Barrier(ANNOTATORS), []
    threads = [
        threading.Thread(target=_judge_all, args=(evaluation, u, barrier, errors))
        for u in users
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    stored = list(
        ReplyJudgement.objects.filter(state="submitted").values_list(
            "reply_id", "annotator_id"
        )
    )
    per_reply = Counter(reply for reply, _ in stored)
    assert len(per_reply) == 4 * 3 * 2
    assert set(per_reply.values()) == {PER_REPLY}
    assert len(set(stored)) == len(stored)
    assert not ReplyJudgement.objects.filter(state="leased").exists()
