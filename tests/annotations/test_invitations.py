"""Invitation links: creating, revoking and joining by them (services and pages)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from annotations import roles
from annotations.models import Assignment, Invitation, PoolMember
from annotations.services import invitations as services
from annotations.services.assignments import assignment_next, rating_submit
from tests.conftest import make_user

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation
from .single_support import build_single

User = get_user_model()
PID = "5f1e2d3c4b5a69788796a5b4"
CROWD = {"PROLIFIC_PID": PID, "STUDY_ID": "study-1", "SESSION_ID": "sess_9"}


def _invitation(evaluation, **extra) -> Invitation:
    values = {
        "evaluation": evaluation,
        "max_uses": 2,
        "expires_at": timezone.now() + timedelta(days=1),
        "created_by": None,
    }
    return services.invitation_create(**(values | extra))


@pytest.fixture
def evaluation(db):
    evaluation, _, _ = build_evaluation(
        pairs=3, annotators=0, per_pair=1, guidelines="Prefer **honest** answers."
    )
    return evaluation


def _join_url(invitation, **params) -> str:
    url = reverse("annotations:join", args=[invitation.token])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


# Services


def test_join_creates_an_annotator_with_the_invitations_quota_and_crowd_ids(
    evaluation,
):
    invitation = _invitation(evaluation, quota=4)
    crowd = services.crowd_ids_clean(CROWD)
    joined = services.invitation_join(token=invitation.token, user=None, crowd=crowd)

    user = joined.user
    assert joined.new_account
    assert joined.used_place
    assert not user.has_usable_password()
    assert user.groups.filter(name=roles.ANNOTATOR).exists()
    member = PoolMember.objects.get(evaluation=evaluation, user=user)
    assert member.invitation == invitation
    assert member.quota == 4
    assert (member.participant_id, member.study_id, member.session_id) == (
        PID,
        "study-1",
        "sess_9",
    )
    invitation.refresh_from_db()
    assert invitation.uses == 1


def test_the_same_participant_comes_back_to_the_same_account_without_a_place(
    evaluation,
):
    invitation = _invitation(evaluation, max_uses=1)
    crowd = services.crowd_ids_clean(CROWD)
    first = services.invitation_join(token=invitation.token, user=None, crowd=crowd)
    # A new browser: nobody signed in; the link is full now.
    again = services.invitation_join(token=invitation.token, user=None, crowd=crowd)

    assert again.user == first.user
    assert not again.new_account
    assert not again.used_place
    assert PoolMember.objects.filter(evaluation=evaluation).count() == 1
    invitation.refresh_from_db()
    assert invitation.uses == 1
    other = services.crowd_ids_clean({"PROLIFIC_PID": "someone-else"})
    with pytest.raises(services.InvitationRefused) as refused:
        services.invitation_join(token=invitation.token, user=None, crowd=other)
    assert refused.value.code == "full"


def test_a_signed_in_annotator_joins_with_their_own_account(evaluation, annotator):
    invitation = _invitation(evaluation)
    joined = services.invitation_join(
        token=invitation.token, user=annotator, crowd=services.CrowdIds()
    )
    assert joined.user == annotator
    assert not joined.new_account
    assert evaluation.pool.filter(pk=annotator.pk).exists()
    # Joining again uses no second place.
    services.invitation_join(
        token=invitation.token, user=annotator, crowd=services.CrowdIds()
    )
    invitation.refresh_from_db()
    assert invitation.uses == 1


@pytest.mark.parametrize("state", ["expired", "revoked", "closed"])
def test_expired_revoked_or_closed_links_let_nobody_in(evaluation, state):
    invitation = _invitation(evaluation)
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif state == "revoked":
        services.invitation_revoke(invitation=invitation)
        assert invitation.revoked_at is not None
    else:
        evaluation.status = evaluation.Status.CLOSED
        evaluation.save(update_fields=["status"])
    users = User.objects.count()

    with pytest.raises(services.InvitationRefused) as refused:
        services.invitation_join(
            token=invitation.token, user=None, crowd=services.CrowdIds()
        )
    assert refused.value.code == state
    assert User.objects.count() == users
    assert not PoolMember.objects.filter(evaluation=evaluation).exists()


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"PROLIFIC_PID": "{{%PROLIFIC_PID%}}"}, "PROLIFIC_PID"),
        ({"PROLIFIC_PID": "ok", "STUDY_ID": "x" * 101}, "STUDY_ID"),
        ({"SESSION_ID": "a b"}, "SESSION_ID"),
        ({"SESSION_ID": "<script>"}, "SESSION_ID"),
    ],
)
def test_malformed_crowd_ids_are_named(params, named):
    with pytest.raises(services.InvalidCrowdId) as invalid:
        services.crowd_ids_clean(params)
    assert invalid.value.parameter == named
    assert invalid.value.message.startswith(f"{named}:")


def test_create_refuses_a_past_expiry_and_a_zero_quota(evaluation):
    with pytest.raises(services.ValidationError) as past:
        _invitation(evaluation, expires_at=timezone.now() - timedelta(minutes=1))
    assert "expires_at" in past.value.message_dict
    with pytest.raises(services.ValidationError) as zero:
        _invitation(evaluation, quota=0)
    assert "quota" in zero.value.message_dict
    assert not Invitation.objects.exists()


# Pages


def test_get_shows_the_guidelines_and_creates_nothing(client, evaluation):
    invitation = _invitation(evaluation, quota=2)
    users = User.objects.count()
    response = client.get(_join_url(invitation, **CROWD))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>honest</strong>" in page
    assert "You will rate up to 2 pairs" in page
    # The Start form posts back to the link with the crowd ids.
    assert f'action="{_join_url(invitation, **CROWD)}"'.replace("&", "&amp;") in page
    assert SECRET_CANDIDATE not in page
    assert SECRET_BASELINE not in page
    assert User.objects.count() == users
    assert not PoolMember.objects.filter(evaluation=evaluation).exists()
    assert "_auth_user_id" not in client.session


def test_post_signs_in_and_leases_the_first_pair(client, evaluation):
    invitation = _invitation(evaluation)
    response = client.post(_join_url(invitation, **CROWD))
    member = PoolMember.objects.get(evaluation=evaluation)
    lease = Assignment.objects.get(annotator=member.user)
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:assignment", args=[lease.pk])
    assert client.session["_auth_user_id"] == str(member.user.pk)
    assert member.participant_id == PID
    assert client.get(response["Location"]).status_code == 200


def test_a_new_browser_with_the_same_pid_gets_the_same_account(client, evaluation):
    invitation = _invitation(evaluation)
    client.post(_join_url(invitation, **CROWD))
    first = client.session["_auth_user_id"]
    client.logout()
    client.post(_join_url(invitation, PROLIFIC_PID=PID))
    assert client.session["_auth_user_id"] == first
    invitation.refresh_from_db()
    assert invitation.uses == 1


def test_a_second_link_tells_a_member_their_own_quota_applies(client, evaluation):
    first = _invitation(evaluation, quota=2)
    second = _invitation(evaluation, quota=1)
    client.post(_join_url(first, **CROWD))
    welcome = client.get(_join_url(second, PROLIFIC_PID="another-browser-pid"))
    html = welcome.content.decode()
    assert "You will rate up to 2 pairs (" in html  # theirs, not the second link's 1
    assert "You are already taking part in this evaluation" in html
    # A newcomer on the second link reads its own quota.
    client.logout()
    html = client.get(_join_url(second, PROLIFIC_PID="newcomer")).content.decode()
    assert "You will rate up to 1 pair (" in html
    assert "already taking part" not in html
    # One whose share is done is told so, not promised pairs.
    PoolMember.objects.filter(participant_id=PID).update(completed_at=timezone.now())
    html = client.get(_join_url(first, **CROWD)).content.decode()
    assert "You have already done your share of this evaluation" in html


def test_a_signed_in_annotator_posting_joins_as_themselves(
    client, evaluation, annotator
):
    invitation = _invitation(evaluation)
    client.force_login(annotator)
    users = User.objects.count()
    response = client.post(_join_url(invitation))
    assert response.status_code == 302
    assert User.objects.count() == users
    assert PoolMember.objects.get(evaluation=evaluation).user == annotator
    assert client.session["_auth_user_id"] == str(annotator.pk)


@pytest.mark.parametrize("role", ["researcher", "admin"])
def test_staff_previewing_a_link_are_warned_that_start_makes_them_raters(
    client, evaluation, annotator, role
):
    """A researcher pressing Start joined the pool and rated, knowing the models."""
    invitation = _invitation(evaluation)
    client.force_login(make_user(f"preview-{role}", role))
    page = client.get(_join_url(invitation)).content.decode()
    assert 'id="staff-warning"' in page
    assert "open the link in a private window" in page
    client.force_login(annotator)
    assert 'id="staff-warning"' not in client.get(_join_url(invitation)).text
    client.logout()
    assert 'id="staff-warning"' not in client.get(_join_url(invitation)).text


def test_a_participant_back_after_their_quota_gets_the_completion_url(
    client, evaluation
):
    invitation = _invitation(
        evaluation,
        quota=1,
        completion_url="https://app.prolific.com/submissions/complete?cc=X1",
    )
    first = client.post(_join_url(invitation, **CROWD))
    lease = Assignment.objects.get(pk=int(first["Location"].rstrip("/").split("/")[-1]))
    rating_submit(assignment_id=lease.pk, annotator=lease.annotator, choice=1)
    client.logout()

    again = client.post(_join_url(invitation, PROLIFIC_PID=PID))
    completed = reverse("annotations:completed", args=[evaluation.pk])
    assert again["Location"] == completed
    assert client.get(completed)["Location"] == invitation.completion_url
    assert Assignment.objects.filter(annotator=lease.annotator).count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_crowd_id_is_a_400_naming_it_and_stores_nothing(client, evaluation, method):
    invitation = _invitation(evaluation)
    users = User.objects.count()
    url = _join_url(invitation, PROLIFIC_PID=PID, STUDY_ID="x" * 101)
    response = getattr(client, method)(url)
    assert response.status_code == 400
    assert "STUDY_ID" in response.content.decode()
    assert User.objects.count() == users
    assert not PoolMember.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_revoked_and_full_links_answer_410(client, evaluation, method):
    revoked = _invitation(evaluation)
    services.invitation_revoke(invitation=revoked)
    full = _invitation(evaluation, max_uses=1)
    services.invitation_join(
        token=full.token, user=None, crowd=services.crowd_ids_clean(CROWD)
    )
    users = User.objects.count()
    for invitation, words in ((revoked, "withdrawn"), (full, "taken")):
        response = getattr(client, method)(_join_url(invitation))
        assert response.status_code == 410
        assert words in response.content.decode()
    assert User.objects.count() == users


def test_unknown_token_is_404(client, db):
    assert client.get("/join/nope/").status_code == 404


@pytest.mark.parametrize("token", ["%00", "a%00b", "%E2%80%AE", "a b"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_token_no_link_could_have_is_404(client, db, token, method):
    """A NUL in the link's token reached the query: PostgreSQL refused it, a 500."""
    assert getattr(client, method)(f"/join/{token}/").status_code == 404


