"""The annotator's controls over HTTP: the API (change a rating, list the last ones,
undo a skip) and the rating page's forms (rationale, confirmation, edit, undo)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotations.models import AnswerChange, Assignment, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit

from .conftest import build_evaluation
from .test_annotator_pages import assert_blind, logged_in

FETCH = {"X-Requested-With": "fetch"}


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rated(db):
    """An annotator who rated one pair (A is better, 2) of three, N = 2."""
    evaluation, _, (user, other) = build_evaluation(pairs=3, annotators=2, per_pair=2)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=user, action="rate", choice=2
    )
    return evaluation, user, other, outcome.rating, outcome.following


def test_the_api_changes_a_rating_and_answers_with_its_history(rated):
    evaluation, user, _, rating, _ = rated
    response = _api(user).patch(
        f"/api/ratings/{rating.pk}/",
        {"choice": "B is better", "comment": "B is correct"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rating"]["choice"] == -2
    assert body["rating"]["label"] == "B is better"
    assert body["rating"]["editable"] is True
    assert [(c["field"], c["old_value"], c["new_value"]) for c in body["changes"]] == [
        ("choice", "2", "-2"),
        ("comment", "", "B is correct"),
    ]
    assert_blind(response.content.decode(), evaluation)
    assert AnswerChange.objects.filter(rating=rating).count() == 2

    listed = _api(user).get(f"/api/evaluations/{evaluation.pk}/ratings/recent/")
    assert [r["id"] for r in listed.json()] == [rating.pk]
    assert listed.json()[0]["comment"] == "B is correct"


def test_the_api_names_the_field_and_refuses_others_and_closed_windows(rated):
    evaluation, user, other, rating, _ = rated
    url = f"/api/ratings/{rating.pk}/"
    too_long = _api(user).patch(url, {"comment": "x" * 2001}, format="json")
    assert too_long.status_code == 400
    assert "comment" in too_long.json()["fields"]  # the Error shape, code "invalid"
    # A misspelt field changed nothing and answered 200.
    misspelt = _api(user).patch(url, {"coment": "why"}, format="json")
    assert misspelt.status_code == 400
    assert misspelt.json()["detail"].startswith("coment: unknown field; use ")
    off_scale = _api(user).patch(url, {"choice": 7}, format="json")
    assert off_scale.status_code == 400
    assert off_scale.json()["detail"].startswith("choice: ")
    assert _api(other).patch(url, {"choice": 1}, format="json").status_code == 404
    assert _api(other).get(url).status_code == 404
    # Whatever the body says: a 400 told another's rating exists (a new-user pass).
    for body in ({"choice": None}, {"comment": "x" * 2001}, {}, {"coment": "x"}):
        assert _api(other).patch(url, body, format="json").status_code == 404

    evaluation.edit_window = 0
    evaluation.save(update_fields=["edit_window"])
    refused = _api(user).patch(url, {"choice": 1}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_editable"
    assert Rating.objects.get(pk=rating.pk).choice == 2


def test_the_api_undoes_a_skip_in_time_only(db):
    evaluation, _, (user,) = build_evaluation(pairs=3, annotators=1, per_pair=1)
    client = _api(user)
    first = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    client.post(f"/api/assignments/{first['assignment']}/skip/")

    back = client.post(f"/api/assignments/{first['assignment']}/undo-skip/")
    assert back.status_code == 200
    assert back.json()["assignment"] == first["assignment"]
    assert back.json()["response_a"] == first["response_a"]  # the same sides
    # Named and addressed as the pair next/ handed out (they were empty).
    assert (back.json()["item"], back.json()["answer_url"]) == (
        first["item"],
        first["answer_url"],
    )
    assert back.json()["answer_url"]

    client.post(f"/api/assignments/{first['assignment']}/skip/")
    Assignment.objects.filter(pk=first["assignment"]).update(
        ended_at=timezone.now() - timedelta(seconds=11)
    )
    late = client.post(f"/api/assignments/{first['assignment']}/undo-skip/")
    assert late.status_code == 409
    assert late.json()["code"] == "undo_refused"


def test_the_same_undo_sent_twice_answers_the_pair_both_times(db):
    """A client retrying an undo whose reply was lost got 409 "That pair is not
    skipped", though the undo had been done (a rating or skip sent twice answers
    as the first did). A pair never skipped is still refused."""
    evaluation, _, (user,) = build_evaluation(pairs=3, annotators=1, per_pair=1)
    client = _api(user)
    first = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    url = f"/api/assignments/{first['assignment']}/undo-skip/"
    never = client.post(url)
    assert (never.status_code, never.json()["code"]) == (409, "undo_refused")
    client.post(f"/api/assignments/{first['assignment']}/skip/")
    back = client.post(url)
    again = client.post(url)
    assert back.status_code == again.status_code == 200, again.content
    assert again.json() == back.json()
    assert AnswerChange.objects.count() == 1
    assert Assignment.objects.get(pk=first["assignment"]).state == "leased"
    assert Assignment.objects.filter(annotator=user, state="leased").count() == 1


def test_the_schema_documents_the_controls(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "patch" in schema["paths"]["/api/ratings/{rating_id}/"]
    assert "post" in schema["paths"]["/api/assignments/{assignment_id}/undo-skip/"]
    change = schema["components"]["schemas"]["PatchedRatingChangeInRequest"][
        "properties"
    ]
    assert change["comment"]["maxLength"] == 2000


def test_the_page_stores_a_rationale_and_confirms_the_answer(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    page = logged_in(user)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    response = page.post(
        f"/assignments/{lease.pk}/answer/",
        {"action": "rate", "choice": "1", "rationale": "A is shorter", "comment": ""},
        headers=FETCH,
    )
    html = response.json()["html"]
    assert 'id="confirmation"' in html
    assert "Saved: A is slightly better" in html
    assert 'id="recent"' in html  # the last ratings panel, loaded when opened:
    recent = page.get(
        f"/evaluations/{evaluation.pk}/ratings/recent/", headers=FETCH
    ).content.decode()
    assert "A is shorter" in recent
    assert "pair complete" in recent  # N = 1: rated once, it may no longer change
    assert Rating.objects.get().comment == "A is shorter"


def test_the_page_refuses_a_rationale_too_long_naming_it(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    response = logged_in(user).post(
        f"/assignments/{lease.pk}/answer/",
        {"action": "rate", "choice": "1", "rationale": "x" * 2001},
        headers=FETCH,
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("rationale: at most 2000")
    assert not Rating.objects.exists()


def test_the_page_offers_undo_after_a_skip_and_undoes_it(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    page = logged_in(user)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    skipped = page.post(
        f"/assignments/{lease.pk}/answer/", {"action": "skip"}, headers=FETCH
    ).json()["html"]
    assert f'action="/assignments/{lease.pk}/undo-skip/"' in skipped
    assert '<p class="note"' not in skipped  # "Skipped." said once, by the undo

    back = page.post(f"/assignments/{lease.pk}/undo-skip/", headers=FETCH)
    assert back.json()["url"] == f"/assignments/{lease.pk}/"
    assert Assignment.objects.get(pk=lease.pk).state == Assignment.State.LEASED

    # Without JavaScript: the redirect carries the skip, whose page offers the undo.
    plain = page.post(f"/assignments/{lease.pk}/answer/", {"action": "skip"})
    assert plain["Location"].endswith(f"?undo={lease.pk}")
    assert "undo-skip" in page.get(plain["Location"]).content.decode()


def test_the_edit_page_shows_the_answer_and_saves_a_change(rated):
    evaluation, user, other, rating, following = rated
    page = logged_in(user)
    url = f"/ratings/{rating.pk}/edit/?from={following.pk}"
    shown = page.get(url).content.decode()
    assert 'value="2" data-key="2" checked' in shown
    assert_blind(shown, evaluation)
    assert logged_in(other).get(url).status_code == 404

    saved = page.post(url, {"choice": "-1", "rationale": "B is kinder"})
    assert saved["Location"] == f"/assignments/{following.pk}/"
    stored = Rating.objects.get(pk=rating.pk)
    assert (stored.choice, stored.comment) == (-1, "B is kinder")
    assert (
        "Saved: B is slightly better (changed)"
        in page.get(saved["Location"]).content.decode()
    )

    bad = page.post(url, {"choice": "9"})
    assert bad.status_code == 400
    assert "choice:" in bad.content.decode()


@pytest.mark.parametrize("back", ["99999", "9" * 30, "\u00b2", "abc"])
def test_a_from_that_is_no_pair_of_theirs_leads_home(rated, back):
    """``from`` names the pair to go back to: anything but one of the annotator's
    own assignments leads to their home, never to a 404 or a 500."""
    evaluation, user, other, rating, following = rated
    theirs = services.assignment_next(evaluation=evaluation, annotator=other)
    page = logged_in(user)
    # Likewise the rating page's ``undo`` (a skip to offer back; its service checks
    # whose skip it is): never a 500, and no id at all offers nothing.
    held = page.get(f"/assignments/{following.pk}/?undo={back}")
    assert held.status_code == 200
    if len(back) > 18 or not back.isascii() or not back.isdigit():
        assert "undo-skip" not in held.content.decode()
    for value in (back, str(theirs.pk)):
        url = f"/ratings/{rating.pk}/edit/?from={value}"
        shown = page.get(url)
        assert shown.status_code == 200
        assert f'href="/assignments/{value}/"' not in shown.content.decode()
        saved = page.post(url, {"choice": "-1"})
        assert saved["Location"] == "/"


def test_admins_read_a_ratings_history_inline(rated, admin_user):
    _, user, _, rating, _ = rated
    _api(user).patch(
        f"/api/ratings/{rating.pk}/", {"choice": -3, "comment": "why"}, format="json"
    )
    page = logged_in(admin_user).get(f"/admin/annotations/rating/{rating.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Answer changes" in html
    for value in ("-3", "why", "Choice", "Rationale"):
        assert value in html
    # Read-only: no form fields for the history rows.
    assert 'name="changes-0-new_value"' not in html
    assert 'name="changes-0-DELETE"' not in html


def test_a_skip_of_the_last_pair_can_be_undone_from_all_done(db):
    evaluation, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    page = logged_in(user)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    done = page.post(
        f"/assignments/{lease.pk}/answer/", {"action": "skip"}, headers=FETCH
    ).json()["html"]
    assert "All done" in done
    assert f'action="/assignments/{lease.pk}/undo-skip/"' in done
    back = page.post(f"/assignments/{lease.pk}/undo-skip/", headers=FETCH)
    assert back.json()["url"] == f"/assignments/{lease.pk}/"


def test_a_flag_is_confirmed_once(db):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    html = (
        logged_in(user)
        .post(
            f"/assignments/{lease.pk}/answer/",
            {"action": "flag", "comment": "B is empty"},
            headers=FETCH,
        )
        .json()["html"]
    )
    assert '<p class="confirmation" id="confirmation" role="status">Flagged' in html
    assert html.count("Flagged") == 1


def test_with_checks_mixed_in_a_change_leads_back_to_the_item(db):
    """Once an evaluation mixes in checks, a pair's page names it by its token and
    has no assignment id: the panel asked with ``from=None`` and a saved change led
    home instead of back to the pair (a new-user pass in Chromium)."""
    from annotations.item_selectors import item_token

    from .serving_support import checked_evaluation

    evaluation, _, (user, _), _ = checked_evaluation(golds=1, gold_rate=0.5)
    first = services.assignment_next(evaluation=evaluation, annotator=user)
    rating = services.rating_submit(
        assignment_id=first.pk, annotator=user, choice=2, seconds=3
    ).rating
    following = services.assignment_next(evaluation=evaluation, annotator=user)
    token = item_token(following)
    page = logged_in(user)
    shown = page.get(f"/items/{token}/").content.decode()
    assert f"ratings/recent/?from={token}" in shown
    assert "from=None" not in shown
    panel = page.get(f"/evaluations/{evaluation.pk}/ratings/recent/?from={token}")
    assert f"/ratings/{rating.pk}/edit/?from={token}" in panel.content.decode()
    assert f'href="/items/{token}/"' in panel.content.decode()
    url = f"/ratings/{rating.pk}/edit/?from={token}"
    assert f'href="/items/{token}/" id="back-to-pair"' in page.get(url).content.decode()
    saved = page.post(url, {"choice": "-1"})
    assert saved["Location"] == f"/items/{token}/"
    # Another annotator's token leads home, as any other stranger's value.
    other = checked_evaluation(golds=1, gold_rate=0.5, annotators=1)[2][0]
    theirs = services.assignment_next(
        evaluation=evaluation.__class__.objects.exclude(pk=evaluation.pk).get(),
        annotator=other,
    )
    stranger = page.post(
        f"/ratings/{rating.pk}/edit/?from={item_token(theirs)}", {"choice": "1"}
    )
    assert stranger["Location"] == "/"


def test_the_admin_cannot_add_change_or_delete_a_rating(rated, admin_user):
    """Every path that adds ratings keeps exactly N: the admin's form added a fourth
    rating to a pair of three, by someone outside the pool (a new-user pass)."""
    _, _, _, rating, _ = rated
    page = logged_in(admin_user)
    before = list(Rating.objects.values_list("pk", "choice"))
    assert page.get("/admin/annotations/rating/add/").status_code == 403
    assert page.post("/admin/annotations/rating/add/", {}).status_code == 403
    url = f"/admin/annotations/rating/{rating.pk}/"
    assert page.post(f"{url}change/", {"choice": "-3"}).status_code == 403
    assert page.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert list(Rating.objects.values_list("pk", "choice")) == before
    leases = Assignment.objects.count()
    assert page.get("/admin/annotations/assignment/add/").status_code == 403
    assert Assignment.objects.count() == leases


def test_the_edit_page_shows_and_changes_the_safety_labels(db):
    evaluation, _, (user, _other) = build_evaluation(
        pairs=2, annotators=2, per_pair=2, scale="preference", safety_labels=True
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    rating = answer_submit(
        assignment_id=lease.pk, annotator=user, action="rate", choice=3,
        safety_a="safe", safety_b="unsafe",
    ).rating  # fmt: skip
    page = logged_in(user)
    url = f"/ratings/{rating.pk}/edit/"
    shown = page.get(url).content.decode()
    assert 'name="safety_a" value="safe" data-key="z" required checked' in shown
    assert 'name="safety_b" value="unsafe" data-key="m" checked' in shown

    saved = page.post(url, {"choice": "3", "safety_a": "safe", "safety_b": "safe"})

    assert saved.status_code == 302
    stored = Rating.objects.get(pk=rating.pk)
    assert (stored.safety_a, stored.safety_b) == ("safe", "safe")
    change = AnswerChange.objects.get(rating=stored)
    assert (change.field, change.old_value, change.new_value) == (
        "safety_b",
        "unsafe",
        "safe",
    )
    bad = page.post(url, {"choice": "3", "safety_a": "maybe", "safety_b": "safe"})
    assert bad.status_code == 400
    assert "safety_a:" in bad.content.decode()


def test_all_done_leads_to_the_last_ratings_to_change_one(db):
    """The last answer, the one most likely to need a change, could not be changed
    from "All done": the pair page's panel of last ratings went with the pair."""
    evaluation, _, (user, _other) = build_evaluation(pairs=1, annotators=2, per_pair=2)
    page = logged_in(user)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    done = page.post(
        f"/assignments/{lease.pk}/answer/",
        {"action": "rate", "choice": "2"},
        headers=FETCH,
    ).json()["html"]
    assert "All done" in done
    url = f"/evaluations/{evaluation.pk}/ratings/recent/"
    assert f'<a href="{url}" id="recent-link">' in done
    rating = Rating.objects.get(annotator=user)
    listed = page.get(url).content.decode()
    assert f'href="/ratings/{rating.pk}/edit/"' in listed
