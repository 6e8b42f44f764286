"""Leasing the next pair to an annotator (DESIGN.md section 4); see assignments.py
for the locking protocol shared with submits."""

from __future__ import annotations

import random
import time
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import allocation
from ..models import Assignment, Comparison, Evaluation
from . import pair_queries
from .assignment_errors import EvaluationClosed, NotInPool

State = Assignment.State
_WINDOW = 2
_RETRIES = 50


def live_leases(now: datetime) -> Q:
    return Q(state=State.LEASED, expires_at__gt=now)


def _lease(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    candidate: allocation.Candidate,
    now: datetime,
    rng: random.Random | None,
) -> Assignment:
    expires_at = allocation.lease_expiry(now, minutes=evaluation.lease_minutes)
    if candidate.own == allocation.OwnState.LEASE_EXPIRED:
        assignment = Assignment.objects.select_for_update(no_key=True).get(
            comparison_id=candidate.comparison_id, annotator=annotator
        )
        assignment.state = State.LEASED
        assignment.leased_at = now
        assignment.expires_at = expires_at
        assignment.ended_at = None
        assignment.save(update_fields=["state", "leased_at", "expires_at", "ended_at"])
        return assignment
    return Assignment.objects.create(
        comparison_id=candidate.comparison_id,
        annotator=annotator,
        candidate_on_left=allocation.draw_candidate_on_left(rng),
        state=State.LEASED,
        leased_at=now,
        expires_at=expires_at,
    )


def assignment_next(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Assignment | None:
    """Lease the next pair to ``annotator``; None when nothing is left for them.

    Returns the annotator's live lease in this evaluation if they hold one. Raises
    NotInPool or EvaluationClosed.
    """
    now = now or timezone.now()
    if evaluation.status != Evaluation.Status.OPEN:
        raise EvaluationClosed("This evaluation is closed.")
    per_pair = evaluation.annotators_per_pair
    with transaction.atomic():
        # Locking the pool membership checks it and serializes one annotator's own
        # requests (two tabs asking at once).
        membership = Evaluation.pool.through.objects.select_for_update(no_key=True)
        if not list(
            membership.filter(evaluation=evaluation, user=annotator).values_list(
                "pk", flat=True
            )
        ):
            raise NotInPool("You are not in this evaluation's annotator pool.")
        current = (
            Assignment.objects.filter(
                live_leases(now),
                comparison__evaluation=evaluation,
                annotator=annotator,
            )
            .order_by("leased_at")
            .first()
        )
        if current is not None:
            return current
        query = {
            "evaluation_id": evaluation.pk,
            "per_pair": per_pair,
            "user_id": annotator.pk,
            "now": now,
        }
        for attempt in range(_RETRIES):
            # Started pairs first (partly rated or leased), then untouched ones.
            for started in (True, False):
                lease = _lease_from_window(
                    evaluation=evaluation,
                    annotator=annotator,
                    query=query,
                    started=started,
                    now=now,
                    rng=rng,
                )
                if lease is not None:
                    return lease
            # Nothing free: either the work is done, or every open pair is locked by
            # someone leasing it right now; wait for those to commit.
            if not pair_queries.open_count(**query):
                return None
            time.sleep(0.002 * (attempt + 1))
    return None


def _lease_from_window(
    *, evaluation, annotator, query: dict, started: bool, now, rng
) -> Assignment | None:
    per_pair = evaluation.annotators_per_pair
    window = pair_queries.open_window(**query, limit=_WINDOW, started=started)
    candidates = [
        allocation.Candidate(
            pk,
            occupied,
            allocation.OwnState.LEASE_EXPIRED
            if own_expired
            else allocation.OwnState.NONE,
        )
        for pk, occupied, own_expired in window
    ]
    for candidate in allocation.rank(candidates, per_pair=per_pair):
        ratings, leases = pair_queries.occupied_by_others(
            comparison_id=candidate.comparison_id, user_id=annotator.pk, now=now
        )
        if allocation.has_room(occupied_by_others=ratings + leases, per_pair=per_pair):
            if not started:
                Comparison.objects.filter(pk=candidate.comparison_id).update(
                    stage=Comparison.Stage.STARTED
                )
            return _lease(
                evaluation=evaluation,
                annotator=annotator,
                candidate=candidate,
                now=now,
                rng=rng,
            )
        if ratings >= per_pair:  # filled since the window was read: keep stage true
            Comparison.objects.filter(pk=candidate.comparison_id).update(
                stage=Comparison.Stage.COMPLETE
            )
    return None
