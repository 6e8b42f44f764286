"""An annotator's own state in an evaluation's pool: their own order of the untouched
pairs, pause and resume, and quotas with a completion code or address."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotations import allocation
from annotations.models import Assignment, Comparison, PoolMember, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit
from annotations.services.membership import annotator_pause, annotator_resume

from .conftest import build_evaluation

Stage = Comparison.Stage


def _seed(evaluation, user) -> int:
    return PoolMember.objects.get(evaluation=evaluation, user=user).order_seed


def _rate_all(evaluation, user, *, limit: int | None = None) -> list[int]:
    """The pairs the annotator is given, in order, rating each."""
    seen = []
    while limit is None or len(seen) < limit:
        try:
            lease = services.assignment_next(evaluation=evaluation, annotator=user)
        except services.QuotaDone:
            break
        if lease is None:
            break
        seen.append(lease.comparison_id)
        services.rating_submit(
            assignment_id=lease.pk, annotator=user, choice=1, seconds=3
        )
    return seen


def test_own_order_is_a_permutation_fixed_by_the_seed():
    ids = list(range(1, 41))
    first = allocation.own_order(7, ids)
    assert sorted(first) == ids
    assert allocation.own_order(7, reversed(ids)) == first  # the input order is moot
    assert allocation.own_order(8, ids) != first
    # By hand: seed 7's coefficients (a, b, c, d, e) are the BLAKE2b digest of "7",
    # and pair x's key is (y + d)(y + e) mod p with y = ((x + a)(x + b) mod p)(x + c)
    # mod p; pinned, so that a seed recorded today rebuilds the same order later.
    a, b, c, d, e = allocation.own_order_coefficients(7)
    assert (a, b, c, d, e) == (126691743, 268117654, 69641984, 528193654, 107254130)
    p = allocation.OWN_ORDER_PRIME
    first_round = {x: (x + a) * (x + b) * (x + c) % p for x in ids}
    keys = {x: (y + d) * (y + e) % p for x, y in first_round.items()}
    assert first == sorted(ids, key=keys.__getitem__)
    assert allocation.own_order(7, range(1, 11)) == [6, 8, 2, 3, 10, 1, 4, 5, 9, 7]


def test_each_annotator_gets_the_untouched_pairs_in_their_own_recorded_order(db):
    """N = 1, twelve pairs: the first annotator rates six, then the second the rest.
    Each one's sequence is their own order (rebuilt from the seed recorded on their
    pool membership) of the pairs still open to them; the two orders differ."""
    evaluation, comparisons, (first, second) = build_evaluation(
        pairs=12, annotators=2, per_pair=1
    )
    ids = [comparison.pk for comparison in comparisons]
    seed_first, seed_second = _seed(evaluation, first), _seed(evaluation, second)
    assert seed_first != seed_second

    taken = _rate_all(evaluation, first, limit=6)
    assert taken == allocation.own_order(seed_first, ids)[:6]
    rest = _rate_all(evaluation, second)
    assert rest == [
        pk for pk in allocation.own_order(seed_second, ids) if pk not in taken
    ]
    assert allocation.own_order(seed_first, ids) != allocation.own_order(
        seed_second, ids
    )
    assert Rating.objects.count() == 12


def test_started_pairs_still_come_before_anyone_s_own_order(db):
    """Pairs are finished before new ones start, whatever the annotators' orders."""
    evaluation, _, users = build_evaluation(pairs=6, annotators=3, per_pair=3)
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    for user in users[1:]:
        assert (
            services.assignment_next(
                evaluation=evaluation, annotator=user
            ).comparison_id
            == lease.comparison_id
        )