def test_admin_creates_lists_and_revokes_links(client, evaluation):
    admin = make_user("adm-inv", roles.ADMIN)
    client.force_login(admin)
    progress = client.get(reverse("annotations:progress", args=[evaluation.pk]))
    page_url = reverse("annotations:invitations", args=[evaluation.pk])
    assert page_url in progress.content.decode()
    # The form's input takes what the server takes: at least one person (it
    # offered 0, then refused it; a new-user pass).
    form = client.get(page_url).content.decode()
    assert re.search(r'<input[^>]*name="max_uses"[^>]*min="1"', form)

    response = client.post(
        page_url,
        {
            "label": "Prolific pilot",
            "max_uses": 30,
            "expires_at": (timezone.now() + timedelta(days=3)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "quota": 20,
            "completion_code": "C1A2B3",
            "completion_url": "https://app.prolific.com/submissions/complete?cc=C1A2B3",
        },
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(evaluation=evaluation)
    assert (invitation.max_uses, invitation.quota, invitation.created_by) == (
        30,
        20,
        admin,
    )
    page = client.get(page_url).content.decode()
    assert f"http://testserver/join/{invitation.token}/" in page
    assert "0 / 30" in page

    revoke = reverse(
        "annotations:invitation-revoke", args=[evaluation.pk, invitation.pk]
    )
    assert client.post(revoke).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_bad_form_is_a_400_naming_the_field(client, evaluation):
    client.force_login(make_user("adm-inv", roles.ADMIN))
    page_url = reverse("annotations:invitations", args=[evaluation.pk])
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(page_url, {"max_uses": 3, "expires_at": past})
    assert response.status_code == 400
    assert "Choose a time in the future" in response.content.decode()
    response = client.post(
        page_url, {"max_uses": "", "expires_at": past, "completion_url": "nope"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"max_uses", "completion_url"}
    assert not Invitation.objects.exists()


def test_annotators_and_researchers_cannot_manage_links(client, evaluation, annotator):
    page_url = reverse("annotations:invitations", args=[evaluation.pk])
    for user in (annotator, make_user("res-inv", roles.RESEARCHER)):
        client.force_login(user)
        assert client.get(page_url).status_code == 403
        assert client.post(page_url, {"max_uses": 3}).status_code == 403
    invitation = _invitation(evaluation)
    revoke = reverse(
        "annotations:invitation-revoke", args=[evaluation.pk, invitation.pk]
    )
    assert client.post(revoke).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_no_places_or_a_zero_quota_is_a_400_naming_the_field(client, evaluation):
    client.force_login(make_user("adm-zero", roles.ADMIN))
    page_url = reverse("annotations:invitations", args=[evaluation.pk])
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    for field, values in (("max_uses", {"max_uses": 0}), ("quota", {"quota": 0})):
        response = client.post(
            page_url, {"max_uses": 3, "expires_at": future, **values}
        )
        assert response.status_code == 400
        assert field in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_an_evaluation_with_nothing_left_takes_no_place(client, evaluation):
    """A new-user pass opened a link after every pair was rated: a place was taken,
    and the participant got "Nothing left" and no completion code."""
    invitation = _invitation(evaluation, quota=2)
    rater = make_user("rater", roles.ANNOTATOR)
    evaluation.pool.add(rater)
    while lease := assignment_next(evaluation=evaluation, annotator=rater):
        rating_submit(assignment_id=lease.pk, annotator=rater, choice=1, seconds=2)
    url = f"/join/{invitation.token}/?PROLIFIC_PID=late1"
    page = client.get(url)
    assert page.status_code == 410
    assert "Nothing is left to rate in this evaluation" in page.content.decode()
    assert client.post(url).status_code == 410
    invitation.refresh_from_db()
    assert invitation.uses == 0
    assert not PoolMember.objects.filter(participant_id="late1").exists()


def test_a_single_response_evaluation_welcomes_to_rating_answers(client, db):
    """A new-user pass: its link said "compare pairs of answers ... which one is
    better" for a task that rates one answer from 1 to 7."""
    likert, _, _ = build_single(prompts=2, annotators=0, per_pair=1)
    invitation = _invitation(likert, quota=2)
    page = client.get(f"/join/{invitation.token}/").content.decode()
    assert "rate each one from 1 to 7" in page
    assert "You will rate up to 2 answers" in page
    assert "compare pairs" not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_uses", "-5", "Ensure this value is greater than or equal to 1."),
        ("max_uses", "0", "Ensure this value is greater than or equal to 1."),
        ("quota", "-5", "A quota is at least one pair."),
        ("quota", "0", "A quota is at least one pair."),
    ],
)
def test_the_link_form_names_the_real_minimum(
    client, evaluation, field, value, message
):
    """Both inputs offer 1 and up, and a value below it, negative or 0, is refused
    with the model's own minimum and message (a new-user pass: -5 said "at least
    0", 0 then "at least 1"; the quota's input offered 0)."""
    client.force_login(make_user("adm-min", roles.ADMIN))
    page_url = reverse("annotations:invitations", args=[evaluation.pk])
    form = client.get(page_url).content.decode()
    assert re.search(rf'<input[^>]*name="{field}"[^>]*min="1"', form)
    data = {
        "label": "pilot",
        "max_uses": 3,
        "expires_at": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        field: value,
    }
    response = client.post(page_url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()
