"""The flag review queue's REST API and page: admins only, 4xx naming the field."""

import pytest

from annotations.models import FlagReview

from .conftest import build_evaluation, in_id_order
from .test_flag_reviews import _flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(db):
    evaluation, (pair, other), users = build_evaluation(pairs=2, annotators=1)
    in_id_order(evaluation)  # the annotator flags ``pair``, the first
    _flag(evaluation, users[0], "Model B answers in Klingon")
    return evaluation, pair, other


def test_queue_lists_the_flagged_pair_with_its_flags(client, admin_user, flagged):
    evaluation, pair, _ = flagged
    client.force_login(admin_user)
    body = client.get(f"/api/evaluations/{evaluation.pk}/flags/").json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["comparison_id"] == pair.pk
    assert item["flags"][0]["comment"] == "Model B answers in Klingon"
    assert item["flags"][0]["reviewed"] is False
    assert [r["label"] for r in item["responses"]] == ["Candidate", "Baseline"]
    assert item["turns"][0]["content"] == pair.prompt.turns[0]["content"]
    assert client.get("/api/flags/").json()["count"] == 1
    assert client.get("/api/evaluations/999999/flags/").status_code == 404


def test_review_by_api_answers_201_and_empties_the_queue(client, admin_user, flagged):
    evaluation, pair, _ = flagged
    client.force_login(admin_user)
    url = f"/api/comparisons/{pair.pk}/flag-reviews/"
    response = client.post(
        url, {"action": "exclude", "note": "broken"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["action"] == "exclude"
    assert response.json()["reviewed_by"] == admin_user.username
    pair.refresh_from_db()
    assert pair.excluded
    assert client.get(f"/api/evaluations/{evaluation.pk}/flags/").json()["count"] == 0
    assert [r["action"] for r in client.get(url).json()] == ["exclude"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "delete"}, "action"),
        ({}, "action"),
        ({"action": "keep", "note": "x" * 2001}, "note"),
        ({"action": "exclude", "note": "broken pair", "extra": 1}, "extra"),
    ],
)
def test_bad_review_input_is_a_400_naming_the_field(
    client, admin_user, flagged, body, field
):
    _, pair, _ = flagged
    client.force_login(admin_user)
    response = client.post(
        f"/api/comparisons/{pair.pk}/flag-reviews/",
        body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not FlagReview.objects.exists()


def test_reviewing_a_pair_nobody_flagged_is_a_400_naming_comparison(
    client, admin_user, flagged
):
    _, _, other = flagged
    client.force_login(admin_user)
    response = client.post(
        f"/api/comparisons/{other.pk}/flag-reviews/",
        {"action": "exclude"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "comparison" in response.json()
    missing = client.post(
        "/api/comparisons/999999/flag-reviews/",
        {"action": "exclude"},
        content_type="application/json",
    )
    assert missing.status_code == 404


def test_only_admins_see_and_review_flags(client, researcher, annotator, flagged):
    evaluation, pair, _ = flagged
    for user in (researcher, annotator):
        client.force_login(user)
        assert client.get("/api/flags/").status_code == 403
        assert client.get(f"/evaluations/{evaluation.pk}/flags/").status_code == 403
        response = client.post(
            f"/api/comparisons/{pair.pk}/flag-reviews/",
            {"action": "exclude"},
            content_type="application/json",
        )
        assert response.status_code == 403
        assert (
            client.post(f"/flags/{pair.pk}/review/", {"action": "exclude"}).status_code
            == 403
        )
    assert not FlagReview.objects.exists()


def test_queue_page_reviews_and_comes_back(client, admin_user, flagged):
    evaluation, pair, _ = flagged
    client.force_login(admin_user)
    page_url = f"/evaluations/{evaluation.pk}/flags/"
    page = client.get(page_url).content.decode()
    assert f'id="flagged-{pair.pk}"' in page
    assert "Model B answers in Klingon" in page
    response = client.post(
        f"/flags/{pair.pk}/review/", {"action": "reopen", "next": page_url}
    )
    assert response.status_code == 302
    assert response["Location"] == page_url
    assert FlagReview.objects.get().action == "reopen"
    assert 'id="no-flags"' in client.get(page_url).content.decode()
    refused = client.post(
        f"/flags/{pair.pk}/review/",
        {"action": "burn", "next": "https://elsewhere.example/"},
        follow=True,
    )
    assert "action: &#x27;burn&#x27; is not one of" in refused.content.decode()
    assert refused.redirect_chain[-1][0] == "/flags/"


def test_a_mistaken_exclusion_is_undone_from_the_recent_decisions(
    client, admin_user, flagged
):
    evaluation, pair, _ = flagged
    client.force_login(admin_user)
    page_url = f"/evaluations/{evaluation.pk}/flags/"
    client.post(
        f"/flags/{pair.pk}/review/",
        {"action": "exclude", "note": "B truncated", "next": page_url},
    )
    pair.refresh_from_db()
    assert pair.excluded
    page = client.get(page_url).content.decode()
    assert 'id="no-flags"' in page  # nothing waits, yet the decision is listed
    assert "B truncated" in page
    assert 'id="recent-reviews"' in page
    client.post(
        f"/flags/{pair.pk}/review/",
        {"action": "keep", "note": "excluded by mistake", "next": page_url},
    )
    pair.refresh_from_db()
    assert not pair.excluded
    assert list(
        FlagReview.objects.order_by("reviewed_at").values_list("action", flat=True)
    ) == [
        "exclude",
        "keep",
    ]