def test_a_paused_annotator_gets_no_pair_and_their_lease_returns_to_the_pool(db):
    evaluation, _, (paused, other) = build_evaluation(pairs=1, annotators=2, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=paused)
    assert Comparison.objects.get().stage == Stage.STARTED
    assert services.assignment_next(evaluation=evaluation, annotator=other) is None

    released = annotator_pause(
        evaluation=evaluation, annotator=paused, message="Too fast: talk to Ana."
    )
    assert released == 1
    lease.refresh_from_db()
    assert lease.state == Assignment.State.EXPIRED
    assert Comparison.objects.get().stage == Stage.UNTOUCHED
    with pytest.raises(services.Paused, match=r"Too fast: talk to Ana\."):
        services.assignment_next(evaluation=evaluation, annotator=paused)
    # Their answer to the pair they held is refused: nothing stored.
    outcome = answer_submit(
        assignment_id=lease.pk, annotator=paused, action="rate", choice=2, seconds=4
    )
    assert isinstance(outcome.refusal, services.Paused)
    assert outcome.refusal.message == "Too fast: talk to Ana."  # the lead's own words
    assert outcome.following is None
    assert not Rating.objects.exists()
    # The pair went back to the pool: the other annotator takes and rates it.
    taken = services.assignment_next(evaluation=evaluation, annotator=other)
    assert taken.comparison_id == lease.comparison_id

    annotator_resume(evaluation=evaluation, annotator=paused)
    member = PoolMember.objects.get(evaluation=evaluation, user=paused)
    assert (member.paused_at, member.pause_message) == (None, "")
    assert services.assignment_next(evaluation=evaluation, annotator=paused) is None


def test_a_paused_annotator_is_told_so_by_the_api_and_the_page(db, client):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    annotator_pause(evaluation=evaluation, annotator=user, message="Paused: see mail.")
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(f"/api/evaluations/{evaluation.pk}/next/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Paused: see mail.", "code": "paused"}
    client.force_login(user)
    page = client.post(reverse("annotations:next", args=[evaluation.pk]), follow=True)
    assert "Paused: see mail." in page.content.decode()
    assert not Assignment.objects.exists()


