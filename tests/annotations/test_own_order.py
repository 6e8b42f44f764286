"""Each annotator's own order of untouched pairs (``allocation.own_order``): the
leasing SQL's expression gives Python's keys on PostgreSQL and on SQLite, no step
leaves 64-bit integers, and the order shuffles consecutive ids as a random
permutation would."""

import itertools
import sqlite3

import numpy as np
import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from annotations import allocation
from annotations.services.pair_queries import OWN_ORDER, own_order_values

P = allocation.OWN_ORDER_PRIME
BIG = 2**63 - 1  # the largest id a BigAutoField holds
IDS = [1, 2, 3, 17, 4_000, P - 1, P, P + 1, 2**31 - 1, 2**31, 2**40 + 5, BIG]


def _ordered_sql(ids: list[int]) -> str:
    """The ids in the leasing SQL's own order (``c.id`` as in the window)."""
    values = ", ".join(f"(CAST(%(id{i})s AS BIGINT))" for i in range(len(ids)))
    return (
        f"WITH c(id) AS (VALUES {values}) SELECT c.id FROM c ORDER BY {OWN_ORDER}, c.id"
    )


def _values(seed: int, ids: list[int]) -> dict[str, int]:
    return {**own_order_values(seed), **{f"id{i}": pk for i, pk in enumerate(ids)}}


def test_a_hand_computed_key():
    assert allocation.own_order_key((1, 2, 3), 5) == 6 * 7 * 8  # 336
    assert allocation.own_order_key((0, 0, 0), P + 3) == 27  # the id is taken mod p
    assert allocation.own_order_key((P - 1, 1, 0), 4) == 3 * 5 * 4  # (4 - 1)(4 + 1)4


@given(
    seed=st.integers(min_value=0, max_value=2**64),
    pk=st.integers(min_value=1, max_value=BIG),
)
def test_every_step_stays_within_64_bit_integers_and_equals_the_cubic(seed, pk):
    a, b, c = allocation.own_order_coefficients(seed)
    assert max(a, b, c) < P
    x = pk % P
    first = (x + a) * (x + b)
    assert first < 2**63
    assert (first % P) * (x + c) < 2**63
    key = allocation.own_order_key((a, b, c), pk)
    assert key == (x + a) * (x + b) * (x + c) % P
    assert 0 <= key < P


@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_the_sql_expression_orders_as_python_on_sqlite(seed):
    sql = _ordered_sql(IDS) % {k: f":{k}" for k in _values(seed, IDS)}
    with sqlite3.connect(":memory:") as database:
        ordered = [row[0] for row in database.execute(sql, _values(seed, IDS))]
    assert ordered == allocation.own_order(seed, IDS)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [0, 7, 915696821965956027, 2**63 - 1])
def test_the_sql_expression_orders_as_python_on_the_database(seed):
    ids = [*IDS, *range(100, 160)]
    with connection.cursor() as cursor:
        cursor.execute(_ordered_sql(ids), _values(seed, ids))
        ordered = [row[0] for row in cursor.fetchall()]
    assert ordered == allocation.own_order(seed, ids)


def _ranks(order: list[int], start: int) -> np.ndarray:
    ranks = np.empty(len(order))
    ranks[np.asarray(order) - start] = np.arange(len(order))
    return ranks


@pytest.mark.parametrize("start", [1, 123_457, 10**12])
def test_orders_of_consecutive_ids_look_like_random_permutations(start):
    """2,000 consecutive ids, 200 seeds. For a uniformly random permutation the
    rank's correlation with the id, the correlation of two annotators' ranks and
    that of neighbours in the order each have mean 0 and standard deviation
    1/sqrt(n - 1) = 0.022; every pair is equally likely to come first."""
    n, seeds = 2000, range(1000, 1200)
    ids = list(range(start, start + n))
    orders = [allocation.own_order(seed, ids) for seed in seeds]
    ranks = [_ranks(order, start) for order in orders]
    position = np.arange(n)
    with_id = [np.corrcoef(position, r)[0, 1] for r in ranks]
    between = [np.corrcoef(r, s)[0, 1] for r, s in itertools.pairwise(ranks)]
    neighbours = [np.corrcoef(o[:-1], o[1:])[0, 1] for o in map(np.asarray, orders)]
    sd = 1 / np.sqrt(n - 1)
    for values in (with_id, between, neighbours):
        assert abs(np.mean(values)) < 4 * sd / np.sqrt(len(values))
        assert 0.7 * sd < np.std(values) < 1.3 * sd
    # The first pair offered: uniform over ten bands of ids (chi-square, 9 degrees
    # of freedom, 0.1 % critical value 27.9).
    bands = np.bincount([(o[0] - start) * 10 // n for o in orders], minlength=10)
    expected = len(orders) / 10
    assert ((bands - expected) ** 2 / expected).sum() < 27.9
