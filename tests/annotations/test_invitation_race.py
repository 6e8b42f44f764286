"""Joining by link under concurrency on PostgreSQL: the last places are never oversold."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotations.models import Invitation, PoolMember
from annotations.services import invitations as services

from .conftest import build_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 12
PLACES = 5


def test_many_people_opening_the_last_places_at_once_fill_exactly_max_uses(
    require_postgres,
):
    evaluation, _, _ = build_evaluation(pairs=1, annotators=0, per_pair=1)
    invitation = services.invitation_create(
        evaluation=evaluation,
        max_uses=PLACES,
        expires_at=timezone.now() + timedelta(hours=1),
        created_by=None,
    )
    start = threading.Barrier(PEOPLE)
    outcomes: list[str] = []

    def person(index: int) -> None:
        crowd = services.CrowdIds(participant_id=f"pid{index}")
        try:
            start.wait()
            services.invitation_join(token=invitation.token, user=None, crowd=crowd)
            outcomes.append("joined")
        except services.InvitationRefused as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["full"] * (PEOPLE - PLACES) + ["joined"] * PLACES
    invitation.refresh_from_db()
    assert invitation.uses == PLACES
    assert PoolMember.objects.filter(invitation=invitation).count() == PLACES
    assert Invitation.objects.count() == 1


def test_one_participant_opening_the_link_twice_at_once_gets_one_account(
    require_postgres,
):
    evaluation, _, _ = build_evaluation(pairs=1, annotators=0, per_pair=1)
    invitation = services.invitation_create(
        evaluation=evaluation,
        max_uses=10,
        expires_at=timezone.now() + timedelta(hours=1),
        created_by=None,
    )
    start = threading.Barrier(4)
    users = []

    def tab() -> None:
        try:
            start.wait()
            joined = services.invitation_join(
                token=invitation.token,
                user=None,
                crowd=services.CrowdIds(participant_id="same-person"),
            )
            users.append(joined.user.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(users) == 4
    assert len(set(users)) == 1
    invitation.refresh_from_db()
    assert invitation.uses == 1
