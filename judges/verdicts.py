"""A judge's verdict: its vocabulary per scale, the JSON schema and the strict parsers.

Pure (no Django). A verdict is a token that says which side is better and by how much:
the number of ``>`` is the strength, ``C`` is a tie (MT-Bench's ``[[C]]``).

========== ======================================= ============ ======
scale      tokens (as shown: A left, B right)       choice       tie
========== ======================================= ============ ======
three      ``A``, ``C``, ``B``                     1, 0, -1     ``C``
seven      ``A>>>`` ``A>>`` ``A>`` ``C``           3 .. -3      ``C``
           ``B>`` ``B>>`` ``B>>>``
preference ``A>>>>`` ``A>>>`` ``A>>`` ``A>``       4 .. 1,      none
           ``B>`` ``B>>`` ``B>>>`` ``B>>>>``       -1 .. -4
========== ======================================= ============ ======

Two formats carry a token:

- **json**: the whole reply is one JSON object ``{"verdict": TOKEN}`` and nothing else
  (whitespace around it aside); the request asks for it as structured output with
  ``json_schema``, which constrains a server such as llama.cpp's to that object.
- **text**: free text holding the token in double brackets, ``[[A>>]]``. Every
  double-bracketed item of the reply must be a token of the scale and all must be the
  same one (a verdict repeated is fine; two different ones, or ``[[D]]``, are not).

Anything else is unparseable: ``parse`` returns None and never guesses.
"""

from __future__ import annotations

import json
import re

from annotations.scales import labels

JSON = "json"
TEXT = "text"
FORMATS = (JSON, TEXT)
SCALES = ("seven", "three", "preference")
SCHEMA_NAME = "verdict"

_STRENGTHS = {"seven": 3, "three": 1, "preference": 4}
_BRACKETED = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


def _token(value: int, scale: str) -> str:
    if value == 0:
        return "C"
    side = "A" if value > 0 else "B"
    return side if scale == "three" else side + ">" * abs(value)


def vocabulary(scale: str) -> list[tuple[str, int, str]]:
    """(token, choice as shown, meaning) of every verdict of ``scale``, A best first.

    Raises ValueError for a scale judges do not use (Likert: no pairs).
    """
    if scale not in SCALES:
        raise ValueError(f"judges have no verdicts on the {scale!r} scale")
    return [(_token(value, scale), value, label) for value, label in labels(scale)]


def tokens(scale: str) -> dict[str, int]:
    """Token to choice as shown (positive prefers A)."""
    return {token: value for token, value, _ in vocabulary(scale)}


def json_schema(scale: str) -> dict:
    """The schema of the JSON verdict: one field, its enum the scale's tokens.

    Kept minimal (no explanation field) so that a constrained decoder is done in a
    handful of tokens, even with random weights.
    """
    return {
        "type": "object",
        "properties": {"verdict": {"type": "string", "enum": list(tokens(scale))}},
        "required": ["verdict"],
        "additionalProperties": False,
    }


def response_format(scale: str) -> dict:
    """The chat-completions ``response_format`` that asks for the JSON verdict."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_NAME,
            "strict": True,
            "schema": json_schema(scale),
        },
    }


def instructions(scale: str, verdict_format: str) -> str:
    """What ``{scale}`` stands for in a template: each verdict with its meaning."""
    lines = []
    for token, _, meaning in vocabulary(scale):
        shown = f"[[{token}]]" if verdict_format == TEXT else json.dumps(token)
        lines.append(f"{shown}: {meaning}")
    if verdict_format == TEXT:
        head = "End your reply with exactly one of these verdicts, brackets included:"
    else:
        head = 'Reply with a JSON object {"verdict": ...} holding one of these values:'
    return "\n".join([head, *lines])


def parse_json(scale: str, reply: str) -> int | None:
    """The choice of a reply that is exactly ``{"verdict": TOKEN}``; else None."""
    try:
        value = json.loads(reply, object_pairs_hook=_unique_keys)
    except ValueError:
        return None
    if not isinstance(value, dict) or set(value) != {"verdict"}:
        return None
    token = value["verdict"]
    return tokens(scale).get(token) if isinstance(token, str) else None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object with a key given twice ({"verdict": "A", "verdict": "B"}) is no
    verdict: json.loads would keep the last one silently."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def parse_text(scale: str, reply: str) -> int | None:
    """The choice of a reply whose double-bracketed items are all one token; else None."""
    found = set(_BRACKETED.findall(reply))
    if len(found) != 1:
        return None
    return tokens(scale).get(found.pop())


def parse(verdict_format: str, scale: str, reply: str) -> int | None:
    """The choice as shown (positive prefers A) read from ``reply``, or None."""
    if verdict_format == JSON:
        return parse_json(scale, reply)
    if verdict_format == TEXT:
        return parse_text(scale, reply)
    raise ValueError(f"unknown verdict format {verdict_format!r}")
