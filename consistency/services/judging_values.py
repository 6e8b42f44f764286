"""What the judging services hand the page and the API: a reply as an annotator
sees it (never its chat model) and an answer's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Reply, ReplyJudgement


@dataclass(frozen=True)
class Turn:
    user: str
    reply: str


@dataclass(frozen=True)
class ShownReply:
    """What an annotator sees: never the chat model."""

    judgement_id: int
    system_message: str
    history: tuple[Turn, ...]
    user_text: str
    reply_text: str
    turn: int
    expires_at: datetime


@dataclass(frozen=True)
class Outcome:
    """An answer's fate and the next reply to judge (None: nothing left)."""

    stored: bool
    next: ShownReply | None
    notice: str = ""  # why the answer was not stored, when it was not


def shown_reply(judgement: ReplyJudgement) -> ShownReply:
    reply = Reply.objects.select_related("dialogue__instruction").get(
        pk=judgement.reply_id
    )
    before = Reply.objects.filter(dialogue_id=reply.dialogue_id, turn__lt=reply.turn)
    return ShownReply(
        judgement_id=judgement.pk,
        system_message=reply.dialogue.instruction.system_message,
        history=tuple(Turn(r.user_text, r.text) for r in before.order_by("turn")),
        user_text=reply.user_text,
        reply_text=reply.text,
        turn=reply.turn,
        expires_at=judgement.expires_at,
    )
