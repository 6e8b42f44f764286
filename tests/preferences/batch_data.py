"""A small hand-counted case of preference data in two batches, for the Table 26
tests: two evaluations on one prompt set, one labelled "batch 10" (preference
scale) and one without a label (seven-point, batched by ISO week).

Tokens are counted with tiktoken's cl100k_base, hand-counted: "Hello world" is
["Hello", " world"] (2) and "The quick brown fox jumps over the lazy dog." is one
token a word and one for the stop (10).
"""

from datetime import UTC, datetime

from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
    RatingFactory,
    UserFactory,
)

HELLO, FOX = "Hello world", "The quick brown fox jumps over the lazy dog."
CL100K = "tiktoken:cl100k_base"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _rate(pair, choice, *, scale, at="2026-02-02T12:00", on_left=True):
    return RatingFactory(comparison=pair, annotator=UserFactory(), scale=scale,
                         choice=choice, candidate_on_left=on_left,
                         created_at=_at(at))  # fmt: skip


def make_batch_data(batch: str = "batch 10") -> dict:
    """The case; returns the two evaluations and one generation by name."""
    own = ChatModelFactory(name="own-tokenizer", tokenizer=CL100K)
    server = ChatModelFactory(name="server-only", tokenizer="backend")
    prompt_set = PromptSetFactory()
    single = PromptFactory(prompt_set=prompt_set, turns=[
        {"role": "user", "content": HELLO}])  # fmt: skip
    # A system turn is no part of the dialogue; user, assistant, user: 2 + 10 + 2.
    multi = PromptFactory(prompt_set=prompt_set, turns=[
        {"role": "system", "content": FOX},
        {"role": "user", "content": HELLO},
        {"role": "assistant", "content": FOX},
        {"role": "user", "content": HELLO},
    ])  # fmt: skip
    assert multi.num_turns == 2
    own_single = GenerationFactory(prompt=single, chat_model=own, text=HELLO)
    server_single = GenerationFactory(prompt=single, chat_model=server, text=FOX)
    # The server counted 7 tokens: that count wins over the text's 2.
    own_multi = GenerationFactory(prompt=multi, chat_model=own, text=HELLO,
                                  completion_tokens=7)  # fmt: skip
    server_multi = GenerationFactory(prompt=multi, chat_model=server, text=HELLO)
    labelled = EvaluationFactory(prompt_set=prompt_set, candidate=own,
                                 baseline=server, scale="preference",
                                 batch=batch)  # fmt: skip
    weekly = EvaluationFactory(prompt_set=prompt_set, candidate=own, baseline=server,
                               scale="seven")  # fmt: skip
    first = ComparisonFactory(evaluation=labelled, prompt=single,
                              candidate_generation=own_single,
                              baseline_generation=server_single)  # fmt: skip
    second = ComparisonFactory(evaluation=labelled, prompt=multi,
                               candidate_generation=own_multi,
                               baseline_generation=server_multi)  # fmt: skip
    third = ComparisonFactory(evaluation=weekly, prompt=single,
                              candidate_generation=own_single,
                              baseline_generation=server_single)  # fmt: skip
    _rate(first, 4, scale="preference")  # own chosen, significantly
    _rate(first, -2, scale="preference")  # server chosen, slightly
    _rate(second, 3, scale="preference", on_left=False)  # server chosen, better
    # 2025-12-29 (a Monday) and Sunday 2026-01-04 are in ISO week 2026-W01.
    _rate(third, 1, scale="seven", at="2025-12-29T00:30")  # slightly
    _rate(third, -3, scale="seven", at="2026-01-04T23:59")  # significantly
    _rate(third, 0, scale="seven", at="2026-01-05T08:00")  # about the same: out
    _rate(third, 2, scale="seven", at="2026-01-05T09:00")  # W02, better
    return {"labelled": labelled, "weekly": weekly, "own_single": own_single}
