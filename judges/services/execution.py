"""Judging once: build the messages, call the judge's server, parse the verdict.

Mirrors generations/services/execution.py: the same backends, connection, per-server
slots and transient/permanent error split. A reply without a verdict is kept with
its text as ``unparseable``; nothing is guessed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from annotations.scales import candidate_score
from generations import tokenizers
from generations.backends import BackendError, ContextExceededError, get_backend
from generations.models import ChatModel
from generations.services.execution import chat_connection, chat_request, server_slot

from .. import prompting, verdicts
from ..models import Judgement
from . import rows

# What a judging request takes from the chat model (judge_request, chat_request);
# its system prompt is the template's, kept by the template version.
REQUEST_SETTINGS = (
    "backend",
    "base_url",
    "model_id",
    "generation_limit",
    "temperature",
    "top_p",
    "decoding",
)
# What a delivery returns for a judgement another delivery holds (``rows.claim_lease``).
IN_FLIGHT = "in flight"
MODEL_CHANGED = (
    "the judge's chat model changed since this run started: start a new judge"
)


def chat_model_fingerprint(chat_model: ChatModel) -> str:
    """A digest of the chat model's settings that go into a judging request: equal
    digests, same requests (runs.run_start keeps one per run)."""
    settings = {name: getattr(chat_model, name) for name in REQUEST_SETTINGS}
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def judge_request(claimed: rows.Claimed) -> tuple[list[dict], dict, dict]:
    """(messages, the request as stored, the extra request fields) of a judgement."""
    chat_model, template = claimed.chat_model, claimed.template
    messages = prompting.judge_messages(
        system_prompt=template.system_prompt,
        user_template=template.user_template,
        verdict_format=template.verdict_format,
        scale=claimed.scale,
        turns=claimed.turns,
        response_a=claimed.response_a,
        response_b=claimed.response_b,
    )
    extra = {}
    if template.verdict_format == verdicts.JSON:
        extra["response_format"] = verdicts.response_format(claimed.scale)
    request = {
        "base_url": chat_model.base_url,
        "model": chat_model.model_id,
        "messages": messages,
        "max_tokens": chat_model.generation_limit,
        "temperature": chat_model.temperature,
        "top_p": chat_model.top_p,
        "decoding": chat_model.decoding,
        **extra,
        "template": {
            "name": template.name,
            "version": template.version,
            "verdict_format": template.verdict_format,
        },
        "scale": claimed.scale,
    }
    return messages, request, extra


def judgement_execute(
    *,
    judgement_id: int,
    run_id: int | None = None,
    final_attempt: bool = False,
    retry_in: float | None = None,
) -> str:
    """Judge once; return the status reached ("skipped" if nothing was to do,
    ``IN_FLIGHT`` if another delivery holds the judgement).

    Failed on permanent errors (a 4xx, a judge without chat model or template, a
    chat model whose request settings changed since its run started); on transient
    errors the judgement goes back to pending and the error is raised for the caller
    to retry, unless ``final_attempt``, when it fails. ``retry_in``: the caller's
    countdown, recorded as ``next_attempt_at``.
    """
    now = timezone.now()
    claimed = rows.judgement_claim(judgement_id=judgement_id, run_id=run_id, now=now)
    if claimed is None:
        if rows.claim_remaining(judgement_id=judgement_id, now=now) is not None:
            return IN_FLIGHT
        _ended(run_id)
        return "skipped"
    if claimed.chat_model is None or claimed.template is None:
        missing = "chat model" if claimed.chat_model is None else "template"
        error = f"the judge has no {missing}"
        _record(judgement_id, status=Judgement.Status.FAILED, last_error=error)
        _ended(run_id)
        return Judgement.Status.FAILED
    if claimed.run_fingerprint and claimed.run_fingerprint != chat_model_fingerprint(
        claimed.chat_model
    ):
        # Edited while the run's tasks waited: not sent, so a run keeps one model.
        _record(judgement_id, status=Judgement.Status.FAILED, last_error=MODEL_CHANGED)
        _ended(run_id)
        return Judgement.Status.FAILED
    messages, request, extra = judge_request(claimed)
    try:
        fields = _attempt(claimed, messages, extra)
    except BackendError as exc:  # transient: retried by the caller
        if not final_attempt:
            _record(
                judgement_id,
                status=Judgement.Status.PENDING,
                last_error=str(exc),
                request=request,
                next_attempt_at=_next_attempt(retry_in),
            )
            raise
        fields = _failed(exc)
    _record(judgement_id, request=request, template_id=claimed.template.pk, **fields)
    _ended(run_id)
    return fields["status"]


def _attempt(claimed: rows.Claimed, messages: list[dict], extra: dict) -> dict:
    """Send and parse; the fields to record. Transient errors propagate."""
    chat_model = claimed.chat_model
    try:
        backend = get_backend(chat_model.backend, chat_connection(chat_model))
        # Counted as a generation's prompt is: one over the judge's context fails,
        # saying so, instead of reaching a server that may cut it silently.
        counted = tokenizers.count_tokens(chat_model.tokenizer, messages, backend)
        if counted > chat_model.context_limit:
            return _failed(
                f"the judging prompt would need {counted} tokens, over "
                f"{chat_model.name}'s context limit of {chat_model.context_limit}"
            )
        with server_slot(chat_model):
            response = backend.complete(chat_request(chat_model, messages, extra))
    except ContextExceededError as exc:
        return _failed(
            f"the server refused the judging prompt as over its context: {exc}"
        )
    except BackendError as exc:
        if exc.transient:
            raise
        return _failed(exc)
    except tokenizers.TokenizerError as exc:
        return _failed(exc)
    choice = verdicts.parse(
        claimed.template.verdict_format, claimed.scale, response.text
    )
    fields: dict[str, Any] = {
        "status": Judgement.Status.UNPARSEABLE
        if choice is None
        else Judgement.Status.DONE,
        "reply": response.text,
        "choice": choice,
        "score": None
        if choice is None
        else candidate_score(choice, candidate_on_left=claimed.candidate_on_left),
        "prompt_tokens": response.prompt_tokens,
        "completion_tokens": response.completion_tokens,
        "finish_reason": response.finish_reason,
        "latency_seconds": response.latency_seconds,
        "backend_model_id": response.model_id,
        "last_error": "",
    }
    return fields


def _failed(error: Exception | str) -> dict[str, Any]:
    return {"status": Judgement.Status.FAILED, "last_error": str(error)}


def judgement_release(
    *,
    judgement_id: int,
    run_id: int | None,
    error: str,
    final_attempt: bool,
    retry_in: float | None = None,
) -> None:
    """Record an interruption (e.g. a time limit): pending for a retry, or failed."""
    if not final_attempt:
        _record(
            judgement_id,
            status=Judgement.Status.PENDING,
            last_error=error,
            next_attempt_at=_next_attempt(retry_in),
        )
        return
    _record(judgement_id, status=Judgement.Status.FAILED, last_error=error)
    _ended(run_id)


def _record(judgement_id: int, **fields: Any) -> bool:
    """Write an outcome unless another delivery finished the judgement first."""
    fields["updated_at"] = timezone.now()
    fields.setdefault("next_attempt_at", None)
    if fields["status"] not in rows.OPEN:
        fields["finished_at"] = fields["updated_at"]
    return rows.judgement_record(judgement_id=judgement_id, fields=fields)


def _ended(run_id: int | None) -> None:
    if run_id is not None:
        rows.run_finish_if_complete(run_id=run_id)


def _next_attempt(retry_in: float | None):
    if retry_in is None:
        return None
    return timezone.now() + timedelta(seconds=retry_in)
