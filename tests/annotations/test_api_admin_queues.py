"""The admins' endpoints a new-user pass scripted: the flag queue filtered by
evaluation, a repeated flag review, and gold pairs uploaded for an evaluation
named as the other endpoints name it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotations.models import FlagReview, GoldPair

from .conftest import build_evaluation
from .test_flag_reviews import _flag
from .test_gold_pairs import GOOD, setting  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def two_flagged(db):
    """Two evaluations, each with one flagged pair."""
    pairs = []
    for _ in range(2):
        evaluation, _, users = build_evaluation(pairs=1, annotators=1)
        pairs.append((evaluation, _flag(evaluation, users[0])))
    return pairs


def test_the_flag_queue_filters_by_evaluation_id_or_name(admin_api, two_flagged):
    (_, first_pair), (second, second_pair) = two_flagged
    everything = admin_api.get("/api/flags/").json()
    assert {r["comparison_id"] for r in everything["results"]} == {
        first_pair,
        second_pair,
    }
    for key in (second.pk, second.name):
        body = admin_api.get("/api/flags/", {"evaluation": key}).json()
        assert [r["comparison_id"] for r in body["results"]] == [second_pair]
    missing = admin_api.get("/api/flags/", {"evaluation": 999999})
    assert missing.status_code == 400
    assert missing.json()["detail"].startswith("evaluation: no evaluation")


@pytest.mark.parametrize(
    "url", ["/api/flags/", "/api/evaluations/{pk}/flags/"], ids=["all", "one"]
)
def test_the_flag_queue_refuses_an_unknown_parameter(admin_api, two_flagged, url):
    evaluation = two_flagged[0][0]
    response = admin_api.get(url.format(pk=evaluation.pk), {"evaluaton": 2})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"].startswith("evaluaton: unknown parameter")
    assert admin_api.get(url.format(pk=evaluation.pk), {"page": 1}).status_code == 200


def test_a_repeated_review_answers_200_storing_nothing(admin_api, two_flagged):
    _, pair = two_flagged[0]
    url = f"/api/comparisons/{pair}/flag-reviews/"
    body = {"action": "keep", "note": "fine"}
    first = admin_api.post(url, body, format="json")
    assert first.status_code == 201
    again = admin_api.post(url, body, format="json")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert FlagReview.objects.count() == 1
    other = admin_api.post(url, {"action": "exclude"}, format="json")
    assert other.status_code == 201
    assert FlagReview.objects.count() == 2


def test_a_review_of_an_unknown_pair_is_a_404_with_its_code(admin_api):
    for method in ("get", "post"):
        response = getattr(admin_api, method)(
            "/api/comparisons/999999/flag-reviews/", {"action": "keep"}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("by", ["id", "name"])
def test_gold_pairs_take_the_evaluation_by_id_or_name(admin_api, setting, by):  # noqa: F811
    key = setting.pk if by == "id" else setting.name
    upload = SimpleUploadedFile("gold.jsonl", GOOD)
    response = admin_api.post(
        "/api/imports/gold-pairs/", {"evaluation": key, "file": upload}
    )
    assert response.status_code == 201, response.content
    assert GoldPair.objects.filter(evaluation=setting).count() == 2


def test_gold_pairs_for_no_evaluation_name_it(admin_api, setting):  # noqa: F811
    upload = SimpleUploadedFile("gold.jsonl", GOOD)
    response = admin_api.post(
        "/api/imports/gold-pairs/", {"evaluation": "no-such", "file": upload}
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "evaluation"
    assert "'no-such'" in error["message"]
