"""What the annotator API says about answers: an assignment's state, the field at
fault in a refused value, and a rating's safety labels changed afterwards."""

import pytest
from rest_framework.test import APIClient

from annotations.models import AnswerChange, Evaluation, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit

from .conftest import build_evaluation

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_assignment_says_its_state_once_answered(small_evaluation):
    evaluation, _, users = small_evaluation
    client = _api(users[0])
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    assert pair["state"] == "leased"
    url = f"/api/assignments/{pair['assignment']}/"
    assert client.get(url).json()["state"] == "leased"
    skipped = client.post(f"{url}skip/").json()
    assert skipped["state"] == "skipped"
    assert skipped["next"]["state"] == "leased"  # the click's next pair
    assert client.get(url).json()["state"] == "skipped"
    rated = client.post(
        f"/api/assignments/{skipped['next']['assignment']}/rating/",
        {"choice": 1},
        format="json",
    ).json()
    following = f"/api/assignments/{rated['assignment']}/"
    assert client.get(following).json()["state"] == "submitted"
    flagged = client.post(
        f"/api/assignments/{rated['next']['assignment']}/flag/", {}, format="json"
    ).json()
    assert client.get(f"/api/assignments/{flagged['assignment']}/").json()["state"] == (
        "flagged"
    )


def test_the_pair_schema_documents_the_state(client, researcher):
    client.force_login(researcher)
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"][
        "schemas"
    ]
    state = schemas["Pair"]["properties"]["state"]
    assert "state" in schemas["Pair"]["required"]
    (ref,) = [part["$ref"] for part in state["allOf"]]
    enum = schemas[ref.rsplit("/", 1)[1]]["enum"]
    assert set(enum) == {"leased", "submitted", "expired", "skipped", "flagged"}
    # The import jobs' own "state" keeps its enum's name.
    assert "StateEnum" in schemas


@pytest.mark.parametrize(
    ("body", "field"),
    [({"choice": 9}, "choice"), ({"choice": 1, "seconds": "soon"}, "seconds")],
)
def test_a_value_the_scale_refuses_names_its_field(small_evaluation, body, field):
    evaluation, _, users = small_evaluation
    client = _api(users[0])
    pair = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    for url in (f"/api/assignments/{pair['assignment']}/rating/", pair["answer_url"]):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, response.content
        refused = response.json()
        assert refused["code"] == "invalid"
        assert refused["detail"].startswith(f"{field}: ")
        assert list(refused["fields"]) == [field]
        assert refused["detail"] == f"{field}: {refused['fields'][field][0]}"


def test_a_changed_choice_off_the_scale_names_its_field(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    rating = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action="rate", choice=1
    ).rating
    response = _api(users[0]).patch(
        f"/api/ratings/{rating.pk}/", {"choice": 9}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["choice"]


@pytest.fixture
def labelled(db):
    """A rating on the preference scale with safety labels (A safe, B unsafe)."""
    evaluation, _, users = build_evaluation(
        pairs=3,
        annotators=2,
        per_pair=2,
        scale=Evaluation.Scale.PREFERENCE,
        safety_labels=True,
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    rating = answer_submit(
        assignment_id=lease.pk,
        annotator=users[0],
        action="rate",
        choice="a:better",
        safety_a="safe",
        safety_b="unsafe",
    ).rating
    return users[0], rating


def test_a_rating_s_safety_labels_can_be_changed_with_their_history(labelled):
    user, rating = labelled
    response = _api(user).patch(
        f"/api/ratings/{rating.pk}/", {"safety_b": "safe"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rating"]["safety_a"], body["rating"]["safety_b"]) == ("safe", "safe")
    assert [(c["field"], c["old_value"], c["new_value"]) for c in body["changes"]] == [
        ("safety_b", "unsafe", "safe")
    ]
    rating.refresh_from_db()
    assert (rating.safety_a, rating.safety_b, rating.choice) == ("safe", "safe", 3)
    change = AnswerChange.objects.get(rating=rating)
    assert (change.field, change.changed_by) == ("safety_b", user)
    # The same label again changes nothing.
    again = _api(user).patch(
        f"/api/ratings/{rating.pk}/", {"safety_b": "safe"}, format="json"
    )
    assert again.json()["changes"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({"safety_a": "maybe"}, "safety_a"), ({"safety_b": ""}, "safety_b")],
)
def test_a_safety_label_that_is_none_is_refused(labelled, body, field):
    user, rating = labelled
    response = _api(user).patch(f"/api/ratings/{rating.pk}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    rating.refresh_from_db()
    assert (rating.safety_a, rating.safety_b) == ("safe", "unsafe")


def test_safety_labels_are_refused_where_the_evaluation_asks_none(small_evaluation):
    evaluation, _, users = small_evaluation
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    rating = answer_submit(
        assignment_id=lease.pk, annotator=users[0], action="rate", choice=1
    ).rating
    response = _api(users[0]).patch(
        f"/api/ratings/{rating.pk}/", {"safety_a": "safe"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "safety_a": ["this evaluation asks for no safety labels"]
    }
    assert Rating.objects.get(pk=rating.pk).safety_a == ""
    assert not AnswerChange.objects.exists()
