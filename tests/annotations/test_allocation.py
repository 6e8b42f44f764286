"""The assignment rule as pure functions: no database."""

import itertools
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from annotations.allocation import (
    Candidate,
    OwnState,
    choose,
    draw_candidate_on_left,
    has_room,
    is_live,
    lease_expiry,
    rank,
)


def test_partly_rated_pairs_come_before_untouched_ones():
    pairs = [Candidate(1, 0), Candidate(2, 1), Candidate(3, 2), Candidate(4, 0)]
    assert [c.comparison_id for c in rank(pairs, per_pair=3)] == [3, 2, 1, 4]


def test_full_pairs_and_pairs_the_annotator_finished_are_never_offered():
    pairs = [
        Candidate(1, 3),
        Candidate(2, 1, OwnState.DONE),
        Candidate(3, 1, OwnState.LEASED),
        Candidate(4, 0),
    ]
    assert choose(pairs, per_pair=3) == Candidate(4, 0)


def test_own_expired_lease_may_be_taken_again_while_the_pair_has_room():
    pairs = [Candidate(5, 2, OwnState.LEASE_EXPIRED), Candidate(6, 0)]
    assert choose(pairs, per_pair=3).comparison_id == 5


def test_nothing_left_gives_none():
    assert choose([Candidate(1, 3), Candidate(2, 2, OwnState.DONE)], per_pair=3) is None
    assert choose([], per_pair=3) is None


def test_has_room_counts_other_annotators_only():
    assert has_room(occupied_by_others=2, per_pair=3)
    assert not has_room(occupied_by_others=3, per_pair=3)


def test_leases_expire_at_their_time():
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    expiry = lease_expiry(now, minutes=30)
    assert expiry == now + timedelta(minutes=30)
    assert is_live(state="leased", expires_at=expiry, now=now)
    assert not is_live(state="leased", expires_at=expiry, now=expiry)
    assert not is_live(state="submitted", expires_at=expiry, now=now)


def test_side_order_is_a_fair_independent_coin():
    rng = random.Random(7)
    draws = [draw_candidate_on_left(rng) for _ in range(4000)]
    assert 0.46 < sum(draws) / len(draws) < 0.54
    # Independent per assignment: both orders follow each order about equally.
    after_left = [b for a, b in itertools.pairwise(draws) if a]
    assert 0.45 < sum(after_left) / len(after_left) < 0.55


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(list(OwnState))),
        max_size=30,
    ),
    st.integers(1, 4),
)
def test_ranking_only_offers_eligible_pairs_fullest_first(rows, per_pair):
    pairs = [Candidate(i, occ, own) for i, (occ, own) in enumerate(rows)]
    ranked = rank(pairs, per_pair=per_pair)
    assert all(c.occupied < per_pair for c in ranked)
    assert all(c.own in (OwnState.NONE, OwnState.LEASE_EXPIRED) for c in ranked)
    assert [c.occupied for c in ranked] == sorted(
        (c.occupied for c in ranked), reverse=True
    )
    eligible = {
        c.comparison_id
        for c in pairs
        if c.occupied < per_pair and c.own not in (OwnState.DONE, OwnState.LEASED)
    }
    assert {c.comparison_id for c in ranked} == eligible
