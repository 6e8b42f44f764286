"""What a judge is sent: the default templates, placeholders filled, the messages.

Pure (no Django). A template's user part receives four placeholders, replaced in one
pass (text inserted is never scanned again, and other braces are left alone, so a
template may show JSON):

- ``{dialogue}``: every turn of the prompt, labelled (``### User:``, ``### Assistant:``);
- ``{response_a}`` and ``{response_b}``: the two responses as shown, Model A first;
- ``{scale}``: the verdicts allowed and their meaning (``verdicts.instructions``).

The template's system prompt is sent as the system message (the judge's chat model's
own system prompt is not used for judging).
"""

from __future__ import annotations

import hashlib
import re

from . import verdicts

PLACEHOLDERS = ("dialogue", "response_a", "response_b", "scale")
REQUIRED = ("dialogue", "response_a", "response_b")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_ROLES = {"user": "User", "assistant": "Assistant", "system": "System"}

DEFAULT_NAME = "mt-bench-pairwise"
DEFAULT_TEXT_NAME = "mt-bench-pairwise-text"

# After MT-Bench's pairwise judge ("pair-v2", Zheng et al. 2023), with the question
# of the Llama 2 paper's human evaluation (helpful while also safe and honest).
DEFAULT_SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses "
    "provided by two AI assistants to the conversation displayed below. You should "
    "choose the assistant that follows the user's instructions and answers the "
    "user's last question better: the more helpful response that is also safe and "
    "honest. Your evaluation should consider factors such as the helpfulness, "
    "relevance, accuracy, depth, creativity, and level of detail of their responses. "
    "Avoid any position biases and ensure that the order in which the responses were "
    "presented does not influence your decision. Do not allow the length of the "
    "responses to influence your evaluation. Do not favor certain names of the "
    "assistants. Be as objective as possible."
)
DEFAULT_USER_TEMPLATE = (
    "<|The Start of the Conversation|>\n{dialogue}\n<|The End of the Conversation|>\n\n"
    "[The Start of Assistant A's Answer]\n{response_a}\n"
    "[The End of Assistant A's Answer]\n\n"
    "[The Start of Assistant B's Answer]\n{response_b}\n"
    "[The End of Assistant B's Answer]\n\n"
    "{scale}"
)
DEFAULT_TEXT_SYSTEM_PROMPT = (
    DEFAULT_SYSTEM_PROMPT + " Begin your evaluation by comparing the two responses and "
    "provide a short explanation. After providing your explanation, output your final "
    "verdict by strictly following the format given."
)


def missing_placeholders(user_template: str) -> list[str]:
    """The required placeholders a user template lacks (``{scale}`` is optional)."""
    found = set(_PLACEHOLDER.findall(user_template))
    return [name for name in REQUIRED if name not in found]


def dialogue_text(turns: list[dict]) -> str:
    """Every turn, labelled by its role, in order."""
    return "\n\n".join(
        f"### {_ROLES.get(turn['role'], turn['role'])}:\n{turn['content']}"
        for turn in turns
    )


def fill(user_template: str, values: dict[str, str]) -> str:
    """The template with each placeholder replaced by ``values[name]``, in one pass."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], user_template)


def judge_messages(
    *,
    system_prompt: str,
    user_template: str,
    verdict_format: str,
    scale: str,
    turns: list[dict],
    response_a: str,
    response_b: str,
) -> list[dict[str, str]]:
    """The chat messages of one judgement: the system prompt (if any), then the
    filled user template."""
    content = fill(
        user_template,
        {
            "dialogue": dialogue_text(turns),
            "response_a": response_a,
            "response_b": response_b,
            "scale": verdicts.instructions(scale, verdict_format),
        },
    )
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*system, {"role": "user", "content": content}]


def candidate_first(comparison_id: int) -> bool:
    """Whether the candidate is Model A in the order as shown, drawn per pair.

    A hash of the comparison id: the same for every judge and every run, about half
    of the pairs each way, and independent of the annotators' own draws.
    """
    digest = hashlib.sha256(f"judge-order:{comparison_id}".encode()).digest()
    return digest[0] % 2 == 0
