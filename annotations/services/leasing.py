"""Leasing the next pair to an annotator; see assignments.py for the locking
protocol shared with answers and allocation.py for the rule."""

from __future__ import annotations

import random
import time
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import allocation, allocation_adaptive
from ..models import Assignment, Comparison, Evaluation
from . import adaptive_queries, pair_queries, stages
from .assignment_errors import (
    EvaluationClosed,
    EvaluationStopped,
    NotInPool,
    PairsBusy,
    Paused,
    QuotaDone,
)
from .sql import loaded

State = Assignment.State
_WINDOW = 2
_RETRIES = 50
STOPPED = "This evaluation has stopped: its result is decided. Thank you!"
PAUSED = "Your work on this evaluation is paused; the organisers will be in touch."
RAN_OUT = "Nothing more is left for you here: your part is done. Thank you!"


def assignment_next(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Assignment | None:
    """Lease the next pair to ``annotator``; None when nothing is left for them.

    Returns the annotator's live lease in this evaluation if they hold one. Raises
    NotInPool, EvaluationClosed, Paused or QuotaDone (having recorded when the quota
    was done), and PairsBusy when pairs are still open but stayed locked by other
    clicks through every retry (about 2.5 s).
    """
    now = now or timezone.now()
    done = None
    with transaction.atomic(durable=True):
        try:
            lease, new = lease_next(
                evaluation=evaluation, annotator=annotator, now=now, rng=rng
            )
        except QuotaDone as error:  # its completion time is kept: commit, then raise
            done, lease, new = error, None, False
        if new:
            stages.stages_refresh(comparison_ids=[lease.comparison_id])
    if done is not None:
        raise done
    return lease


def lease_next(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    now: datetime,
    rng: random.Random | None = None,
    wait: bool = True,
) -> tuple[Assignment | None, bool]:
    """``assignment_next`` inside the caller's transaction: (the lease, whether it
    is new). The caller refreshes the stage of a new lease's pair, whose row it
    holds locked. The lease comes with its comparison, prompt and generations
    loaded.

    Refuses a paused annotator (Paused) and one whose quota is done (QuotaDone,
    recording the time in the caller's transaction the first time); untouched pairs
    come in the annotator's own order (seeded on their pool membership), in an
    adaptive tournament after the rule's order of their model pairs.

    With ``wait=False`` it raises PairsBusy where it would wait for pairs locked by
    others. A caller holding a pair's lock (an answer) must not wait: the click
    holding the pair it waits for may be waiting for the caller's pair, and both
    would sleep until they give up, telling their annotators nothing is left.
    """
    # Locking the pool membership checks it and serializes one annotator's own
    # requests (two tabs asking at once), so the lease they hold is read exactly.
    # Checked first: whether an evaluation is closed is its pool's business.
    member = pair_queries.membership_lock(
        evaluation_id=evaluation.pk, user_id=annotator.pk
    )
    if member is None:
        raise NotInPool("You are not in this evaluation's annotator pool.")
    if evaluation.status != Evaluation.Status.OPEN:
        raise EvaluationClosed("This evaluation is closed.")
    if evaluation.stopped_at is not None:
        # A pair leased before the stop may still be answered: it is handed back
        # (an annotator who had lost its page could not reach it).
        held = pair_queries.held_lease(
            evaluation_id=evaluation.pk, user_id=annotator.pk, now=now
        )
        if held is not None:
            return _held(held, evaluation), False
        raise EvaluationStopped(STOPPED)
    if member.paused:
        raise Paused(member.pause_message or PAUSED)
    # Counted only where a quota is set; read once, here and when nothing is left.
    rated = (
        pair_queries.rated_count(evaluation_id=evaluation.pk, user_id=annotator.pk)
        if member.quota is not None
        else None
    )
    if rated is not None and member.quota_reached(rated):
        if not member.completed:
            pair_queries.member_complete(member_id=member.id, now=now)
        raise QuotaDone
    query = {
        "evaluation_id": evaluation.pk,
        "per_pair": evaluation.annotators_per_pair,
        "user_id": annotator.pk,
        "now": now,
    }
    untouched = _adaptive_order(evaluation)
    for attempt in range(_RETRIES if wait else 1):
        window = pair_queries.open_window(
            **query, limit=_WINDOW, order_seed=member.order_seed, untouched=untouched
        )
        held = (
            window[0].held
            if window
            else pair_queries.held_lease(
                evaluation_id=evaluation.pk, user_id=annotator.pk, now=now
            )
        )
        if held is not None:
            return _held(held, evaluation), False
        lease, full = None, []
        for row in _ranked(window, per_pair=evaluation.annotators_per_pair):
            lease = _lease(
                evaluation=evaluation, annotator=annotator, row=row, now=now, rng=rng
            )
            if lease is not None:
                break
            if not row.started:
                full.append(row.comparison_id)
        if full:  # filled while its stage said untouched: make the stage true
            stages.stages_refresh(comparison_ids=full)
        if lease is not None:
            return lease, True
        # Nothing free: either the work is done, or every open pair is locked by
        # someone leasing it right now; wait for those to commit.
        if not pair_queries.open_count(**query):
            _ran_out(member, rated, now)
            return None, False
        if not wait:
            raise PairsBusy
        time.sleep(0.002 * (attempt + 1))
    raise PairsBusy


def _ran_out(member: pair_queries.Member, rated: int | None, now: datetime) -> None:
    """Nothing is left for an annotator with a quota (a crowd participant) who has
    rated (``rated``: their count, None without a quota): their part is done before
    their quota, and they get their completion code or address (a new-user pass
    finished every pair and got none)."""
    if not rated:
        return
    if not member.completed:
        pair_queries.member_complete(member_id=member.id, now=now)
    raise QuotaDone(RAN_OUT)


def adaptive(evaluation: Evaluation) -> bool:
    """Whether the evaluation leases by the adaptive rule, which counts the outcomes
    of its complete comparisons (their stage): an adaptive tournament."""
    return (
        evaluation.allocation == Evaluation.Allocation.ADAPTIVE
        and evaluation.kind == Evaluation.Kind.TOURNAMENT
    )


def _adaptive_order(evaluation: Evaluation) -> tuple[str, str, dict] | None:
    """For an adaptive tournament, the window's untouched part in the order of the
    model pairs the rule ranks first (allocation_adaptive); None otherwise (each
    annotator's own order)."""
    if not adaptive(evaluation):
        return None
    priority = allocation_adaptive.model_pairs_by_priority(
        adaptive_queries.model_pair_tallies(evaluation_id=evaluation.pk),
        per_comparison=evaluation.annotators_per_pair,
        top=evaluation.adaptive_top,
        width=evaluation.adaptive_width,
    )
    return adaptive_queries.untouched_by_priority(priority)


def _ranked(
    window: list[pair_queries.WindowRow], *, per_pair: int
) -> list[pair_queries.WindowRow]:
    """Started pairs before untouched ones, each part in the rule's order."""
    rows = {row.comparison_id: row for row in window}
    ranked = []
    for started in (True, False):
        candidates = [
            allocation.Candidate(row.comparison_id, row.occupied)
            for row in window
            if row.started == started
        ]
        ranked += [
            rows[c.comparison_id]
            for c in allocation.rank(candidates, per_pair=per_pair)
        ]
    return ranked


def _lease(
    *,
    evaluation: Evaluation,
    annotator: AbstractBaseUser,
    row: pair_queries.WindowRow,
    now: datetime,
    rng: random.Random | None,
) -> Assignment | None:
    expires_at = allocation.lease_expiry(now, minutes=evaluation.lease_minutes)
    leased = pair_queries.lease_if_room(
        comparison_id=row.comparison_id,
        user_id=annotator.pk,
        per_pair=evaluation.annotators_per_pair,
        # One response alone is always shown as the candidate (Rating's contract);
        # the Likert scale is single-response only (a check constraint), and the
        # scale is what an answer loads of the evaluation.
        candidate_on_left=evaluation.scale == Evaluation.Scale.LIKERT
        or allocation.draw_candidate_on_left(rng),
        now=now,
        expires_at=expires_at,
    )
    if leased is None:
        return None
    assignment_id, candidate_on_left = leased
    comparison = loaded(
        Comparison,
        id=row.comparison_id,
        evaluation_id=evaluation.pk,
        prompt_id=row.prompt.pk,
        candidate_generation_id=row.candidate_generation.pk,
        baseline_generation_id=(
            row.baseline_generation.pk if row.baseline_generation else None
        ),
    )
    comparison.evaluation = evaluation
    comparison.prompt = row.prompt
    comparison.candidate_generation = row.candidate_generation
    comparison.baseline_generation = row.baseline_generation
    lease = loaded(
        Assignment,
        id=assignment_id,
        comparison_id=row.comparison_id,
        annotator_id=annotator.pk,
        candidate_on_left=candidate_on_left,
        state=State.LEASED,
        leased_at=now,
        expires_at=expires_at,
        ended_at=None,
    )
    lease.comparison = comparison
    lease.annotator = annotator
    return lease


def _held(assignment_id: int, evaluation: Evaluation) -> Assignment:
    lease = Assignment.objects.select_related(
        "comparison__prompt",
        "comparison__candidate_generation",
        "comparison__baseline_generation",
    ).get(pk=assignment_id)
    lease.comparison.evaluation = evaluation
    return lease
