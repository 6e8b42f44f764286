"""Quality checks through the REST API and the rating page: answered like pairs,
at neutral addresses, and nothing on the wire tells them apart."""

import pytest
from rest_framework.test import APIClient

from annotations.models import QualityTask, Rating

from .serving_support import checked_evaluation
from .test_annotator_pages import logged_in

pytestmark = pytest.mark.django_db

QC_WORDS = ("gold", "repeat", "check", "quality")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_neutral(text: str) -> None:
    lowered = text.lower()
    for word in QC_WORDS:
        assert word not in lowered, word


def test_the_api_serves_a_check_shaped_as_a_pair_and_stores_its_answer():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    client = api(users[0])
    response = client.post(f"/api/evaluations/{evaluation.pk}/next/")
    check = response.json()
    assert_neutral(response.content.decode())
    assert check["assignment"] is None
    assert check["answer_url"] == f"/api/items/{check['item']}/answer/"
    assert client.get(f"/api/items/{check['item']}/").json() == check
    answered = client.post(
        check["answer_url"],
        {"action": "rate", "choice": 2, "seconds": 4},
        format="json",
    )
    assert answered.status_code == 201, answered.content
    body = answered.json()
    assert (body["state"], body["choice"], body["created"]) == ("submitted", 2, True)
    task = QualityTask.objects.get()
    assert (task.state, task.choice, task.seconds) == ("answered", 2, 4.0)
    assert not Rating.objects.exists()
    # The next item is a pair (the one gold pair is done), in the same shape.
    pair = body["next"]
    assert set(pair) == set(check)
    assert pair["assignment"] is None  # with checks on, no item shows its kind
    rated = client.post(pair["answer_url"], {"choice": -1}, format="json")
    assert rated.status_code == 201
    assert set(rated.json()) == set(body)
    assert Rating.objects.get().choice == -1
    # The schema documents these replies as they are (it documented a pair's:
    # no item, and a required assignment id; a new-user pass).
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]
    rating_answer = schema["schemas"]["ItemRatingAnswer"]
    assert set(rating_answer["properties"]) == set(body)
    assert set(rating_answer["required"]) == set(body)
    assert rating_answer["properties"]["assignment"]["nullable"] is True


def test_the_api_refuses_bad_answers_to_a_check_naming_the_field():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    client = api(users[0])
    check = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    missing = client.post(check["answer_url"], {"action": "rate"}, format="json")
    assert missing.status_code == 400
    assert "choice" in missing.json()["fields"]  # the Error shape, code "invalid"
    wrong = client.post(check["answer_url"], {"choice": 7}, format="json")
    assert wrong.status_code == 400
    assert "choice" in wrong.json()["detail"]
    assert QualityTask.objects.get().state == "leased"
    # Another annotator's item, or no item at all: not found.
    assert api(users[1]).get(f"/api/items/{check['item']}/").status_code == 404
    other = api(users[1]).post(check["answer_url"], {"choice": 1}, format="json")
    assert other.status_code == 404
    assert client.get("/api/items/0123456789abcdef/").status_code == 404
    assert client.post("/api/items/nope/answer/", {"choice": 1}).status_code == 404
    # Whatever the body: a stranger learns nothing from a 400 about the item.
    for body in ({"action": "rate"}, {"action": "dance"}, {}):
        refused = api(users[1]).post(check["answer_url"], body, format="json")
        assert refused.status_code == 404, body
        assert client.post("/api/items/nope/answer/", body).status_code == 404


def test_the_page_shows_a_check_like_a_pair_and_answers_by_fetch():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    page = logged_in(users[0])
    start = page.post(f"/evaluations/{evaluation.pk}/next/")
    assert start.status_code == 302
    address = start["Location"]
    assert address.startswith("/items/")
    html = page.get(address).content.decode()
    assert 'id="pair"' in html
    assert_neutral(html.split('id="pair"')[1].split("</form>")[0])
    answered = page.post(
        f"{address}answer/",
        {"action": "rate", "choice": "1", "seconds": "2"},
        headers={"X-Requested-With": "fetch"},
    )
    body = answered.json()
    # The count of answers grows with a check's, as with a pair's.
    assert 'Rated <b class="done-count">1</b>' in body["html"]
    assert body["url"].startswith("/items/")
    assert body["url"] != address
    assert 'id="pair"' in body["html"]
    assert QualityTask.objects.get().state == "answered"
    # The pair that follows answers by a plain form post, redirected to the next.
    posted = page.post(f"{body['url']}answer/", {"action": "rate", "choice": "-1"})
    assert posted.status_code == 302
    assert Rating.objects.get(annotator=users[0]).choice == -1


def test_reloading_a_finished_check_goes_to_the_next_item():
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    page = logged_in(users[0])
    address = page.post(f"/evaluations/{evaluation.pk}/next/")["Location"]
    page.post(f"{address}answer/", {"action": "skip"})
    reloaded = page.get(address)
    assert reloaded.status_code == 302
    assert reloaded["Location"] != address
    assert logged_in(users[1]).get(address).status_code == 404


def test_a_click_with_checks_on_costs_a_few_statements_more(
    require_postgres, django_assert_max_num_queries
):
    """Measured on PostgreSQL through the API (savepoints included): pair to pair
    11 statements (14 when a check was drawn but none was free), check to pair 12,
    to a check 14 to 16 (the served count, the open-pair test, the free checks, the
    task's lease and its page). With checks off a click is held to 10
    (test_click_queries.py); by the page, with checks on, 15 to 20."""
    evaluation, _, users, _ = checked_evaluation(golds=3, gold_rate=0.5)
    client = api(users[0])
    item = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    for _ in range(4):
        with django_assert_max_num_queries(16):
            response = client.post(item["answer_url"], {"choice": 1}, format="json")
        item = response.json()["next"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("skip", {"choice": 1}),
        ("flag", {"choice": 2, "comment": "cut off"}),
        ("skip", {"safety_a": "safe"}),
    ],
)
def test_an_answer_to_skip_or_flag_is_refused_naming_it(action, body):
    """``{"action": "skip", "choice": 1}`` answered 200 with the choice dropped (a
    second API pass): which was meant is not ours to guess."""
    evaluation, _, users, _ = checked_evaluation(golds=1, gold_rate=1.0)
    client = api(users[0])
    check = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    refused = client.post(
        check["answer_url"], {"action": action, **body}, format="json"
    )
    assert refused.status_code == 400, refused.content
    name = next(iter(set(body) - {"comment"}))
    assert refused.json()["fields"] == {name: [f"only to rate, not to {action}"]}
    assert QualityTask.objects.get().state == "leased"
