"""Table 26 (batch statistics of preference data) and its Figure 25, as values."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Value

# The strengths, strongest first, as the fields of a ``BatchRow`` name them.
STRENGTH_FIELDS = {
    4: "significantly",
    3: "better",
    2: "slightly",
    1: "negligibly",
}


@dataclass(frozen=True)
class BatchRow(Value):
    """One batch of comparisons (or all of them: ``batch`` is "Total").

    The averages are over the batch's comparisons (None without any); the four
    shares are those of each strength among them.
    """

    batch: str
    comparisons: int
    turns_per_dialogue: float | None
    tokens_per_example: float | None
    tokens_per_prompt: float | None
    tokens_per_response: float | None
    significantly: float | None
    better: float | None
    slightly: float | None
    negligibly: float | None

    def share(self, strength: int) -> float | None:
        """The share of comparisons with ``strength`` (4 to 1)."""
        return getattr(self, STRENGTH_FIELDS[strength])


@dataclass(frozen=True)
class TokenizerUse(Value):
    """How the tokens of one chat model's responses (and of the dialogues they
    answer) were counted."""

    chat_model: str
    setting: str  # the chat model's own ``tokenizer`` field
    tokenizer: str  # what counted its texts
    fallback: bool  # True when ``setting`` could not count here
    responses: int  # its distinct responses in the table
    server_counted: int  # of them, counted by the server (stored completion tokens)


@dataclass(frozen=True)
class BatchDefinitions(Value):
    """What each column means, as the page and the CSV state it."""

    batch: str
    comparison: str
    turns: str
    example: str
    prompt: str
    response: str
    tokenizer: str


@dataclass(frozen=True)
class BatchStatistics(Value):
    """Table 26 over some evaluations: one row per batch, in order, and the total."""

    evaluation_ids: tuple[int, ...]
    evaluations: tuple[str, ...]
    rows: tuple[BatchRow, ...]
    total: BatchRow
    tokenizers: tuple[TokenizerUse, ...]
    fallback_tokenizer: str
    definitions: BatchDefinitions
