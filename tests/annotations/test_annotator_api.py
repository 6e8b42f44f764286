"""The annotator loop over REST: next, rating, skip, flag; token auth; the schema."""

import pytest
from django.utils.timezone import now
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations.models import Assignment, Rating

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation


@pytest.fixture
def api_setup(db):
    evaluation, comparisons, users = build_evaluation(pairs=2, annotators=4)
    clients = []
    for user in users:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}"
        )
        clients.append(client)
    return evaluation, comparisons, users, clients


def test_token_client_rates_until_204(api_setup):
    evaluation, _comparisons, users, clients = api_setup
    client = clients[0]
    seen = []
    while True:
        response = client.post(f"/api/evaluations/{evaluation.pk}/next/")
        if response.status_code == 204:
            break
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= {
            "assignment",
            "turns",
            "response_a",
            "response_b",
            "labels",
        }
        assert [label["value"] for label in body["labels"]] == [3, 2, 1, 0, -1, -2, -3]
        assert body["labels"][0]["label"] == "A is much better"
        assert body["turns"][-1]["role"] == "user"
        rated = client.post(
            f"/api/assignments/{body['assignment']}/rating/",
            {"choice": -2, "seconds": 12.5},
            format="json",
        )
        assert rated.status_code == 201, rated.content
        assert rated.json()["created"] is True
        seen.append(body["assignment"])
    assert len(seen) == 2
    ratings = Rating.objects.filter(annotator=users[0])
    assert sorted(r.choice for r in ratings) == [-2, -2]
    assert {r.seconds for r in ratings} == {12.5}


def test_next_returns_the_same_lease_and_double_submit_counts_once(api_setup):
    evaluation, _, _users, clients = api_setup
    first = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    second = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    assert first["assignment"] == second["assignment"]
    url = f"/api/assignments/{first['assignment']}/rating/"
    one = clients[0].post(url, {"choice": 1, "seconds": 3}, format="json")
    two = clients[0].post(url, {"choice": -3, "seconds": 3}, format="json")
    assert (one.status_code, two.status_code) == (201, 200)
    assert two.json()["created"] is False
    assert two.json()["choice"] == 1
    assert Rating.objects.count() == 1


def test_skip_and_flag_answer_with_the_next_pair(api_setup):
    evaluation, _, _users, clients = api_setup
    lease = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    skipped = clients[0].post(f"/api/assignments/{lease['assignment']}/skip/").json()
    assert skipped["assignment"] == lease["assignment"]
    assert (skipped["state"], skipped["notice"]) == ("skipped", "Skipped.")
    following = skipped["next"]
    assert following["assignment"] != lease["assignment"]
    again = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    assert again["assignment"] == following["assignment"]  # the lease held
    flagged = (
        clients[0]
        .post(
            f"/api/assignments/{following['assignment']}/flag/",
            {"comment": "B is empty"},
            format="json",
        )
        .json()
    )
    assert (flagged["state"], flagged["next"]) == ("flagged", None)
    assert flagged["notice"] == "Flagged; thank you for reporting it."
    assert Assignment.objects.get(pk=following["assignment"]).comment == "B is empty"
    # A second flag says the first stands (it thanked for a comment it dropped).
    again = clients[0].post(
        f"/api/assignments/{following['assignment']}/flag/",
        {"comment": "and A is odd"},
        format="json",
    )
    assert again.json()["notice"] == (
        "That pair was already flagged; your first report stands."
    )
    assert Assignment.objects.get(pk=following["assignment"]).comment == "B is empty"
    assert clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").status_code == 204


@pytest.mark.parametrize("choice", [4, -4, "A is much better!", None])
def test_bad_choice_is_refused_with_the_field_named(api_setup, choice):
    evaluation, _, _, clients = api_setup
    lease = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    response = clients[0].post(
        f"/api/assignments/{lease['assignment']}/rating/",
        {"choice": choice, "seconds": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "choice" in response.content.decode()
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"choice": 4, "seconds": 3}, "choice"),
        ({"choice": 1, "seconds": -1}, "seconds"),
    ],
)
@pytest.mark.parametrize("first", ["rating", "skip"])
def test_a_bad_answer_re_sent_for_an_answered_pair_is_refused(
    api_setup, body, field, first
):
    """Checked before the pair's state: a repeat is no way round the scale."""
    evaluation, _, _, clients = api_setup
    lease = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    url = f"/api/assignments/{lease['assignment']}/"
    done = clients[0].post(
        url + first + "/", {"choice": 1, "seconds": 3}, format="json"
    )
    assert done.status_code in (200, 201)

    again = clients[0].post(url + "rating/", body, format="json")

    assert again.status_code == 400
    assert list(again.json()["fields"]) == [field]
    assert [r.choice for r in Rating.objects.all()] == (
        [1] if first == "rating" else []
    )


