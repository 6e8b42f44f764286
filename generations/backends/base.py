"""The contract every inference backend implements: dataclasses in, dataclasses out."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, str]


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one inference server."""

    base_url: str
    model_id: str
    api_key: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 120.0


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion: the messages as sent and the decoding settings."""

    messages: list[Message]
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatResponse:
    """What the server answered."""

    text: str
    finish_reason: str
    prompt_tokens: int | None
    completion_tokens: int | None
    model_id: str
    latency_seconds: float


class BackendError(Exception):
    """An inference request failed; ``transient`` says whether a retry may help."""

    transient = False

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class TransientBackendError(BackendError):
    """Connection errors, timeouts, 429 and 5xx: worth retrying with backoff."""

    transient = True


class PermanentBackendError(BackendError):
    """The request itself is wrong (4xx): retrying gives the same answer."""


class ContextExceededError(PermanentBackendError):
    """The server says the input does not fit its context window."""


class TokenizeUnsupportedError(PermanentBackendError):
    """The server has no endpoint to count tokens."""


class ChatBackend(abc.ABC):
    """Base class of one inference protocol; subclasses implement the two calls."""

    def __init__(self, connection: Connection):
        self.connection = connection

    @abc.abstractmethod
    def complete(self, request: ChatRequest) -> ChatResponse:
        """Send one chat request and return the response."""

    def stream(self, request: ChatRequest) -> Iterator[str]:
        """The reply's text, piece by piece, as the server generates it."""
        raise PermanentBackendError(f"{type(self).__name__} cannot stream replies")

    def count_prompt_tokens(self, messages: list[Message]) -> int:
        """Tokens of the formatted input (chat template applied), server-counted."""
        raise TokenizeUnsupportedError(
            f"{type(self).__name__} cannot count tokens; set a tokenizer file"
        )

    def check_reachable(self, timeout: float) -> None:  # noqa: B027 - optional
        """Raise ``TransientBackendError`` when the server cannot be connected to.

        Any HTTP answer, whatever its status, means the server is reachable. The
        default checks nothing.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections; the default holds none."""