def test_a_pair_held_when_paused_says_paused_not_here_is_the_next_one(db, client):
    evaluation, _, (user,) = build_evaluation(pairs=2, annotators=1, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    annotator_pause(evaluation=evaluation, annotator=user, message="Paused: see mail.")
    client.force_login(user)
    page = client.get(f"/assignments/{lease.pk}/", follow=True).content.decode()
    assert "Paused: see mail." in page
    assert "here is the next one" not in page


def test_pairs_left_count_within_the_quota_and_a_pause_shows_on_the_home(db, client):
    evaluation, _, (user, other) = build_evaluation(pairs=6, annotators=2, per_pair=1)
    PoolMember.objects.filter(evaluation=evaluation, user=user).update(quota=2)
    client.force_login(user)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    page = client.get(f"/assignments/{lease.pk}/").content.decode()
    assert '<b class="left-count">2</b> left' in page  # the quota's 2, not 6
    answer_submit(assignment_id=lease.pk, annotator=user, action="rate", choice=1)
    home = client.get("/").content.decode()
    assert '<td class="num">1</td>\n        <td class="num">1</td>' in home
    annotator_pause(evaluation=evaluation, annotator=user, message="Take a break.")
    home = client.get("/").content.decode()
    assert "Paused: Take a break." in home
    assert "Continue rating" not in home
    client.force_login(other)  # no quota: every pair not theirs
    assert (
        '<td class="num">0</td>\n        <td class="num">5</td>'
        in client.get("/").content.decode()
    )


def test_pairs_held_by_others_are_not_called_nothing_left(db, client):
    """The home counted a pair another annotator held as left, and the next
    button then said nothing was left at all."""
    evaluation, _, (holder, other) = build_evaluation(pairs=1, annotators=2, per_pair=1)
    services.assignment_next(evaluation=evaluation, annotator=holder)
    client.force_login(other)
    page = client.post(
        reverse("annotations:next", args=[evaluation.pk]), follow=True
    ).content.decode()
    assert "Nothing is free for you right now: the pair left is being rated" in page
    assert "Nothing is left for you" not in page
    # Once it is rated, nothing is left indeed.
    (held,) = Assignment.objects.filter(annotator=holder)
    answer_submit(assignment_id=held.pk, annotator=holder, action="rate", choice=1)
    page = client.post(
        reverse("annotations:next", args=[evaluation.pk]), follow=True
    ).content.decode()
    assert "Nothing is left for you in this evaluation" in page


def test_quota_stops_the_annotator_and_records_completion(db, client):
    evaluation, _, (user, other) = build_evaluation(
        pairs=4, annotators=2, per_pair=1, quota=2, completion_code="C0DE-42"
    )
    assert len(_rate_all(evaluation, user)) == 2
    member = PoolMember.objects.get(evaluation=evaluation, user=user)
    assert member.completed_at is not None
    with pytest.raises(services.QuotaDone):
        services.assignment_next(evaluation=evaluation, annotator=user)
    # The others' quota is their own: the other annotator rates the two left.
    assert len(_rate_all(evaluation, other)) == 2

    client.force_login(user)
    page = client.get(reverse("annotations:completed", args=[evaluation.pk]))
    assert page.status_code == 200
    assert "C0DE-42" in page.content.decode()
    # The home leads back to it (it said "Nothing left", with no link).
    home = client.get("/").content.decode()
    assert reverse("annotations:completed", args=[evaluation.pk]) in home
    assert "Your share is done" in home


def test_a_member_s_own_quota_wins_and_the_last_answer_leads_to_the_completion(
    db, client
):
    """The page's answer flow: after the quota's last rating, the fragment is the
    completion, with the crowd platform's address to continue to."""
    evaluation, _, (user,) = build_evaluation(
        pairs=5,
        annotators=1,
        per_pair=1,
        quota=4,
        completion_url="https://app.prolific.example/submissions/complete?cc=XYZ",
    )
    PoolMember.objects.filter(user=user).update(quota=1)
    client.force_login(user)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    response = client.post(
        reverse("annotations:answer", args=[lease.pk]),
        {"action": "rate", "choice": "1", "seconds": "3"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    body = response.json()
    assert body["url"] == reverse("annotations:completed", args=[evaluation.pk])
    assert "prolific.example/submissions/complete?cc=XYZ" in body["html"]
    # The script goes on to it (rate.js: ``leave``), as the page does without it.
    assert body["leave"] == "https://app.prolific.example/submissions/complete?cc=XYZ"
    page = client.get(body["url"])
    assert page.status_code == 302
    assert page["Location"].startswith("https://app.prolific.example/")


def test_the_api_hands_on_the_completion_code(db):
    evaluation, _, (user,) = build_evaluation(
        pairs=3, annotators=1, per_pair=1, quota=1, completion_code="DONE-1"
    )
    api = APIClient()
    api.force_authenticate(user)
    pair = api.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    answered = api.post(
        f"/api/assignments/{pair['assignment']}/rating/",
        {"choice": 1, "seconds": 2},
        format="json",
    ).json()
    assert answered["next"] is None
    assert (answered["stopped"], answered["completion_code"]) == (
        "quota_done",
        "DONE-1",
    )
    again = api.post(f"/api/evaluations/{evaluation.pk}/next/")
    assert again.status_code == 409
    assert again.json()["code"] == "quota_done"
    assert again.json()["completion_code"] == "DONE-1"


def test_the_completion_page_sends_back_an_annotator_not_done(db, client):
    evaluation, _, (user,) = build_evaluation(
        pairs=3, annotators=1, per_pair=1, quota=2
    )
    client.force_login(user)
    response = client.get(reverse("annotations:completed", args=[evaluation.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:home")


def test_a_paused_annotator_may_not_undo_a_skip_nor_change_a_rating(db):
    from django.utils import timezone

    from annotations.services.answer_changes import rating_revise, skip_undo

    evaluation, _, (user,) = build_evaluation(pairs=3, annotators=1, per_pair=2)
    now = timezone.now()
    rated = services.assignment_next(evaluation=evaluation, annotator=user, now=now)
    rating = services.rating_submit(
        assignment_id=rated.pk, annotator=user, choice=1, seconds=3, now=now
    ).rating
    skipped = services.assignment_next(evaluation=evaluation, annotator=user, now=now)
    answer_submit(assignment_id=skipped.pk, annotator=user, action="skip", now=now)
    annotator_pause(evaluation=evaluation, annotator=user, message="Held.")
    with pytest.raises(services.Paused):
        skip_undo(assignment_id=skipped.pk, annotator=user, now=now)
    with pytest.raises(services.Paused):
        rating_revise(rating_id=rating.pk, annotator=user, choice=-2)
    assert Rating.objects.get().choice == 1
    assert Assignment.objects.get(pk=skipped.pk).state == Assignment.State.SKIPPED


def test_the_loop_pauses_an_annotator_who_crosses_a_threshold(db):
    """qc_pause on, at most half the answers under 5 s, checked from 3 answers on:
    three answers of 1 s each (fast share 3 / 3 = 1.0 > 0.5) pause the annotator
    after the third, whose next pair goes back to the pool."""
    evaluation, _, (user,) = build_evaluation(
        pairs=6,
        annotators=1,
        per_pair=1,
        qc_pause=True,
        qc_min_answers=3,
        min_seconds=5,
        qc_max_fast_share=0.5,
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    for answered in range(3):
        member = PoolMember.objects.get(evaluation=evaluation, user=user)
        assert member.paused_at is None, f"paused after {answered} answers"
        outcome = answer_submit(
            assignment_id=lease.pk, annotator=user, action="rate", choice=1, seconds=1
        )
        lease = outcome.following
    member = PoolMember.objects.get(evaluation=evaluation, user=user)
    assert member.paused_at is not None
    assert "quality control" in member.pause_message.lower()
    # The pausing answer says so itself: it handed out a pair that the pause took
    # back, and the next answer was refused (a new-user pass).
    assert outcome.following is None
    assert isinstance(outcome.stopped, services.Paused)
    assert outcome.stopped.message == member.pause_message
    assert member.pause_message in outcome.notice
    assert not Assignment.objects.filter(state=Assignment.State.LEASED).exists()
    with pytest.raises(services.Paused):
        services.assignment_next(evaluation=evaluation, annotator=user)


def test_the_api_answer_that_pauses_carries_the_pause_and_no_next_pair(db):
    from rest_framework.test import APIClient

    evaluation, _, (user,) = build_evaluation(
        pairs=6,
        annotators=1,
        per_pair=1,
        qc_pause=True,
        qc_min_answers=2,
        min_seconds=5,
        qc_max_fast_share=0.5,
    )
    api = APIClient()
    api.force_authenticate(user)
    pair = api.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    first = api.post(
        f"/api/assignments/{pair['assignment']}/rating/",
        {"choice": 1, "seconds": 1},
        format="json",
    ).json()
    assert first["next"] is not None
    second = api.post(
        f"/api/assignments/{first['next']['assignment']}/rating/",
        {"choice": 1, "seconds": 1},
        format="json",
    )
    assert second.status_code == 201
    body = second.json()
    assert body["next"] is None
    assert body["stopped"] == "paused"
    assert "Paused by quality control" in body["notice"]


def test_the_quality_page_and_api_name_a_crowd_participant(db, client):
    from tests.conftest import make_user

    evaluation, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    PoolMember.objects.filter(user=user).update(participant_id="5f1e2d3c4b")
    client.force_login(make_user("lead", "admin"))
    page = client.get(reverse("annotations:quality", args=[evaluation.pk]))
    assert "5f1e2d3c4b" in page.content.decode()
    rows = client.get(f"/api/evaluations/{evaluation.pk}/quality/").json()
    rows = rows.get("annotators", rows) if isinstance(rows, dict) else rows
    assert [row["participant_id"] for row in rows] == ["5f1e2d3c4b"]


def test_a_nul_in_a_pause_message_or_a_flag_note_is_a_400_naming_it(db, client):
    """PostgreSQL text cannot hold NUL: refused, naming the field, nothing changed."""
    from annotations.models import FlagReview
    from tests.conftest import make_user

    evaluation, _, (user, other) = build_evaluation(pairs=2, annotators=2, per_pair=2)
    lease = services.assignment_next(evaluation=evaluation, annotator=other)
    services.assignment_flag(assignment_id=lease.pk, annotator=other, comment="cut")
    client.force_login(make_user("nul-lead", "admin"))
    paused = client.post(
        reverse("annotations:quality-pause", args=[evaluation.pk, user.pk]),
        {"action": "pause", "message": "stop\x00"},
    )
    assert paused.status_code == 400
    assert paused.content.decode().startswith("message:")
    assert PoolMember.objects.get(user=user).paused_at is None
    review = client.post(
        f"/api/comparisons/{lease.comparison_id}/flag-reviews/",
        {"action": "keep", "note": "ok\x00"},
        content_type="application/json",
    )
    assert review.status_code == 400
    assert "note" in review.json()
    assert not FlagReview.objects.exists()


def test_a_participant_who_runs_out_of_pairs_before_the_quota_gets_the_code(db, client):
    """A new-user pass: quota 20, 8 pairs; after the eighth, "Nothing is left" and no
    completion code, so a Prolific participant could not finish."""
    evaluation, _, (user, fresh) = build_evaluation(
        pairs=3, annotators=2, per_pair=1, quota=20, completion_code="CODE-X"
    )
    assert len(_rate_all(evaluation, user)) == 3
    member = PoolMember.objects.get(evaluation=evaluation, user=user)
    assert member.completed_at is not None
    with pytest.raises(services.QuotaDone):
        services.assignment_next(evaluation=evaluation, annotator=user)
    client.force_login(user)
    page = client.get(reverse("annotations:completed", args=[evaluation.pk]))
    assert "CODE-X" in page.content.decode()
    # Someone who rated nothing is not done: nothing left is only nothing left.
    assert services.assignment_next(evaluation=evaluation, annotator=fresh) is None
    assert PoolMember.objects.get(user=fresh).completed_at is None


def test_undoing_a_skip_or_changing_a_rating_when_paused_is_a_403_with_the_message(
    db,
):
    """Undo-skip and a rating's change answered a paused annotator 409 with a
    generic text, where the next pair and an answer say 403 and the admin's
    message (a third API pass)."""
    evaluation, _, (user,) = build_evaluation(pairs=3, annotators=1, per_pair=1)
    api = APIClient()
    api.force_authenticate(user)
    first = api.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    rated = api.post(
        f"/api/assignments/{first['assignment']}/rating/", {"choice": 1, "seconds": 3}
    ).json()
    skipped = rated["next"]["assignment"]
    api.post(f"/api/assignments/{skipped}/skip/")
    annotator_pause(evaluation=evaluation, annotator=user, message="Paused: see mail.")
    rating = Rating.objects.get()
    refused = {"detail": "Paused: see mail.", "code": "paused"}
    response = api.post(f"/api/assignments/{skipped}/undo-skip/")
    assert (response.status_code, response.json()) == (403, refused)
    response = api.patch(f"/api/ratings/{rating.pk}/", {"choice": -3}, format="json")
    assert (response.status_code, response.json()) == (403, refused)
    rating.refresh_from_db()
    assert rating.choice == 1
    assert Assignment.objects.get(pk=skipped).state == Assignment.State.SKIPPED
