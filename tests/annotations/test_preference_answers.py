"""The preference scale in the annotator loop: the side and how much better, and a
safety label per response when the evaluation asks; through the answer service, the
REST API and the rating page (without JavaScript)."""

import random

import pytest
from django.test import Client
from rest_framework.test import APIClient

from annotations.models import Assignment, Evaluation, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation

PREFERENCE = Evaluation.Scale.PREFERENCE


@pytest.fixture
def preference(db):
    """Three pairs on the preference scale with safety labels; N = 2, three
    annotators."""
    return build_evaluation(
        pairs=3, annotators=3, per_pair=2, scale=PREFERENCE, safety_labels=True
    )


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _rate(client, assignment_id, **body):
    return client.post(f"/api/assignments/{assignment_id}/rating/", body, format="json")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rating_keeps_the_choice_as_shown_and_the_labels_per_side(preference, seed):
    evaluation, _, users = preference
    lease = services.assignment_next(
        evaluation=evaluation, annotator=users[0], rng=random.Random(seed)
    )
    outcome = answer_submit(
        assignment_id=lease.pk,
        annotator=users[0],
        action="rate",
        choice="b:slightly",
        safety_a="unsafe",
        safety_b="safe",
        seconds=4,
    )
    rating = Rating.objects.get()
    assert outcome.rating.pk == rating.pk
    assert (rating.scale, rating.choice) == ("preference", -2)
    # The score is the candidate's view: B slightly better is +2 when the candidate
    # was shown on the right.
    assert rating.candidate_on_left == lease.candidate_on_left
    assert rating.score == (-2 if lease.candidate_on_left else 2)
    assert (rating.safety_a, rating.safety_b) == ("unsafe", "safe")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"choice": 3}, "safety_a"),
        ({"choice": 3, "safety_a": "safe"}, "safety_b"),
        ({"choice": 3, "safety_a": "safe", "safety_b": "maybe"}, "safety_b"),
        ({"choice": 0, "safety_a": "safe", "safety_b": "safe"}, "choice"),
        ({"choice": 5, "safety_a": "safe", "safety_b": "safe"}, "choice"),
        ({"choice": "c:better", "safety_a": "safe", "safety_b": "safe"}, "choice"),
        ({"choice": True, "safety_a": "safe", "safety_b": "safe"}, "choice"),
        ({"choice": [1], "safety_a": "safe", "safety_b": "safe"}, "choice"),
    ],
)
def test_bad_or_missing_values_are_refused_naming_the_field(preference, body, field):
    evaluation, _, users = preference
    client = _api(users[0])
    lease = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    response = _rate(client, lease["assignment"], **body)
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert not Rating.objects.exists()
    assert Assignment.objects.get(pk=lease["assignment"]).state == "leased"


def test_safety_labels_are_refused_where_the_evaluation_asks_for_none(db):
    for scale in (PREFERENCE, Evaluation.Scale.SEVEN):
        evaluation, _, (user,) = build_evaluation(pairs=1, annotators=1, scale=scale)
        client = _api(user)
        lease = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
        assert lease["safety_labels"] is False
        response = _rate(
            client, lease["assignment"], choice=1, safety_a="safe", safety_b="safe"
        )
        assert response.status_code == 400
        assert response.json()["detail"].startswith("safety_a:")
        rated = _rate(client, lease["assignment"], choice=1)
        assert rated.status_code == 201
        assert (rated.json()["safety_a"], rated.json()["safety_b"]) == ("", "")


def test_the_api_client_rates_every_pair_with_text_choices(preference):
    evaluation, comparisons, users = preference
    answers = ["a:significantly", "b:negligibly", "a:unsure", 3, -4, "B:Better"]
    expected = [4, -1, 1, 3, -4, -3]
    given = []
    for user in users:
        client = _api(user)
        leased = client.post(f"/api/evaluations/{evaluation.pk}/next/")
        pair = leased.json() if leased.status_code == 200 else None
        while pair is not None:
            assert pair["scale"] == "preference"
            assert pair["safety_labels"] is True
            assert [label["key"] for label in pair["labels"]] == list(range(1, 9))
            assert [label["value"] for label in pair["labels"]] == [
                4, 3, 2, 1, -1, -2, -3, -4,
            ]  # fmt: skip
            assert pair["labels"][0]["label"] == "A is significantly better"
            assert pair["labels"][4]["label"] == "B is negligibly better / unsure"
            choice = answers[len(given)]
            rated = _rate(
                client,
                pair["assignment"],
                choice=choice,
                safety_a="safe",
                safety_b="unsafe",
            )
            assert rated.status_code == 201, rated.content
            body = rated.json()
            assert body["choice"] == expected[len(given)]
            assert (body["safety_a"], body["safety_b"]) == ("safe", "unsafe")
            blob = rated.content.decode()
            assert SECRET_CANDIDATE not in blob
            assert SECRET_BASELINE not in blob
            given.append(pair["assignment"])
            pair = body["next"]
    # Exactly N = 2 ratings per pair, however the three annotators came.
    assert len(given) == 6
    for comparison in comparisons:
        assert comparison.ratings.count() == 2
    assert sorted(Rating.objects.values_list("choice", flat=True)) == sorted(expected)
    assert set(Rating.objects.values_list("safety_a", "safety_b")) == {
        ("safe", "unsafe")
    }


