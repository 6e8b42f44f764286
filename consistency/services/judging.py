"""Annotators judging replies: lease the next reply, store an answer and lease the
next in one call. Exactly N answers per reply, under any number of annotators.

Locking protocol: every change to who holds or answered a reply first locks that
reply's row. Leasing picks candidates without locks, then locks one with
``SELECT ... FOR UPDATE SKIP LOCKED`` and counts its submitted answers and live
leases again under the lock; it leases only while that count is below N. An answer
on a lease that expired is stored only if the reply still has room. The unique
(reply, annotator) constraint keeps one judgement per annotator and reply.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.db import transaction
from django.db.models import CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import MD5, Cast, Concat
from django.utils import timezone

from annotations import allocation

from ..models import Answer, ConsistencyEvaluation, Reply, ReplyJudgement
from .judging_values import Outcome, ShownReply, shown_reply

State = ReplyJudgement.State
_WINDOW = 10
_RETRIES = 50


class NotInPool(Exception):
    """The user is not in the evaluation's annotator pool."""


class RepliesBusy(Exception):
    """Replies are open, but stayed locked by other clicks through every retry."""


class JudgementNotFound(Exception):
    """No such judgement of this annotator in this evaluation."""


def judgement_next(
    *, evaluation: ConsistencyEvaluation, annotator, now: datetime | None = None
) -> ShownReply | None:
    """The annotator's live lease, or a new one; None when nothing is left."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _check_pool(evaluation, annotator)
        return _lease_next(evaluation, annotator, now)


def judgement_answer(
    *,
    evaluation: ConsistencyEvaluation,
    annotator,
    judgement_id: int,
    answer: str,
    now: datetime | None = None,
) -> Outcome:
    """Store ``answer`` on the annotator's judgement and lease the next reply.

    A second answer to a submitted judgement changes nothing (a double click counts
    once; another answer is not stored, and ``notice`` says the first stands). An
    answer on an expired lease whose reply has since had its N is not stored
    (``stored`` false, and ``notice`` says why). ValueError for an answer outside yes / no / not
    applicable; JudgementNotFound, NotInPool.
    """
    if answer not in Answer.values:
        raise ValueError(f"answer: use one of {', '.join(Answer.values)}")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _check_pool(evaluation, annotator)
        notice = _store(evaluation, annotator, judgement_id, answer, now)
    # The next lease in a transaction of its own: none waits for locked replies
    # while holding the lock of the reply just answered.
    with transaction.atomic(durable=True):
        following = _lease_next(evaluation, annotator, now)
    return Outcome(stored=not notice, next=following, notice=notice)


def _store(evaluation, annotator, judgement_id: int, answer: str, now) -> str:
    """Store the answer; "" when it is stored (or was, the same), else why not."""
    judgement = ReplyJudgement.objects.filter(
        pk=judgement_id, annotator=annotator, reply__dialogue__evaluation=evaluation
    ).first()
    if judgement is None:
        raise JudgementNotFound(f"no judgement {judgement_id} of yours here")
    if judgement.state != State.SUBMITTED:
        Reply.objects.select_for_update().filter(pk=judgement.reply_id).get()
        judgement.refresh_from_db()
    if judgement.state == State.SUBMITTED:
        if judgement.answer == answer:
            return ""  # a double click
        return (
            f"You had answered this reply already: your first answer "
            f"({judgement.answer}) stands."
        )
    room = judgement.expires_at > now or allocation.has_room(
        occupied_by_others=_occupied(judgement.reply_id, now, annotator),
        per_pair=evaluation.annotators_per_reply,
    )
    if not room:
        return "Your lease had expired and others judged that reply meanwhile."
    judgement.state, judgement.answer = State.SUBMITTED, answer
    judgement.answered_at = now
    judgement.save(update_fields=["state", "answer", "answered_at"])
    return ""


def _check_pool(evaluation: ConsistencyEvaluation, annotator) -> None:
    if not evaluation.annotators.filter(pk=annotator.pk).exists():
        raise NotInPool("You are not in this evaluation's annotator pool.")


def _occupied(reply_id: int, now: datetime, annotator) -> int:
    """Submitted answers and live leases of others on a reply."""
    return (
        ReplyJudgement.objects.filter(reply_id=reply_id)
        .filter(Q(state=State.SUBMITTED) | Q(state=State.LEASED, expires_at__gt=now))
        .exclude(annotator=annotator)
        .count()
    )


def _lease_next(evaluation, annotator, now: datetime) -> ShownReply | None:
    held = (
        ReplyJudgement.objects.filter(
            annotator=annotator,
            reply__dialogue__evaluation=evaluation,
            state=State.LEASED,
            expires_at__gt=now,
        )
        .order_by("leased_at")
        .first()
    )
    if held is not None:
        return shown_reply(held)
    per_reply = evaluation.annotators_per_reply
    for attempt in range(_RETRIES):
        window = _candidates(evaluation, annotator, now, per_reply)
        if not window:
            return None
        for reply_id in window:
            locked = Reply.objects.select_for_update(skip_locked=True).filter(
                pk=reply_id
            )
            if not locked.exists() or not allocation.has_room(
                occupied_by_others=_occupied(reply_id, now, annotator),
                per_pair=per_reply,
            ):
                continue
            judgement, _ = ReplyJudgement.objects.update_or_create(
                reply_id=reply_id,
                annotator=annotator,
                defaults={
                    "state": State.LEASED,
                    "answer": "",
                    "leased_at": now,
                    "expires_at": allocation.lease_expiry(
                        now, minutes=evaluation.lease_minutes
                    ),
                },
            )
            return shown_reply(judgement)
        time.sleep(0.002 * (attempt + 1))  # every candidate locked by other clicks
    raise RepliesBusy("Every open reply is being leased right now; try again.")


def _candidates(evaluation, annotator, now: datetime, per_reply: int) -> list[int]:
    """Replies with room that the annotator has not answered: started ones first,
    then in the annotator's own pseudo-random order."""
    answered = ReplyJudgement.objects.filter(
        reply=OuterRef("pk"), annotator=annotator, state=State.SUBMITTED
    )
    live = Q(judgements__state=State.SUBMITTED) | Q(
        judgements__state=State.LEASED, judgements__expires_at__gt=now
    )
    order = MD5(
        Concat(
            Cast("pk", CharField()),
            Value(f":{annotator.pk}"),
            output_field=CharField(),
        )
    )
    return list(
        Reply.objects.filter(dialogue__evaluation=evaluation)
        .filter(~Exists(answered))
        .annotate(occupied=Count("judgements", filter=live))
        .filter(occupied__lt=per_reply)
        .order_by("-occupied", order)
        .values_list("pk", flat=True)[:_WINDOW]
    )
