"""Checks before a job is queued: the broker and every chat model's server answer.

A job's tasks are published after its transaction commits, so a broker or a server
that is down would otherwise leave a job "running" with nothing queued, or with every
task retrying against a dead server for many minutes. These checks refuse early, with
the name and address of what is down; they are a best effort (a server may still fall
over mid-run, which the retries and the job page's "waiting for" line cover).
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import current_app
from kombu.exceptions import OperationalError

from generations.backends import BackendError, Connection, get_backend
from generations.models import ChatModel

SERVER_TIMEOUT = 3.0
BROKER_TIMEOUT = 2.0


class BrokerUnavailable(Exception):
    """The task broker cannot be reached: nothing can be queued (HTTP 503)."""


class ServerUnreachable(Exception):
    """A chat model's inference server cannot be connected to (HTTP 503)."""

    def __init__(self, unreachable: list[tuple[str, str, str]]):
        self.unreachable = unreachable  # (chat model, base URL, error)
        super().__init__(
            "; ".join(
                f"cannot connect to the server of chat model {name} at {url}: {error}"
                for name, url, error in unreachable
            )
        )


def broker_check() -> None:
    """Raise ``BrokerUnavailable`` unless one connection to the broker succeeds.

    Eager tasks (tests, demos) need no broker and pass.
    """
    app = current_app
    if app.conf.task_always_eager:
        return
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
    except (OperationalError, OSError) as exc:
        raise BrokerUnavailable(
            f"The task broker is unavailable ({exc}); nothing was queued. "
            "Try again when it is back."
        ) from exc


def servers_check(chat_models: Iterable[ChatModel]) -> None:
    """Raise ``ServerUnreachable`` naming each chat model whose server refuses.

    One short connection per distinct base URL; any HTTP answer counts as reachable.
    """
    checked: dict[str, str | None] = {}
    unreachable = []
    for chat_model in chat_models:
        if chat_model.backend == ChatModel.Backend.IMPORTED:
            continue
        url = chat_model.base_url
        if url not in checked:
            checked[url] = _server_error(chat_model)
        if checked[url] is not None:
            unreachable.append((chat_model.name, url, checked[url]))
    if unreachable:
        raise ServerUnreachable(unreachable)


def _server_error(chat_model: ChatModel) -> str | None:
    connection = Connection(
        base_url=chat_model.base_url,
        model_id=chat_model.model_id,
        connect_timeout=SERVER_TIMEOUT,
        read_timeout=SERVER_TIMEOUT,
    )
    try:
        get_backend(chat_model.backend, connection).check_reachable(SERVER_TIMEOUT)
    except BackendError as exc:
        return str(exc)
    return None
