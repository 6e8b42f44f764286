"""The messages of a consistency dialogue up to a turn: pure, no Django."""

from __future__ import annotations

from collections.abc import Sequence

Message = dict[str, str]


def dialogue_messages(
    system_message: str, probes: Sequence[str], replies: Sequence[str], turn: int
) -> list[Message]:
    """[system, user 1, reply 1, ..., user ``turn``]: the prompt of turn ``turn``.

    ``replies`` are the chat model's replies of the turns before, in order; at least
    ``turn - 1`` of them. The instruction's system message is the system message
    sent (a chat model's own system prompt is not used: the instruction replaces it).
    """
    if not 1 <= turn <= len(probes):
        raise ValueError(f"turn {turn} outside 1..{len(probes)}")
    if len(replies) < turn - 1:
        raise ValueError(f"turn {turn} needs {turn - 1} replies, {len(replies)} given")
    messages: list[Message] = [{"role": "system", "content": system_message}]
    for index in range(turn - 1):
        messages.append({"role": "user", "content": probes[index]})
        messages.append({"role": "assistant", "content": replies[index]})
    messages.append({"role": "user", "content": probes[turn - 1]})
    return messages


def context_note(turn: int, needed: int | None, limit: int, detail: str = "") -> str:
    """Why a dialogue stopped before ``turn``: its prompt does not fit the context."""
    if needed is None:
        return (
            f"stopped before turn {turn}: the server refused the prompt as over its "
            f"context (context limit {limit}){': ' + detail if detail else ''}"
        )
    return (
        f"stopped before turn {turn}: the prompt would need {needed} tokens, "
        f"over the context limit {limit}"
    )
