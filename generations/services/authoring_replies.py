"""Streaming the interaction models' replies into a draft.

The side that answers follows the draft's collection method
(``authoring_methods.sides_for_turn``); the replies come from the chat models of the
set's ``AuthoringSetup``, piece by piece, through the backend's ``stream``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import tokenizers
from ..authoring_methods import SIDE_A, sides_for_turn
from ..backends import BackendError, ChatRequest, get_backend
from ..models import AuthoringSetup, ChatModel
from .authoring import open_draft
from .execution import chat_connection

ANSWERED_ELSEWHERE = (
    "This turn was answered in another tab or window meanwhile: reload the page."
)


@dataclass(frozen=True)
class ReplyEvent:
    """One piece of a streamed reply (``kind`` "chunk"), its end, or an error."""

    kind: str  # "chunk", "done" or "error"
    side: str = ""
    text: str = ""


def _side_model(setup: AuthoringSetup, side: str) -> ChatModel:
    return setup.model_a if side == SIDE_A else setup.model_b


def _messages(chat_model: ChatModel, turns: list[dict]) -> list[dict[str, str]]:
    system = (
        [{"role": "system", "content": chat_model.system_prompt}]
        if chat_model.system_prompt
        else []
    )
    return system + [{"role": t["role"], "content": t["content"]} for t in turns]


class OverContext(Exception):
    """The dialogue is over the chat model's context limit: nothing was sent."""


def _reply_pieces(
    chat_model: ChatModel, turns: list[dict], max_tokens: int
) -> Iterator[str]:
    backend = get_backend(chat_model.backend, chat_connection(chat_model))
    messages = _messages(chat_model, turns)
    # Counted as a generation's prompt is: a dialogue the job would filter is not
    # answered here either, and the writer is told why in their words, not the
    # server's (it was sent, and the server's advice to an operator shown).
    counted = tokenizers.count_tokens(chat_model.tokenizer, messages, backend)
    if counted > chat_model.context_limit:
        raise OverContext(
            f"The dialogue is {counted} tokens, over {chat_model.name}'s limit of "
            f"{chat_model.context_limit}: take the turn back and shorten it."
        )
    request = ChatRequest(
        messages=messages,
        max_new_tokens=min(max_tokens, chat_model.generation_limit),
        temperature=chat_model.temperature,
        top_p=chat_model.top_p,
        extra=dict(chat_model.decoding or {}),
    )
    return backend.stream(request)


def reply_stream(*, draft_id: int, writer) -> Iterator[ReplyEvent]:
    """Stream the reply (or, for best of both, the two replies) to the last user
    turn, then store it; on a backend error nothing is stored and the writer may
    ask again. The caller iterates the events to the end."""
    with transaction.atomic(durable=True):
        draft = open_draft(draft_id, writer)
        if not draft.turns or draft.turns[-1]["role"] != "user" or draft.pending:
            raise ValidationError({"draft": "No user turn awaits a reply."})
        setup = draft.prompt_set.authoring_setup
        setup = AuthoringSetup.objects.select_related("model_a", "model_b").get(
            pk=setup.pk
        )
    assistant_turns = sum(1 for turn in draft.turns if turn["role"] == "assistant")
    sides = sides_for_turn(draft.method, assistant_turns)
    texts: dict[str, str] = {}
    for side in sides:
        chat_model = _side_model(setup, side)
        pieces: list[str] = []
        try:
            for piece in _reply_pieces(chat_model, draft.turns, setup.max_tokens):
                pieces.append(piece)
                yield ReplyEvent("chunk", side, piece)
        except OverContext as exc:
            yield ReplyEvent("error", side, str(exc))
            return
        except (BackendError, tokenizers.TokenizerError) as exc:
            yield ReplyEvent("error", side, f"{chat_model.name}: {exc}")
            return
        texts[side] = "".join(pieces).strip()
        if not texts[side]:
            yield ReplyEvent("error", side, f"{chat_model.name} gave an empty reply.")
            return
    try:
        stored = _reply_store(
            draft_id=draft.pk,
            writer=writer,
            setup=setup,
            texts=texts,
            asked=draft.turns,
        )
    except ValidationError as exc:  # saved meanwhile
        yield ReplyEvent("error", "", " ".join(exc.messages))
        return
    except PermissionDenied as exc:  # gone, or the writer left the pool
        yield ReplyEvent("error", "", str(exc))
        return
    if not stored:
        yield ReplyEvent("error", "", ANSWERED_ELSEWHERE)
        return
    yield ReplyEvent("done")


def _reply_store(
    *, draft_id: int, writer, setup: AuthoringSetup, texts: dict, asked: list
) -> bool:
    """Store the reply to the dialogue ``asked``; False when the draft changed
    meanwhile (another tab answered, went on, or took the turn back), and what is
    stored is kept."""
    with transaction.atomic(durable=True):
        draft = open_draft(draft_id, writer)
        if draft.turns != asked or draft.pending:
            return False
        if len(texts) == 1:
            ((side, text),) = texts.items()
            turn = {"role": "assistant", "content": text}
            turn["model"] = _side_model(setup, side).name
            draft.turns = [*draft.turns, turn]
        else:
            draft.pending = {
                side: {"content": text, "model": _side_model(setup, side).name}
                for side, text in texts.items()
            }
        draft.save(update_fields=["turns", "pending", "updated_at"])
    return True