def test_another_annotators_assignment_answers_404(api_setup):
    evaluation, _, _, clients = api_setup
    lease = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    aid = lease["assignment"]
    other = clients[1]
    assert other.get(f"/api/assignments/{aid}/").status_code == 404
    assert (
        other.post(
            f"/api/assignments/{aid}/rating/", {"choice": 1}, format="json"
        ).status_code
        == 404
    )
    assert other.post(f"/api/assignments/{aid}/skip/").status_code == 404
    assert other.post(f"/api/assignments/{aid}/flag/").status_code == 404
    assert clients[0].get(f"/api/assignments/{aid}/").status_code == 200


def test_outsiders_and_anonymous_get_no_work(api_setup):
    evaluation, _, _, clients = api_setup
    assert APIClient().post(f"/api/evaluations/{evaluation.pk}/next/").status_code in (
        401,
        403,
    )
    outsider = build_evaluation(pairs=1, annotators=1)[2][0]  # in another pool
    client = APIClient()
    client.force_authenticate(outsider)
    response = client.post(f"/api/evaluations/{evaluation.pk}/next/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_in_pool"
    # Closed or stopped, it is the same answer to an outsider: whether an evaluation
    # is closed is its pool's business (a new-user pass probed ids this way).
    for closed, code in (
        ({"status": "closed"}, "closed"),
        ({"status": "open", "stopped_at": now()}, "stopped"),
    ):
        type(evaluation).objects.filter(pk=evaluation.pk).update(**closed)
        response = client.post(f"/api/evaluations/{evaluation.pk}/next/")
        assert (response.status_code, response.json()["code"]) == (403, "not_in_pool")
        member = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/")
        assert (member.status_code, member.json()["code"]) == (409, code)


def test_json_never_names_a_chat_model(api_setup):
    evaluation, _comparisons, _, clients = api_setup
    texts = []
    lease = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/")
    texts.append(lease.content)
    aid = lease.json()["assignment"]
    texts.append(clients[0].get(f"/api/assignments/{aid}/").content)
    texts.append(
        clients[0]
        .post(f"/api/assignments/{aid}/rating/", {"choice": 1}, format="json")
        .content
    )
    blob = b"".join(texts).decode()
    for secret in (SECRET_CANDIDATE, SECRET_BASELINE):
        assert secret not in blob
    for key in ("candidate", "baseline", "chat_model", "score", "candidate_on_left"):
        assert key not in blob


def test_schema_documents_the_loop(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in (
        "/api/evaluations/{evaluation_id}/next/",
        "/api/assignments/{assignment_id}/rating/",
        "/api/assignments/{assignment_id}/skip/",
    ):
        assert path in schema
    assert "tokenAuth" in schema
    assert "response_a" in schema


@pytest.mark.parametrize(
    ("body", "detail", "fields"),
    [
        (
            {},
            "choice: This field is required.",
            {"choice": ["This field is required."]},
        ),
        ([], "body: ", {"non_field_errors"}),
        ("x", "body: ", {"non_field_errors"}),
        ({"choice": 3, "seconds": -1}, "seconds: ", {"seconds"}),
        ({"choice": 3, "safety_a": "bogus"}, "safety_a: ", {"safety_a"}),
        # A misspelt field was passed over: "secs" stored no time at all.
        ({"choice": 3, "secs": 12}, "secs: unknown field; use ", {"secs"}),
        ("{not json", "JSON parse error", None),
    ],
)
def test_every_refused_body_is_the_schemas_error(api_setup, body, detail, fields):
    """A new-user pass: some bodies came back as DRF's field map, a body that is not
    JSON as detail alone; the schema promises {detail, code} for every 400."""
    evaluation, _, _, clients = api_setup
    lease = clients[0].post(f"/api/evaluations/{evaluation.pk}/next/").json()
    url = f"/api/assignments/{lease['assignment']}/rating/"
    if body == "{not json":
        response = clients[0].post(url, body, content_type="application/json")
    else:
        response = clients[0].post(url, body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["detail"].startswith(detail)
    if fields is None:
        assert answer["code"] == "parse_error"
    else:
        assert answer["code"] == "invalid"
        assert (
            answer["fields"] == fields
            if isinstance(fields, dict)
            else (set(answer["fields"]) == fields)
        )
    flag = clients[0].post(
        f"/api/assignments/{lease['assignment']}/flag/",
        {"comment": None},
        format="json",
    )
    assert (flag.status_code, flag.json()["code"]) == (400, "invalid")
    assert flag.json()["detail"] == "comment: This field may not be null."
    assert not Rating.objects.exists()
