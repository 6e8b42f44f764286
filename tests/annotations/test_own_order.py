"""Each annotator's own order of untouched pairs (``allocation.own_order``): the
leasing SQL's expression gives Python's keys on PostgreSQL and on SQLite, no step
leaves 64-bit integers, and the order shuffles consecutive ids as a random
permutation would."""

import itertools
import sqlite3
from collections import Counter

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
    # x = 5: y = 6 * 7 * 8 = 336, key (336 + 4)(336 + 5) = 115,940
    assert allocation.own_order_key((1, 2, 3, 4, 5), 5) == 340 * 341
    # the id is taken mod p: y = 27, key 27 * 27
    assert allocation.own_order_key((0, 0, 0, 0, 0), P + 3) == 729
    # y = (4 - 1)(4 + 1)4 = 60; key (60 - 1)(60 + 1) mod p
    assert allocation.own_order_key((P - 1, 1, 0, P - 1, 1), 4) == 59 * 61
    # a product past p wraps: y = 2 * 3 * 4 = 24, key (24 + p - 2)(24 + 2) mod p
    assert allocation.own_order_key((1, 2, 3, P - 2, 2), 1) == 22 * 26


@given(
    seed=st.integers(min_value=0, max_value=2**64),
    pk=st.integers(min_value=1, max_value=BIG),
)
def test_every_step_stays_within_64_bit_integers_and_equals_the_polynomial(seed, pk):
    a, b, c, d, e = allocation.own_order_coefficients(seed)
    assert max(a, b, c, d, e) < P
    x = pk % P
    first = (x + a) * (x + b)
    assert first < 2**63
    assert (first % P) * (x + c) < 2**63
    y = (x + a) * (x + b) * (x + c) % P
    assert (y + d) * (y + e) < 2**63
    key = allocation.own_order_key((a, b, c, d, e), pk)
    assert key == (y + d) * (y + e) % P
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


@pytest.mark.parametrize("start", [1, 1_732, 10**9])
def test_every_order_of_four_neighbouring_pairs_is_equally_likely(start):
    """Four consecutive ids under 4,800 seeds: each of the 24 orders about 200
    times (chi-square, 23 degrees of freedom, 0.1 % critical value 49.7). The single
    cubic this key replaced gave 183 to 202 here."""
    ids = list(range(start, start + 4))
    orders = Counter(tuple(allocation.own_order(seed, ids)) for seed in range(4_800))
    assert len(orders) == 24
    expected = 4_800 / 24
    assert sum((n - expected) ** 2 / expected for n in orders.values()) < 49.7


def test_two_annotators_rarely_share_the_order_of_twelve_neighbouring_pairs():
    """Twelve consecutive ids under 20,000 seeds: 200 million pairs of seeds, of
    which a uniformly random permutation would give about 0.42 the same order (at
    most 5 with probability 1 - 10^-6). The single cubic gave 2,632."""
    ids = list(range(1_732, 1_744))
    orders = Counter(tuple(allocation.own_order(seed, ids)) for seed in range(20_000))
    assert sum(n * (n - 1) // 2 for n in orders.values()) <= 5
