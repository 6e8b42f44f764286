"""Invitation links: creating and revoking them, and joining an evaluation's pool by one.

Joining locks the invitation row (``SELECT ... FOR UPDATE``) before it counts its
uses, so people opening the last place at the same moment join one at a time and
exactly ``max_uses`` get in; the check constraint ``uses <= max_uses`` backs the
rule. A crowd participant (``PROLIFIC_PID``) who opens the link again, from any
browser, signs back into the account made for them the first time and uses no place.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import roles
from ..models import Evaluation, Invitation, PoolMember
from . import pair_queries

# The query parameters crowd platforms append (Prolific's names), and where they go.
CROWD_PARAMETERS = {
    "PROLIFIC_PID": "participant_id",
    "STUDY_ID": "study_id",
    "SESSION_ID": "session_id",
}
_CROWD_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


@dataclass(frozen=True)
class CrowdIds:
    participant_id: str = ""
    study_id: str = ""
    session_id: str = ""


class InvalidCrowdId(Exception):
    """A crowd id in the link is malformed; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class InvitationRefused(Exception):
    """The link no longer lets anyone in; ``message`` is meant for the visitor."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Joined:
    user: AbstractBaseUser
    member: PoolMember
    new_account: bool
    used_place: bool


def crowd_ids_clean(params: Mapping[str, str]) -> CrowdIds:
    """The crowd ids of a link's query string (absent ones empty); InvalidCrowdId
    names the first malformed one (at most 100 letters, digits, ``_`` or ``-``)."""
    values = {}
    for parameter, field in CROWD_PARAMETERS.items():
        value = params.get(parameter, "")
        if value and not _CROWD_ID.fullmatch(value):
            hint = (
                " (the platform's placeholder was not filled in)"
                if "{" in value or "%" in value
                else ""
            )
            raise InvalidCrowdId(
                parameter,
                f"{parameter}: expected at most 100 letters, digits, '_' or '-'{hint}.",
            )
        values[field] = value
    return CrowdIds(**values)


def invitation_refusal(invitation: Invitation, *, now: datetime) -> str | None:
    """Why the link lets no new person in (a code), or None while it does."""
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.evaluation.status != Evaluation.Status.OPEN:
        return "closed"
    if invitation.uses >= invitation.max_uses:
        return "full"
    if not _work_left(invitation.evaluation, now):
        return "no_work"
    return None


def _work_left(evaluation: Evaluation, now: datetime) -> bool:
    """Is a pair open to someone new (a place taken on a full evaluation gave no pair
    and no completion code; a new-user pass)?"""
    if evaluation.stopped_at is not None:
        return False
    return bool(
        pair_queries.open_count(
            evaluation_id=evaluation.pk,
            per_pair=evaluation.annotators_per_pair,
            user_id=0,  # nobody's: every pair with room counts
            now=now,
        )
    )


REFUSALS = {
    "revoked": "This invitation link was withdrawn.",
    "expired": "This invitation link has expired.",
    "closed": "This evaluation is closed.",
    "full": "Every place offered by this invitation link is taken.",
    "no_work": "Nothing is left to rate in this evaluation, so no place was taken. "
    "Thank you for your interest.",
}


def invitation_create(
    *,
    evaluation: Evaluation,
    max_uses: int,
    expires_at: datetime,
    created_by: AbstractBaseUser | None,
    label: str = "",
    quota: int | None = None,
    completion_code: str = "",
    completion_url: str = "",
    now: datetime | None = None,
) -> Invitation:
    """A new link into ``evaluation``'s pool; ValidationError names a bad field."""
    now = now or timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": "Choose a time in the future."})
    if max_uses < 1:
        raise ValidationError({"max_uses": "At least one person must be able to join."})
    if quota is not None and quota < 1:
        raise ValidationError({"quota": "A quota is at least one pair."})
    invitation = Invitation(
        evaluation=evaluation,
        label=label,
        max_uses=max_uses,
        expires_at=expires_at,
        quota=quota,
        completion_code=completion_code,
        completion_url=completion_url,
        created_by=created_by,
    )
    invitation.full_clean()
    with transaction.atomic(durable=True):
        invitation.save()
    return invitation


def invitation_revoke(*, invitation: Invitation, now: datetime | None = None) -> None:
    """Close the link for good; those who joined stay in the pool. Idempotent."""
    with transaction.atomic(durable=True):
        Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now()
        )
    invitation.refresh_from_db(fields=["revoked_at"])


def invitation_join(
    *,
    token: str,
    user: AbstractBaseUser | None,
    crowd: CrowdIds,
    now: datetime | None = None,
) -> Joined:
    """Put the visitor in the invitation's evaluation pool.

    In order: a participant id already in the pool signs back into that account; a
    signed-in ``user`` already in the pool stays as they are; otherwise one place is
    used, by ``user`` or by a new annotator account (generated username, unusable
    password). Invitation.DoesNotExist for an unknown token; InvitationRefused when
    the link is revoked, expired, full or its evaluation has nothing left (re-entries
    excepted), or the evaluation is closed.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("evaluation")
            .get(token=token)
        )
        evaluation = invitation.evaluation
        refusal = invitation_refusal(invitation, now=now)
        if refusal in ("revoked", "expired", "closed"):
            raise InvitationRefused(refusal, REFUSALS[refusal])
        member = pool_member_returning(evaluation=evaluation, user=user, crowd=crowd)
        if member is not None:
            return Joined(member.user, member, new_account=False, used_place=False)
        if refusal in ("full", "no_work"):  # its own members still come back
            raise InvitationRefused(refusal, REFUSALS[refusal])
        new_account = user is None
        if new_account:
            user = _annotator_new()
        member = PoolMember.objects.create(
            evaluation=evaluation,
            user=user,
            invitation=invitation,
            quota=invitation.quota,
            participant_id=crowd.participant_id,
            study_id=crowd.study_id,
            session_id=crowd.session_id,
            joined_at=now,
        )
        # The row is locked, so the guard only restates the check constraint.
        Invitation.objects.filter(pk=invitation.pk, uses__lt=F("max_uses")).update(
            uses=F("uses") + 1
        )
    return Joined(user, member, new_account=new_account, used_place=True)


def pool_member_returning(
    *, evaluation: Evaluation, user: AbstractBaseUser | None, crowd: CrowdIds
) -> PoolMember | None:
    """The pool member a visitor comes back as: by participant id, else by account."""
    members = PoolMember.objects.select_related("user").filter(evaluation=evaluation)
    if crowd.participant_id:
        member = members.filter(participant_id=crowd.participant_id).first()
        if member is not None:
            return member
    if user is not None:
        return members.filter(user=user).first()
    return None


def _annotator_new() -> AbstractBaseUser:
    user = get_user_model()(username=f"guest-{secrets.token_hex(6)}")
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.add(roles.group_for(roles.ANNOTATOR))
    return user
