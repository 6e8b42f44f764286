"""Running one generation: count tokens, filter, call the server, record the outcome."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Exists, F
from django.utils import timezone

from generations import concurrency, tokenizers
from generations.backends import (
    BackendError,
    ChatRequest,
    ChatResponse,
    Connection,
    ContextExceededError,
    PermanentBackendError,
    get_backend,
)
from generations.models import ChatModel, Generation, GenerationJob

from . import jobs

logger = logging.getLogger(__name__)
FINAL_STATUSES = (Generation.Status.DONE, Generation.Status.FILTERED)
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Plan:
    """Everything a request needs, read once under the row lock."""

    generation_id: int
    chat_model: ChatModel
    messages: list[dict[str, str]]


@lru_cache(maxsize=1)
def _slots() -> concurrency.Slots:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
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


def _claim(*, generation_id: int, job_id: int | None) -> Plan | None:
    """Mark the generation running, or None when there is nothing to do.

    One conditional UPDATE (autocommit, row-locked) keeps this cheap at thousands of
    generations a minute: done, filtered and cancelled-job work is left alone.
    """
    claimable = Generation.objects.filter(pk=generation_id).exclude(
        status__in=FINAL_STATUSES
    )
    if job_id:
        cancelled = GenerationJob.objects.filter(
            pk=job_id, status=GenerationJob.Status.CANCELLED
        )
        claimable = claimable.exclude(Exists(cancelled))
    claimed = claimable.update(
        status=Generation.Status.RUNNING,
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    if not claimed:
        return None
    generation = (
        Generation.objects.select_related("prompt", "chat_model")
        .defer("text", "request", "metadata", "prompt__metadata")
        .get(pk=generation_id)
    )
    chat_model = generation.chat_model
    messages = tokenizers.build_messages(
        chat_model.system_prompt, generation.prompt.turns
    )
    return Plan(generation_id, chat_model, messages)


def _record(generation_id: int, **fields: Any) -> None:
    """Write the outcome unless another delivery finished it first; then check jobs."""
    fields["updated_at"] = timezone.now()
    if fields.get("status") in (*FINAL_STATUSES, Generation.Status.FAILED):
        fields["finished_at"] = fields["updated_at"]
    updated = (
        Generation.objects.filter(pk=generation_id)
        .exclude(status__in=FINAL_STATUSES)
        .update(**fields)
    )
    if updated and fields.get("status") != Generation.Status.PENDING:
        jobs.jobs_finish_if_complete(generation_id=generation_id)


def _connection(chat_model: ChatModel) -> Connection:
    api_key = ""
    if chat_model.api_key_env:
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
    *, generation_id: int, job_id: int | None = None, final_attempt: bool = False
) -> str:
    """Generate once; return the status reached ("skipped" if nothing was to do).

    Filtered when the counted input or the server says it exceeds the context; failed on
    permanent errors; on transient errors the generation goes back to pending and the
    error is raised for the caller to retry, unless ``final_attempt``, when it fails.
    """
    plan = _claim(generation_id=generation_id, job_id=job_id)
    if plan is None:
        # Done by another job's task: this job may have been waiting for it.
        jobs.jobs_finish_if_complete(generation_id=generation_id)
        return "skipped"
    chat_model, request = (
        plan.chat_model,
        request_settings(plan.chat_model, plan.messages),
    )
    try:
        backend = get_backend(chat_model.backend, _connection(chat_model))
        counted = tokenizers.count_tokens(chat_model.tokenizer, plan.messages, backend)
        request["counted_prompt_tokens"] = counted
        if counted > chat_model.context_limit:
            _record(
                generation_id,
                status=Generation.Status.FILTERED,
                prompt_tokens=counted,
                request=request,
                last_error=f"{counted} input tokens exceed the context limit "
                f"of {chat_model.context_limit}",
            )
            return Generation.Status.FILTERED
        with concurrency.server_slot(
            _slots(),
            chat_model.base_url,
            limit=chat_model.max_concurrency,
            lease_seconds=CONNECT_TIMEOUT + chat_model.request_timeout + 30,
            wait_seconds=chat_model.request_timeout + CONNECT_TIMEOUT,
        ):
            response = backend.complete(_chat_request(chat_model, plan.messages))
    except ContextExceededError as exc:
        _record(
            generation_id,
            status=Generation.Status.FILTERED,
            request=request,
            last_error=str(exc),
        )
        return Generation.Status.FILTERED
    except BackendError as exc:
        if exc.transient and not final_attempt:
            _record(
                generation_id,
                status=Generation.Status.PENDING,
                last_error=str(exc),
            )
            raise
        _record(
            generation_id,
            status=Generation.Status.FAILED,
            request=request,
            last_error=str(exc),
        )
        return Generation.Status.FAILED
    except tokenizers.TokenizerError as exc:
        _record(
            generation_id,
            status=Generation.Status.FAILED,
            request=request,
            last_error=str(exc),
        )
        return Generation.Status.FAILED
    _record(generation_id, **_done_fields(response, request))
    return Generation.Status.DONE


def generation_release(*, generation_id: int, error: str, final_attempt: bool) -> None:
    """Record an interruption (e.g. a time limit): pending for a retry, or failed."""
    status = Generation.Status.FAILED if final_attempt else Generation.Status.PENDING
    _record(generation_id, status=status, last_error=error)


def _chat_request(chat_model: ChatModel, messages: list[dict[str, str]]) -> ChatRequest:
    return ChatRequest(
        messages=messages,
        max_new_tokens=chat_model.generation_limit,
        temperature=chat_model.temperature,
        top_p=chat_model.top_p,
        extra=dict(chat_model.decoding or {}),
    )


def _done_fields(response: ChatResponse, request: dict) -> dict[str, Any]:
    return {
        "status": Generation.Status.DONE,
        "text": response.text,
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
