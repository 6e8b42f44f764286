"""OpenAI-compatible chat completions (vLLM, TGI Messages, llama.cpp, hosted APIs)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from .base import (
    ChatBackend,
    ChatRequest,
    ChatResponse,
    Connection,
    ContextExceededError,
    Message,
    PermanentBackendError,
    TokenizeUnsupportedError,
    TransientBackendError,
)

_CONTEXT_EXCEEDED = re.compile(
    r"exceed_context_size|context_length_exceeded|maximum context length|"
    r"exceeds the available context|context size|must be <= \d+",
    re.IGNORECASE,
)
_clients: dict[tuple, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client(connection: Connection) -> httpx.Client:
    """One pooled client per server and timeout, shared by a worker's threads."""
    key = (connection.base_url, connection.connect_timeout, connection.read_timeout)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = httpx.Client(
                timeout=httpx.Timeout(
                    connection.read_timeout,
                    connect=connection.connect_timeout,
                    pool=connection.read_timeout,
                ),
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
            )
        return _clients[key]


def split_base_url(base_url: str) -> tuple[str, str]:
    """(API root ending in /v1, server root) from a URL given with or without /v1."""
    base = base_url.rstrip("/")
    if base.endswith("/v1"):
        return base, base[: -len("/v1")]
    return f"{base}/v1", base


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:2000] or response.reason_phrase
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        return str(error.get("message") or error.get("detail") or error)[:2000]
    return str(error)[:2000]


class OpenAIChatBackend(ChatBackend):
    """POST /v1/chat/completions; tokens counted by llama.cpp's or vLLM's /tokenize."""

    def __init__(self, connection: Connection):
        super().__init__(connection)
        self.api_root, self.server_root = split_base_url(connection.base_url)

    def _headers(self) -> dict[str, str]:
        if self.connection.api_key:
            return {"Authorization": f"Bearer {self.connection.api_key}"}
        return {}

    def _post(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        try:
            response = _client(self.connection).post(
                url, json=payload, headers=self._headers()
            )
        except httpx.TimeoutException as exc:
            raise TransientBackendError(f"timeout: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientBackendError(f"connection error: {exc!r}") from exc
        return response

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        message = f"HTTP {status}: {_error_message(response)}"
        if status == 429 or status >= 500:
            raise TransientBackendError(message, status_code=status)
        if _CONTEXT_EXCEEDED.search(response.text):
            raise ContextExceededError(message, status_code=status)
        raise PermanentBackendError(message, status_code=status)

    def check_reachable(self, timeout: float) -> None:
        """GET /v1/models with a short timeout; only a failed connection counts."""
        try:
            # The pooled client: a new one would load the certificate store again
            # (about 25 ms) on every check.
            _client(self.connection).get(
                f"{self.api_root}/models",
                headers=self._headers(),
                timeout=httpx.Timeout(timeout, connect=timeout),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransientBackendError(f"cannot connect: {exc}") from exc
        except httpx.TransportError:
            return  # connected, but slow or cut short: reachable

    def complete(self, request: ChatRequest) -> ChatResponse:
        payload: dict[str, Any] = {
            "model": self.connection.model_id,
            "messages": request.messages,
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            **request.extra,
        }
        started = time.perf_counter()
        response = self._post(f"{self.api_root}/chat/completions", payload)
        latency = time.perf_counter() - started
        self._raise_for_status(response)
        try:
            body = response.json()
            choice = body["choices"][0]
            content = choice["message"].get("content")
            if content is None:
                # No reply at all (a refusal, a tool call, a reasoning model cut
                # short while thinking): stored as "", it passed for an empty one.
                raise PermanentBackendError(
                    "the server returned no content (finish_reason "
                    f"{choice.get('finish_reason')!r}): {response.text[:500]}"
                )
            usage = body.get("usage") or {}
            return ChatResponse(
                text=content,
                finish_reason=choice.get("finish_reason") or "",
                prompt_tokens=_count(usage.get("prompt_tokens")),
                completion_tokens=_count(usage.get("completion_tokens")),
                model_id=body.get("model") or self.connection.model_id,
                latency_seconds=latency,
            )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise PermanentBackendError(
                f"unexpected response: {response.text[:500]}"
            ) from exc

    def stream(self, request: ChatRequest) -> Iterator[str]:
        """``stream: true``: the server sends ``data: {chunk}`` lines, then
        ``data: [DONE]``; each chunk's ``choices[0].delta.content`` is yielded."""
        payload: dict[str, Any] = {
            "model": self.connection.model_id,
            "messages": request.messages,
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            **request.extra,
            "stream": True,
        }
        try:
            with _client(self.connection).stream(
                "POST",
                f"{self.api_root}/chat/completions",
                json=payload,
                headers=self._headers(),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for_status(response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        return
                    try:
                        choices = json.loads(data).get("choices") or [{}]
                        piece = (choices[0].get("delta") or {}).get("content")
                    except (ValueError, AttributeError, TypeError) as exc:
                        raise PermanentBackendError(
                            f"unexpected stream line: {line[:500]}"
                        ) from exc
                    if piece:
                        yield piece
        except httpx.TimeoutException as exc:
            raise TransientBackendError(f"timeout: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientBackendError(f"connection error: {exc!r}") from exc

    def count_prompt_tokens(self, messages: list[Message]) -> int:
        """llama.cpp: /apply-template then /tokenize; vLLM: /tokenize with messages."""
        url = f"{self.server_root}/apply-template"
        response = self._post(url, {"messages": messages})
        if response.status_code == 200 and "prompt" in _json_object(response, url):
            url = f"{self.server_root}/tokenize"
            response = self._post(
                url, {"content": response.json()["prompt"], "add_special": True}
            )
            self._raise_for_status(response)
            tokens = _json_object(response, url).get("tokens")
            if not isinstance(tokens, list):
                raise PermanentBackendError(f"{url} answered without tokens")
            return len(tokens)
        if response.status_code >= 500:
            self._raise_for_status(response)
        url = f"{self.server_root}/tokenize"
        response = self._post(
            url,
            {
                "model": self.connection.model_id,
                "messages": messages,
                "add_generation_prompt": True,
            },
        )
        if response.status_code in (404, 405):
            # Also what a wrong path in the base URL gives: say both.
            raise TokenizeUnsupportedError(
                f"{url} answered {response.status_code}: check "
                "the chat model's base URL (the server's root, with or without /v1); "
                "if it is right, the server cannot count tokens: choose another "
                "tokenizer (tiktoken or a tokenizer file)"
            )
        self._raise_for_status(response)
        body = _json_object(response, url)
        if isinstance(body.get("count"), int):
            return body["count"]
        raise TokenizeUnsupportedError(f"/tokenize answered without a count: {body}")


def _json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    """A tokenizer endpoint's answer; a permanent error when it is no JSON object.

    An HTML page (a proxy's, or a web app's at a wrong base URL) answered with 200
    raised JSONDecodeError, which the tasks retried for 20 minutes as unexpected.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PermanentBackendError(
            f"{url} answered with something other than JSON: check the chat "
            f"model's base URL ({response.text[:200]!r})"
        )
    return body


def _count(value: Any) -> int | None:
    """A usage count as the server reports it; None when it reports none, or one
    that is no count (a string, a negative number), which the text need not share:
    a malformed count failed the generation's database write, and that was retried
    as if the server were down."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
        return value
    return None
