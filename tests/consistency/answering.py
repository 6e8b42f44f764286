"""A fixed answer pattern for consistency tests, and the hand count of its report."""

from __future__ import annotations

from collections import Counter

# Answers of annotators 0, 1, 2 by kind: majority yes, majority no, majority not
# applicable, a three-way tie.
KINDS = (
    ("yes", "yes", "no"),
    ("no", "no", "yes"),
    ("not_applicable", "not_applicable", "yes"),
    ("yes", "no", "not_applicable"),
)


def answer_for(annotator_index: int, instruction: str, turn: int, model: str) -> str:
    """A fixed answer for an annotator (0, 1 or 2) on a reply; over 3 instructions
    x 3 turns x 2 models it gives every kind of verdict."""
    kind = (int(instruction.lstrip("i")) + turn + model.endswith("beta")) % 4
    if (instruction, turn) == ("i0", 1):
        kind = 0  # the first turn mostly respects, like the paper's figure
    return KINDS[kind][annotator_index % 3]


def hand_count(given: list[tuple[str, str, int, str]], per_reply: int):
    """{(model, turn): (respecting, decided)} from (model, instruction, turn, answer)
    tuples, counted the plain way: group, count votes, apply the majority rule."""
    votes: dict[tuple[str, str, int], list[str]] = {}
    for model, instruction, turn, answer in given:
        votes.setdefault((model, instruction, turn), []).append(answer)
    counts: dict[tuple[str, int], list[int]] = {}
    for (model, _, turn), answers in votes.items():
        assert len(answers) == per_reply
        top, n = Counter(answers).most_common(1)[0]
        cell = counts.setdefault((model, turn), [0, 0])
        if n > per_reply / 2 and top in ("yes", "no"):
            cell[1] += 1
            cell[0] += top == "yes"
    return {key: tuple(value) for key, value in counts.items()}
