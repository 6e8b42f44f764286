"""Opaque names for the items an annotator is served (pairs and quality checks), so
that nothing in a page's address or data tells a check from a pair.

A token enciphers (kind, id) with a four-round Feistel network keyed by HMAC-SHA256
of a secret: invertible, so nothing is stored, and unreadable without the secret.
Pure Python, no Django."""

from __future__ import annotations

import hashlib
import hmac

PAIR = 0
CHECK = 1
_HALF = 32
_MASK = (1 << _HALF) - 1
_ROUNDS = 4
_LENGTH = 16  # hex digits of 64 bits


def _round(key: bytes, number: int, half: int) -> int:
    digest = hmac.new(key, f"{number}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def token_for(*, key: bytes, kind: int, pk: int) -> str:
    """The token of item ``pk`` of ``kind`` (PAIR or CHECK); ids below 2**62."""
    if kind not in (PAIR, CHECK) or not 0 <= pk < 1 << 62:
        raise ValueError("kind or id out of range")
    value = (kind << 62) | pk
    left, right = value >> _HALF, value & _MASK
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    return f"{(left << _HALF) | right:0{_LENGTH}x}"


def token_read(*, key: bytes, token: str) -> tuple[int, int] | None:
    """(kind, id) of a token; None for anything that is not one of ours."""
    if len(token) != _LENGTH:
        return None
    try:
        value = int(token, 16)
    except ValueError:
        return None
    left, right = value >> _HALF, value & _MASK
    for number in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, number, left), left
    value = (left << _HALF) | right
    kind, pk = value >> 62, value & ((1 << 62) - 1)
    return (kind, pk) if kind in (PAIR, CHECK) else None
