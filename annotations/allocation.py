"""The assignment rule of the annotator loop as pure functions over plain data.

Nothing here touches Django: the leasing service (``annotations.services.leasing``)
gathers the facts about candidate pairs under row locks, and these functions decide.
The room check itself runs inside the statement that writes a lease or an answer
(``annotations.services.pair_queries``), with the same rule as ``has_room``.

Definitions used throughout:

- a pair's *occupied* slots are its ratings plus its live leases (leased and not yet
  expired); a pair takes at most ``per_pair`` occupied slots;
- a pair is *partly rated* when 0 < occupied < per_pair;
- an annotator may take a pair they have never finished, skipped or flagged; an
  annotator whose own lease on a pair expired may take the same pair again (their
  assignment row is reused, with the side order they were first shown).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class OwnState(StrEnum):
    """What the asking annotator has already done with a pair."""

    NONE = "none"
    LEASE_EXPIRED = "lease_expired"
    LEASED = "leased"
    DONE = "done"  # submitted, skipped or flagged: never offered again


@dataclass(frozen=True)
class Candidate:
    """One pair as the rule sees it."""

    comparison_id: int
    occupied: int
    own: OwnState = OwnState.NONE


def is_eligible(candidate: Candidate, *, per_pair: int) -> bool:
    """May this annotator take this pair now?"""
    if candidate.own in (OwnState.DONE, OwnState.LEASED):
        return False
    return candidate.occupied < per_pair


def rank(candidates: Iterable[Candidate], *, per_pair: int) -> list[Candidate]:
    """The eligible pairs in the order they should be offered.

    Partly rated pairs come first, the fullest first, so pairs are finished before
    untouched ones are started; ties keep the order they are given in (the loop gives
    partly rated pairs oldest first, and untouched ones in the annotator's own order,
    ``own_order``), so the order is stable and reproducible.
    """
    eligible = [c for c in candidates if is_eligible(c, per_pair=per_pair)]
    return sorted(eligible, key=lambda c: -c.occupied)


# An annotator's own order (``own_order``) sorts pairs by a keyed polynomial of
# their id modulo this prime (the largest below 2**29): small enough that every step
# stays below 2**63 in a database's 64-bit integers, so PostgreSQL and SQLite compute
# the same key as Python.
OWN_ORDER_PRIME = 536_870_909


def own_order_coefficients(seed: int) -> tuple[int, int, int, int, int]:
    """The five numbers an annotator's seed gives their order's polynomial, from
    the BLAKE2b digest of the seed's decimal text (stable across platforms)."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=40).digest()
    return tuple(  # type: ignore[return-value]
        int.from_bytes(digest[i : i + 8], "big") % OWN_ORDER_PRIME
        for i in range(0, 40, 8)
    )


def own_order_key(coefficients: tuple[int, int, int, int, int], pk: int) -> int:
    """A pair's place in an annotator's own order, in two rounds modulo the prime
    p: with x its id modulo p, y = ((x + a)(x + b) mod p)(x + c) mod p, then the
    key (y + d)(y + e) mod p. ``OWN_ORDER`` in the leasing SQL is the same
    expression.

    One round is not enough: over a few consecutive ids a cubic with leading
    coefficient 1 is in effect a quadratic of the offset, and its orders of
    neighbouring pairs were far from uniform (four consecutive ids: chi-square 713
    on 23 degrees of freedom over 20,000 seeds; two seeds in 7,700 gave twelve
    consecutive ids the same order). The second round spreads the first one's
    values over the whole field (tests/annotations/test_own_order.py).
    """
    a, b, c, d, e = coefficients
    x = pk % OWN_ORDER_PRIME
    y = (x + a) * (x + b) % OWN_ORDER_PRIME * (x + c) % OWN_ORDER_PRIME
    return (y + d) * (y + e) % OWN_ORDER_PRIME


def own_order(seed: int, comparison_ids: Iterable[int]) -> list[int]:
    """An annotator's own order of untouched pairs: by ``own_order_key`` under
    their seed's coefficients (ties, about one pair in a hundred million, by id).

    A polynomial modulo a prime is cheap to compute in SQL (a digest of text cost
    the leasing statement most of its time) and shuffles consecutive ids as a
    random permutation would: no correlation with the id, nor between two
    annotators' orders, and every order of a few neighbouring pairs equally likely
    (tests/annotations/test_own_order.py). The leasing SQL sorts by the same
    expression, so the order an annotator was shown can be rebuilt from the seed
    recorded on their pool membership.
    """
    coefficients = own_order_coefficients(seed)
    return sorted(comparison_ids, key=lambda pk: (own_order_key(coefficients, pk), pk))


def choose(candidates: Sequence[Candidate], *, per_pair: int) -> Candidate | None:
    """The pair to offer next, or None when nothing is left for this annotator."""
    ranked = rank(candidates, per_pair=per_pair)
    return ranked[0] if ranked else None


def has_room(*, occupied_by_others: int, per_pair: int) -> bool:
    """May one more annotator (re)take a slot of a pair others occupy this much?"""
    return occupied_by_others < per_pair


def draw_candidate_on_left(rng: random.Random | None = None) -> bool:
    """The side order of one assignment: a fair coin, drawn independently each time."""
    return (rng or _system_random).random() < 0.5


def lease_expiry(now: datetime, *, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)


def is_live(*, state: str, expires_at: datetime, now: datetime) -> bool:
    """Does a lease in this state still hold its slot at ``now``?"""
    return state == "leased" and expires_at > now


_system_random = random.SystemRandom()
