"""Running one dialogue: each turn's prompt is the system message and the dialogue
so far; each reply feeds the next turn.

The context rule is generation's (generations/services/execution.py): the prompt is
counted with the chat model's tokenizer before it is sent, and a prompt over the
context limit is not sent; the dialogue stops there with a note, as it does when the
server refuses a prompt as over its context. A stored turn is never redone, so a
retried task continues where the last one stopped.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from generations import tokenizers
from generations.backends import BackendError, ContextExceededError, get_backend
from generations.models import ChatModel
from generations.services.execution import chat_connection, chat_request, server_slot

from ..conversation import context_note, dialogue_messages
from ..models import Dialogue, Reply

Status = Dialogue.Status
ENDED = (Status.DONE, Status.STOPPED_AT_CONTEXT, Status.FAILED)


def dialogue_execute(
    *, dialogue_id: int, final_attempt: bool = False, retry_in: float | None = None
) -> str:
    """Run the dialogue's remaining turns; return the status reached ("skipped" when
    it had ended). Transient errors put it back to queued and propagate for the
    caller to retry, unless ``final_attempt``, when it fails."""
    dialogue = _claim(dialogue_id)
    if dialogue is None:
        return "skipped"
    instruction, chat_model = dialogue.instruction, dialogue.chat_model
    probes = instruction.probes
    replies = list(dialogue.replies.order_by("turn").values_list("text", flat=True))
    try:
        backend = get_backend(chat_model.backend, chat_connection(chat_model))
        for turn in range(len(replies) + 1, len(probes) + 1):
            messages = dialogue_messages(
                instruction.system_message, probes, replies, turn
            )
            stop = _context_stop(chat_model, messages, backend, turn)
            if stop:
                return _end(dialogue_id, Status.STOPPED_AT_CONTEXT, stop, len(replies))
            try:
                with server_slot(chat_model):
                    response = backend.complete(chat_request(chat_model, messages))
            except ContextExceededError as exc:
                note = context_note(turn, None, chat_model.context_limit, str(exc))
                return _end(dialogue_id, Status.STOPPED_AT_CONTEXT, note, len(replies))
            _reply_store(dialogue_id, turn, probes[turn - 1], response)
            replies.append(response.text.replace("\x00", ""))
    except BackendError as exc:
        if exc.transient and not final_attempt:
            _requeue(dialogue_id, str(exc))
            raise
        return _end(dialogue_id, Status.FAILED, str(exc), len(replies))
    except tokenizers.TokenizerError as exc:
        return _end(dialogue_id, Status.FAILED, str(exc), len(replies))
    return _end(dialogue_id, Status.DONE, "", len(replies))


def _context_stop(
    chat_model: ChatModel, messages: list[dict], backend, turn: int
) -> str | None:
    counted = tokenizers.count_tokens(chat_model.tokenizer, messages, backend)
    if counted > chat_model.context_limit:
        return context_note(turn, counted, chat_model.context_limit)
    return None


def dialogue_release(
    *,
    dialogue_id: int,
    error: str,
    final_attempt: bool,
    retry_in: float | None = None,
) -> None:
    """Record an interruption (a time limit): queued for a retry, or failed."""
    if final_attempt:
        turns = Reply.objects.filter(dialogue_id=dialogue_id).count()
        _end(dialogue_id, Status.FAILED, error, turns)
    else:
        _requeue(dialogue_id, error)


def _claim(dialogue_id: int) -> Dialogue | None:
    with transaction.atomic(durable=True):
        dialogue = (
            Dialogue.objects.select_for_update(of=("self",))
            .select_related("instruction", "chat_model")
            .filter(pk=dialogue_id)
            .first()
        )
        if dialogue is None or dialogue.status in ENDED:
            return None
        dialogue.status = Status.RUNNING
        dialogue.attempts += 1
        dialogue.save(update_fields=["status", "attempts", "updated_at"])
    return dialogue


def _reply_store(dialogue_id: int, turn: int, user_text: str, response) -> None:
    """Store a turn's reply; a turn stored by another delivery is kept as it is."""
    with transaction.atomic(durable=True):
        Reply.objects.bulk_create(
            [
                Reply(
                    dialogue_id=dialogue_id,
                    turn=turn,
                    user_text=user_text,
                    # PostgreSQL text cannot hold a NUL; a model may emit one.
                    text=response.text.replace("\x00", ""),
                    prompt_tokens=response.prompt_tokens,
                    completion_tokens=response.completion_tokens,
                    finish_reason=response.finish_reason[:50],
                    latency_seconds=response.latency_seconds,
                )
            ],
            ignore_conflicts=True,
        )
        Dialogue.objects.filter(pk=dialogue_id, turns_completed__lt=turn).update(
            turns_completed=turn, updated_at=timezone.now()
        )


def _requeue(dialogue_id: int, error: str) -> None:
    Dialogue.objects.filter(pk=dialogue_id).exclude(status__in=ENDED).update(
        status=Status.QUEUED, note=error[:2000], updated_at=timezone.now()
    )


def _end(dialogue_id: int, status: str, note: str, turns: int) -> str:
    Dialogue.objects.filter(pk=dialogue_id).exclude(status__in=ENDED).update(
        status=status, note=note, turns_completed=turns, updated_at=timezone.now()
    )
    return status
