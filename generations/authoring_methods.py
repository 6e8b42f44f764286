"""Which collection method a new dialogue uses, and which side answers each turn.

Pure rules: no Django imports, tested by hand.
"""

from collections.abc import Mapping

# The paper's four methods, in the order that breaks ties.
METHODS = ("chatgpt", "llama2chat", "best_of_both", "alternating")
SIDE_A, SIDE_B = "a", "b"


def method_assign(*, targets: Mapping[str, float], counts: Mapping[str, int]) -> str:
    """The method furthest behind its target share.

    ``targets`` maps methods to shares (any scale; normalised here; empty or all
    zero means equal shares); ``counts`` maps methods to dialogues already begun.
    With ``n`` dialogues so far, the next one is the ``n + 1``-th: the method whose
    ``share * (n + 1) - count`` is largest is furthest behind. Ties go to the method
    earlier in ``METHODS``; a method with share 0 is chosen only when every
    positive-share method is ahead of its target by as much.
    """
    shares = {
        method: max(float(targets.get(method, 0) or 0), 0.0) for method in METHODS
    }
    total_share = sum(shares.values())
    if total_share == 0:
        shares = dict.fromkeys(METHODS, 1.0)
        total_share = float(len(METHODS))
    n = sum(counts.get(method, 0) for method in METHODS)
    deficits = {
        method: shares[method] / total_share * (n + 1) - counts.get(method, 0)
        for method in METHODS
    }
    return max(METHODS, key=lambda method: (deficits[method], -METHODS.index(method)))


def sides_for_turn(method: str, assistant_turn: int) -> tuple[str, ...]:
    """The sides that answer the ``assistant_turn``-th reply (0-based).

    a: the ChatGPT-like side always; b: the Llama 2-Chat-like side always;
    best of both: both, the writer keeps one; alternating: a, b, a, ...
    """
    if method == "chatgpt":
        return (SIDE_A,)
    if method == "llama2chat":
        return (SIDE_B,)
    if method == "best_of_both":
        return (SIDE_A, SIDE_B)
    if method == "alternating":
        return (SIDE_A,) if assistant_turn % 2 == 0 else (SIDE_B,)
    raise ValueError(f"unknown collection method {method!r}")
