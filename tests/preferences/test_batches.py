"""Table 26 (batch statistics): hand-computed small cases on PostgreSQL (the case
and its hand counts: ``tests/preferences/batch_data.py``)."""

import numpy as np
import pandas as pd
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as s

from annotations.models import Evaluation
from generations import tokenizers
from reports.preference_batches import batch_rows, batch_statistics
from reports.statistics import batches as st
from tests.factories import ComparisonFactory, EvaluationFactory, RatingFactory

from .batch_data import CL100K, FOX, HELLO, make_batch_data


def test_the_hand_counted_strings_have_the_counts_the_cases_use():
    assert tokenizers.count_text_tokens(CL100K, [HELLO, FOX, ""]) == [2, 10, 0]


@pytest.fixture
def data(db):
    cache.clear()
    yield make_batch_data()
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


def test_iso_weeks_follow_the_iso_calendar_across_the_new_year():
    times = pd.Series(pd.to_datetime(
        ["2025-12-28T23:59Z", "2025-12-29T00:00Z", "2027-01-03T12:00Z",
         "2027-01-04T00:00Z", "2020-12-31T00:00Z"]
    ))  # fmt: skip
    assert st.iso_weeks(times).tolist() == [
        "2025-W52", "2026-W01", "2026-W53", "2027-W01", "2020-W53"
    ]  # fmt: skip


def test_batches_sort_by_label_with_numbers_as_numbers():
    rows = pd.DataFrame({"batch": ["batch 10", "batch 2", "Batch 1", "2026-W03"],
                         "strength": [1, 2, 3, 4], "num_turns": [1, 1, 1, 1],
                         "prompt_tokens": [0, 0, 0, 0],
                         "response_tokens": [0, 0, 0, 0]})  # fmt: skip
    assert st.batch_table(rows)["batch"].tolist() == [
        "2026-W03", "Batch 1", "batch 2", "batch 10"
    ]  # fmt: skip


@given(s.lists(s.text(max_size=8), min_size=1, max_size=6))
def test_any_batch_labels_sort(labels):
    """Labels are free text: a superscript two counts as a digit for
    ``str.isdigit`` but not for ``int`` (it once made the sort raise)."""
    ordered = sorted([*labels, "\u00b2", "batch \u00b2", "\u0663"], key=st.natural_key)
    assert sorted(ordered, key=st.natural_key) == ordered
    assert st.natural_key("batch 2") < st.natural_key("batch 10")


@settings(max_examples=60, deadline=None)
@given(
    s.lists(
        s.tuples(s.sampled_from(["a", "b 2", "b 10", "2026-W01"]),
                 s.integers(1, 4), s.integers(1, 5), s.integers(0, 500),
                 s.integers(0, 900)),
        min_size=1, max_size=40,
    )
)  # fmt: skip
def test_the_vectorised_table_equals_plain_means_per_batch(items):
    rows = pd.DataFrame(items, columns=["batch", "strength", "num_turns",
                                        "prompt_tokens", "response_tokens"])  # fmt: skip
    table = st.batch_table(rows).set_index("batch")
    for batch in set(rows["batch"]):
        mine = [item for item in items if item[0] == batch]
        got = table.loc[batch]
        assert got["comparisons"] == len(mine)
        assert got["turns_per_dialogue"] == pytest.approx(np.mean([m[2] for m in mine]))
        assert got["tokens_per_example"] == pytest.approx(
            np.mean([m[3] + m[4] for m in mine])
        )
        for strength in (4, 3, 2, 1):
            assert got[f"share_{strength}"] == pytest.approx(
                sum(m[1] == strength for m in mine) / len(mine)
            )
    total = st.total_row(rows).iloc[0]
    assert total["comparisons"] == len(items)
    assert total["tokens_per_response"] == pytest.approx(np.mean([m[4] for m in items]))


@pytest.mark.django_db
def test_many_generations_are_read_through_the_comparisons_with_the_same_result(
    data, monkeypatch
):
    from reports import preference_tokens

    ids = [data["labelled"].pk, data["weekly"].pk]
    by_id = batch_statistics(ids, use_cache=False)
    monkeypatch.setattr(preference_tokens, "ID_LOOKUP_LIMIT", 0)
    with CaptureQueriesContext(connection) as queries:
        through_comparisons = batch_statistics(ids, use_cache=False)
    assert through_comparisons == by_id
    assert sum(
        '"annotations_comparison"' in query["sql"] and '"text"' in query["sql"]
        for query in queries.captured_queries
    ) == 2  # fmt: skip


def test_only_tokenizers_that_count_here_are_used_else_the_fallback(tmp_path):
    broken = tmp_path / "tokenizer.json"
    broken.write_text("not a tokenizer")
    for setting in ("backend", "", str(tmp_path / "missing.model"), str(broken)):
        assert tokenizers.offline_spec(setting) is None
    assert tokenizers.offline_spec(CL100K) == CL100K
    assert tokenizers.offline_spec(tokenizers.FALLBACK) == tokenizers.FALLBACK
