"""Inference backends: one client per protocol, chosen by name like mail backends.

Backends never import models: callers pass a ``Connection`` and ``ChatRequest``.
"""

from __future__ import annotations

from .base import (
    BackendError,
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

BACKENDS = {"openai": "generations.backends.openai.OpenAIChatBackend"}


def get_backend(kind: str, connection: Connection) -> ChatBackend:
    """An instance of the backend registered under ``kind``."""
    from importlib import import_module

    try:
        module_name, class_name = BACKENDS[kind].rsplit(".", 1)
    except KeyError:
        raise PermanentBackendError(f"no inference backend for {kind!r}") from None
    return getattr(import_module(module_name), class_name)(connection)


__all__ = [
    "BACKENDS",
    "BackendError",
    "ChatBackend",
    "ChatRequest",
    "ChatResponse",
    "Connection",
    "ContextExceededError",
    "Message",
    "PermanentBackendError",
    "TokenizeUnsupportedError",
    "TransientBackendError",
    "get_backend",
]