def test_a_repeated_submit_keeps_the_first_labels(preference):
    evaluation, _, users = preference
    client = _api(users[0])
    lease = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    first = _rate(client, lease["assignment"], choice=2, safety_a="safe",
                  safety_b="safe")  # fmt: skip
    again = _rate(client, lease["assignment"], choice=-3, safety_a="unsafe",
                  safety_b="unsafe")  # fmt: skip
    assert (first.status_code, again.status_code) == (201, 200)
    assert (again.json()["choice"], again.json()["safety_a"]) == (2, "safe")
    assert Rating.objects.count() == 1


def test_the_schema_documents_choice_text_and_safety_labels(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parts = schema["components"]["schemas"]
    rating_in = parts["RatingInRequest"]["properties"]
    assert {"type": "string", "maxLength": 100} in rating_in["choice"]["oneOf"]
    assert parts["RatingInRequest"]["required"] == ["choice"]
    for name in ("safety_a", "safety_b"):
        assert rating_in[name]["allOf"] == [{"$ref": "#/components/schemas/SafetyEnum"}]
    assert parts["SafetyEnum"]["enum"] == ["safe", "unsafe"]
    pair = parts["Pair"]["properties"]
    assert pair["safety_labels"]["type"] == "boolean"
    assert "scale" in pair


def test_the_page_asks_for_safety_and_works_without_javascript(preference):
    evaluation, _, users = preference
    client = Client()
    client.force_login(users[0])
    response = client.post(f"/evaluations/{evaluation.pk}/next/")
    lease = Assignment.objects.get(annotator=users[0])
    page = client.get(response["Location"]).content.decode()
    assert "Is each response safe?" in page
    for key, value in (("1", "4"), ("4", "1"), ("5", "-1"), ("8", "-4")):
        assert f'value="{value}" data-key="{key}"' in page
    for name, keys in (("safety_a", "zx"), ("safety_b", "nm")):
        assert f'name="{name}" value="safe" data-key="{keys[0]}"' in page
        assert f'name="{name}" value="unsafe" data-key="{keys[1]}"' in page
    assert "A is significantly better" in page
    assert "B is negligibly better / unsure" in page
    for secret in (SECRET_CANDIDATE, SECRET_BASELINE):
        assert secret not in page
    url = f"/assignments/{lease.pk}/answer/"
    missing = client.post(url, {"action": "rate", "choice": "-3", "safety_a": "safe"})
    assert missing["Location"] == f"/assignments/{lease.pk}/"
    assert not Rating.objects.exists()
    fetched = client.post(
        url,
        {"action": "rate", "choice": "-3", "safety_a": "safe"},
        headers={"X-Requested-With": "fetch"},
    )
    assert fetched.status_code == 400
    assert fetched.json()["error"].startswith("safety_b:")
    answered = client.post(
        url,
        {"action": "rate", "choice": "-3", "safety_a": "safe", "safety_b": "unsafe"},
    )
    assert answered["Location"].startswith("/assignments/")
    rating = Rating.objects.get()
    assert (rating.choice, rating.safety_a, rating.safety_b) == (-3, "safe", "unsafe")


def test_the_seven_point_page_asks_no_safety(db):
    evaluation, _, (user,) = build_evaluation(pairs=1, annotators=1)
    client = Client()
    client.force_login(user)
    page = client.get(
        client.post(f"/evaluations/{evaluation.pk}/next/")["Location"]
    ).content.decode()
    assert "safety_a" not in page
    assert 'data-key="8"' not in page
