"""Table 26 (batch statistics): hand-computed small cases on PostgreSQL.

Tokens are counted with tiktoken's cl100k_base, hand-counted: "Hello world" is
["Hello", " world"] (2) and "The quick brown fox jumps over the lazy dog." is one
token a word and one for the stop (10).
"""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Evaluation
from generations import tokenizers
from reports.preference_batches import batch_rows, batch_statistics
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


def test_the_hand_counted_strings_have_the_counts_the_cases_use():
    assert tokenizers.count_text_tokens(CL100K, [HELLO, FOX, ""]) == [2, 10, 0]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _rate(pair, choice, *, scale, at="2026-02-02T12:00", on_left=True):
    return RatingFactory(comparison=pair, annotator=UserFactory(), scale=scale,
                         choice=choice, candidate_on_left=on_left,
                         created_at=_at(at))  # fmt: skip


@pytest.fixture
def data(db):
    """Two evaluations on one prompt set: "batch 10" (preference scale, labelled)
    and one without a label (seven-point, batched by ISO week)."""
    cache.clear()
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
                                 batch="batch 10")  # fmt: skip
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
    yield {"labelled": labelled, "weekly": weekly, "own_single": own_single}
    cache.clear()


def _figures(row):
    return (row.batch, row.comparisons, row.turns_per_dialogue, row.tokens_per_prompt,
            row.tokens_per_response, row.tokens_per_example)  # fmt: skip


def _shares(row):
    return [row.share(strength) for strength in (4, 3, 2, 1)]


@pytest.mark.django_db
def test_batches_by_label_and_by_iso_week_with_turns_and_tokens(data):
    table = batch_statistics([data["weekly"].pk, data["labelled"].pk])
    # Comparisons on the single-turn prompt: prompt (2 + 2) / 2 = 2 tokens,
    # responses (2 + 10) / 2 = 6. On the two-turn prompt: prompt 14, responses
    # (7 stored + 2) / 2 = 4.5.
    approx = pytest.approx
    assert [_figures(row) for row in table.rows] == [
        ("2026-W01", 2, 1.0, 2.0, 6.0, 8.0),
        ("2026-W02", 1, 1.0, 2.0, 6.0, 8.0),
        ("batch 10", 3, approx(4 / 3), approx(18 / 3), approx(16.5 / 3),
         approx(34.5 / 3)),
    ]  # fmt: skip
    assert _figures(table.total) == (
        "Total",
        6,
        approx(7 / 6),
        approx(24 / 6),
        approx(34.5 / 6),
        approx(58.5 / 6),
    )
    assert [_shares(row) for row in table.rows] == [
        [0.5, 0.0, 0.5, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [approx(1 / 3), approx(1 / 3), approx(1 / 3), 0.0],
    ]
    assert _shares(table.total) == [approx(2 / 6), approx(2 / 6), approx(2 / 6), 0]
    assert table.evaluations == (data["labelled"].name, data["weekly"].name)


@pytest.mark.django_db
def test_the_table_says_which_tokenizer_counted_each_chat_model(data):
    table = batch_statistics([data["labelled"].pk])
    uses = {use.chat_model: use for use in table.tokenizers}
    assert (uses["own-tokenizer"].tokenizer, uses["own-tokenizer"].fallback) == (
        CL100K, False)  # fmt: skip
    assert (uses["server-only"].tokenizer, uses["server-only"].fallback) == (
        tokenizers.FALLBACK, True)  # fmt: skip
    assert (uses["own-tokenizer"].responses, uses["own-tokenizer"].server_counted) == (
        2, 1)  # fmt: skip
    assert table.fallback_tokenizer == tokenizers.FALLBACK
    assert (
        "server-only: tiktoken:cl100k_base (fallback for backend)"
        in (batch_rows(table)["tokenizers"].iloc[0])
    )


@pytest.mark.django_db
def test_a_second_table_reads_no_texts_and_a_changed_text_is_counted_again(
    data, django_capture_on_commit_callbacks
):
    evaluation = data["labelled"].pk
    before = batch_statistics([evaluation])
    with CaptureQueriesContext(connection) as queries:
        again = batch_statistics([evaluation])
    assert again == before
    assert not any('"text"' in query["sql"] for query in queries.captured_queries)
    generation = data["own_single"]
    generation.text = FOX  # 10 tokens instead of 2
    with django_capture_on_commit_callbacks(execute=True):
        generation.save()  # a new data version for the evaluation
    changed = batch_statistics([evaluation])
    # Two of the three comparisons hold it: responses up by 8 / 2 each.
    assert changed.total.tokens_per_response == pytest.approx(
        before.total.tokens_per_response + 2 * 4 / 3
    )
    assert batch_statistics([evaluation], use_cache=False) == changed


@pytest.mark.django_db
def test_no_preference_ratings_give_an_empty_table_with_a_total(db):
    cache.clear()
    evaluation = EvaluationFactory(scale=Evaluation.Scale.THREE)
    RatingFactory(comparison=ComparisonFactory(evaluation=evaluation), scale="three")
    table = batch_statistics([evaluation.pk])
    assert table.rows == ()
    assert (table.total.comparisons, table.total.tokens_per_example) == (0, None)
