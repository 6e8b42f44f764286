"""Running one generation: count tokens, filter, call the server, record the outcome."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from evalsite.rendering import stored_html
from generations import concurrency, open_counter, tokenizers
from generations.backends import (
    BackendError,
    ChatRequest,
    ChatResponse,
    Connection,
    ContextExceededError,
    PermanentBackendError,
    get_backend,
)
from generations.models import API_KEY_ENV, ChatModel, Generation, GenerationJob
from generations.signals import rows_changed
from generations.words import count_words

from . import rows

logger = logging.getLogger(__name__)
FINAL_STATUSES = (Generation.Status.DONE, Generation.Status.FILTERED)
CONNECT_TIMEOUT = 10.0


@lru_cache(maxsize=1)
def _slots() -> concurrency.Slots:
    if url := open_counter.broker_redis_url():
        return concurrency.RedisSlots(url)
    return concurrency.FileSlots(settings.VAR_DIR / "server-slots")


def request_settings(chat_model: ChatModel, messages: list[dict[str, str]]) -> dict:
    """The exact request as stored on the generation."""
    return {
        "base_url": chat_model.base_url,
        "model": chat_model.model_id,
        "system_prompt": chat_model.system_prompt,
        "system_prompt_preset": chat_model.system_prompt_preset,
        "messages": messages,
        "context_limit": chat_model.context_limit,
        "generation_limit": chat_model.generation_limit,
        "max_tokens": chat_model.generation_limit,
        "temperature": chat_model.temperature,
        "top_p": chat_model.top_p,
        "decoding": chat_model.decoding,
        "tokenizer": chat_model.tokenizer,
    }


def _record(generation_id: int, **fields: Any) -> bool:
    """Write an outcome unless another delivery finished the generation first."""
    fields["updated_at"] = timezone.now()
    fields.setdefault("next_attempt_at", None)  # same UPDATE: no extra statement
    if fields.get("status") in (*FINAL_STATUSES, Generation.Status.FAILED):
        fields["finished_at"] = fields["updated_at"]
    return rows.generation_record(generation_id=generation_id, fields=fields)


def _ended(generation_id: int, job_id: int | None) -> None:
    """A task delivery ended for good: finish the job(s) once nothing is left open."""
    last = job_id is None or open_counter.job_open_end(job_id=job_id)
    if last and rows.jobs_finish_if_complete(generation_id=generation_id):
        _finished_job_outputs_announce(generation_id=generation_id)


def _finished_job_outputs_announce(*, generation_id: int) -> None:
    """Say once per finished job that its responses were written in place.

    The hot path records each response with one UPDATE that fires no model signal.
    A response can already be in an evaluation (set back to pending in the admin and
    made again), so listeners such as the report cache hear of the job's responses
    when the job ends, not per generation.
    """
    finished = GenerationJob.objects.filter(
        generations=generation_id, status=GenerationJob.Status.FINISHED
    )
    pks = list(
        Generation.objects.filter(jobs__in=finished)
        .values_list("pk", flat=True)
        .distinct()
    )
    rows_changed.send(sender=Generation, pks=pks)


def server_slot(chat_model: ChatModel):
    """Hold one of the chat model's server's ``max_concurrency`` slots, shared by all
    workers (see generations/concurrency.py); every request to a server takes one."""
    return concurrency.server_slot(
        _slots(),
        chat_model.base_url,
        limit=chat_model.max_concurrency,
        lease_seconds=CONNECT_TIMEOUT
        + chat_model.request_timeout
        + settings.EVALSITE_SERVER_SLOT_GRACE,
        wait_seconds=chat_model.request_timeout + CONNECT_TIMEOUT,
    )


def chat_connection(chat_model: ChatModel) -> Connection:
    """How to reach the chat model's server; PermanentBackendError if its API key's
    environment variable is not set."""
    api_key = ""
    if chat_model.api_key_env:
        if not API_KEY_ENV.fullmatch(chat_model.api_key_env):  # stored before the rule
            raise PermanentBackendError(
                f"environment variable {chat_model.api_key_env} is not sent to model "
                "servers: only names ending in _API_KEY are"
            )
        api_key = os.environ.get(chat_model.api_key_env, "")
        if not api_key:
            raise PermanentBackendError(
                f"environment variable {chat_model.api_key_env} (API key) is not set"
            )
    return Connection(
        base_url=chat_model.base_url,
        model_id=chat_model.model_id,
        api_key=api_key,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=chat_model.request_timeout,
    )


def generation_execute(
    *,
    generation_id: int,
    job_id: int | None = None,
    final_attempt: bool = False,
    retry_in: float | None = None,
) -> str:
    """Generate once; return the status reached ("skipped" if nothing was to do).

    Filtered when the counted input or the server says it exceeds the context; failed on
    permanent errors; on transient errors the generation goes back to pending and the
    error is raised for the caller to retry, unless ``final_attempt``, when it fails.
    ``retry_in``: the caller's countdown to that retry, recorded as ``next_attempt_at``
    so that the job page can say when the server is tried next.
    """
    claimed = rows.generation_claim(
        generation_id=generation_id, job_id=job_id, now=timezone.now()
    )
    if claimed is None:
        # Done by another delivery or job, or the job is cancelled.
        _ended(generation_id, job_id)
        return "skipped"
    chat_model, turns = claimed
    messages = tokenizers.build_messages(chat_model.system_prompt, turns)
    request = request_settings(chat_model, messages)
    try:
        fields = _attempt(chat_model, messages, request)
    except BackendError as exc:  # transient: retried by the caller
        if not final_attempt:
            _record(
                generation_id,
                status=Generation.Status.PENDING,
                last_error=str(exc),
                next_attempt_at=_next_attempt(retry_in),
            )
            raise
        fields = _failed(request, exc)
    _record(generation_id, **fields)
    _ended(generation_id, job_id)
    return fields["status"]


def _attempt(
    chat_model: ChatModel, messages: list[dict[str, str]], request: dict
) -> dict[str, Any]:
    """Count, filter and send; the fields to record. Transient errors propagate."""
    try:
        backend = get_backend(chat_model.backend, chat_connection(chat_model))
        counted = tokenizers.count_tokens(chat_model.tokenizer, messages, backend)
        request["counted_prompt_tokens"] = counted
        if counted > chat_model.context_limit:
            return {
                "status": Generation.Status.FILTERED,
                "prompt_tokens": counted,
                "request": request,
                "last_error": f"{counted} input tokens exceed the context limit "
                f"of {chat_model.context_limit}",
            }
        with server_slot(chat_model):
            response = backend.complete(chat_request(chat_model, messages))
    except ContextExceededError as exc:
        return {
            "status": Generation.Status.FILTERED,
            "request": request,
            "last_error": str(exc),
        }
    except BackendError as exc:
        if exc.transient:
            raise
        return _failed(request, exc)
    except tokenizers.TokenizerError as exc:
        return _failed(request, exc)
    return _done_fields(response, request)


def _failed(request: dict, exc: Exception) -> dict[str, Any]:
    return {
        "status": Generation.Status.FAILED,
        "request": request,
        "last_error": str(exc),
    }


def generation_release(
    *,
    generation_id: int,
    job_id: int | None,
    error: str,
    final_attempt: bool,
    retry_in: float | None = None,
) -> None:
    """Record an interruption (e.g. a time limit): pending for a retry, or failed."""
    if not final_attempt:
        _record(
            generation_id,
            status=Generation.Status.PENDING,
            last_error=error,
            next_attempt_at=_next_attempt(retry_in),
        )
        return
    _record(generation_id, status=Generation.Status.FAILED, last_error=error)
    _ended(generation_id, job_id)


def _next_attempt(retry_in: float | None):
    if retry_in is None:
        return None
    return timezone.now() + timedelta(seconds=retry_in)


def chat_request(
    chat_model: ChatModel, messages: list[dict[str, str]], extra: dict | None = None
) -> ChatRequest:
    """The request to send: the chat model's limits and decoding, plus ``extra``
    (e.g. a judge's ``response_format``)."""
    return ChatRequest(
        messages=messages,
        max_new_tokens=chat_model.generation_limit,
        temperature=chat_model.temperature,
        top_p=chat_model.top_p,
        extra={**(chat_model.decoding or {}), **(extra or {})},
    )


def _done_fields(response: ChatResponse, request: dict) -> dict[str, Any]:
    # Rendered here, in the worker and before the record statement, so that no page
    # view renders a long response (short ones render on view: see stored_html).
    html, html_version = stored_html(response.text)
    return {
        "status": Generation.Status.DONE,
        "text": response.text,
        "word_count": count_words(response.text),
        "html": html,
        "html_version": html_version,
        "prompt_tokens": response.prompt_tokens
        if response.prompt_tokens is not None
        else request.get("counted_prompt_tokens"),
        "completion_tokens": response.completion_tokens,
        "finish_reason": response.finish_reason,
        "latency_seconds": response.latency_seconds,
        "backend_model_id": response.model_id,
        "request": request,
        "last_error": "",
    }
