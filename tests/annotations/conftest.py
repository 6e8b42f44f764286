"""Fixtures for the annotator workflow: evaluations with comparisons and a pool."""

import pytest

from annotations import allocation, roles
from annotations.models import PoolMember
from tests.conftest import make_user
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    PromptFactory,
)

# Names that must never reach an annotator; tests grep pages and JSON for them.
SECRET_CANDIDATE = "Zephyrine-70B-Candidate"
SECRET_BASELINE = "Quokkaline-13B-Baseline"


# Each annotator has their own order of the untouched pairs, seeded at random when they
# join (tests/annotations/test_campaign_membership.py tests it). Tests built on a few
# pairs follow which pair comes next: there every annotator gets a seed whose order is
# the pairs' id order, so such a test means the same on every run.
ID_ORDER_UP_TO = 7


def build_evaluation(*, pairs: int, annotators: int, per_pair: int = 3, **extra):
    """An open evaluation with ``pairs`` comparisons and a pool of new annotators;
    with at most ID_ORDER_UP_TO pairs, everyone's order is the pairs' id order."""
    evaluation = EvaluationFactory(
        candidate=ChatModelFactory(name=SECRET_CANDIDATE),
        baseline=ChatModelFactory(name=SECRET_BASELINE),
        annotators_per_pair=per_pair,
        **extra,
    )
    comparisons = [ComparisonFactory(evaluation=evaluation) for _ in range(pairs)]
    group = roles.group_for(roles.ANNOTATOR)
    users = []
    for index in range(annotators):
        user = make_user(f"pool-{evaluation.pk}-{index}", None)
        user.groups.add(group)
        users.append(user)
    evaluation.pool.add(*users)
    if pairs <= ID_ORDER_UP_TO:
        in_id_order(evaluation)
    return evaluation, comparisons, users


def shared_order(evaluation, comparisons, *, seed: int = 1):
    """Give every annotator in the pool the same order of untouched pairs (each has
    their own by default) and return ``comparisons`` in that order: for tests that
    follow which pair comes next across several annotators."""
    PoolMember.objects.filter(evaluation=evaluation).update(order_seed=seed)
    by_id = {comparison.pk: comparison for comparison in comparisons}
    return [by_id[pk] for pk in allocation.own_order(seed, by_id)]


def in_id_order(evaluation) -> int:
    """Give every annotator in the pool a seed whose order of the evaluation's pairs
    is their id order (found by trying seeds; a few pairs only), for tests written
    around which pair comes first; returns the seed."""
    ids = sorted(evaluation.comparisons.values_list("pk", flat=True))
    seed = next(s for s in range(1_000_000) if allocation.own_order(s, ids) == ids)
    PoolMember.objects.filter(evaluation=evaluation).update(order_seed=seed)
    return seed


@pytest.fixture
def small_evaluation(db):
    """Four comparisons, N = 3, five annotators in the pool."""
    return build_evaluation(pairs=4, annotators=5)


@pytest.fixture
def multi_turn_comparison(db):
    evaluation, _, users = build_evaluation(pairs=0, annotators=1, per_pair=1)
    prompt = PromptFactory(
        prompt_set=evaluation.prompt_set,
        turns=[
            {"role": "user", "content": "Name a **prime** number."},
            {"role": "assistant", "content": "Seven is prime."},
            {"role": "user", "content": "And an even one?"},
        ],
        categories=["dialogue", "factual questions"],
    )
    comparison = ComparisonFactory(evaluation=evaluation, prompt=prompt)
    return evaluation, comparison, users[0]
