"""Reads of the consistency app: evaluation progress and the answers a report uses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from .models import ConsistencyEvaluation, Dialogue, Reply, ReplyJudgement


@dataclass(frozen=True)
class ReplyAnswers:
    """A reply's submitted answers, with what the report groups it by."""

    chat_model: str
    instruction: str
    turn: int
    answers: tuple[str, ...]


def reply_answers(*, evaluation: ConsistencyEvaluation) -> list[ReplyAnswers]:
    """Every reply of the evaluation that has at least one answer."""
    rows = (
        ReplyJudgement.objects.filter(
            reply__dialogue__evaluation=evaluation,
            state=ReplyJudgement.State.SUBMITTED,
        )
        .order_by("reply_id", "answered_at", "pk")
        .values_list(
            "reply_id",
            "reply__dialogue__chat_model__name",
            "reply__dialogue__instruction__external_id",
            "reply__turn",
            "answer",
        )
    )
    grouped: dict[int, list] = defaultdict(list)
    keys = {}
    for reply_id, model, instruction, turn, answer in rows:
        keys[reply_id] = (model, instruction, turn)
        grouped[reply_id].append(answer)
    return [
        ReplyAnswers(*keys[reply_id], answers=tuple(answers))
        for reply_id, answers in grouped.items()
    ]


def replies_per_turn(
    *, evaluation: ConsistencyEvaluation
) -> dict[tuple[str, int], int]:
    """Replies stored, by (chat model name, turn)."""
    rows = (
        Reply.objects.filter(dialogue__evaluation=evaluation)
        .values_list("dialogue__chat_model__name", "turn")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(model, turn): n for model, turn, n in rows}


def dialogue_counts(*, evaluation: ConsistencyEvaluation) -> dict[str, dict[str, int]]:
    """Dialogues by chat model name and status."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Dialogue.objects.filter(evaluation=evaluation)
        .values_list("chat_model__name", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for model, status, n in rows:
        counts[model][status] = n
    return dict(counts)


def judging_progress(*, evaluation: ConsistencyEvaluation) -> dict[str, int]:
    """Replies stored, and those with all N answers."""
    replies = Reply.objects.filter(dialogue__evaluation=evaluation).annotate(
        answers=Count("judgements", filter=Q(judgements__state="submitted"))
    )
    return {
        "replies": replies.count(),
        "complete": replies.filter(
            answers__gte=evaluation.annotators_per_reply
        ).count(),
    }


def retrying_dialogues(*, evaluation: ConsistencyEvaluation) -> list[Dialogue]:
    """Dialogues still to run whose last try failed (the server unreachable or in
    error), with that error in their note: they are tried again."""
    return list(
        Dialogue.objects.filter(
            evaluation=evaluation,
            status__in=(Dialogue.Status.QUEUED, Dialogue.Status.RUNNING),
            attempts__gt=0,
        )
        .exclude(note="")
        .select_related("instruction", "chat_model")
        .order_by("chat_model__name", "instruction__external_id")
    )


def stopped_dialogues(*, evaluation: ConsistencyEvaluation) -> list[Dialogue]:
    return list(
        Dialogue.objects.filter(evaluation=evaluation)
        .filter(Q(status=Dialogue.Status.STOPPED_AT_CONTEXT) | Q(status="failed"))
        .select_related("instruction", "chat_model")
    )
