"""Many annotators in parallel threads on real PostgreSQL: exactly N per pair."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from annotations import roles
from annotations.models import Comparison, Evaluation, Rating
from annotations.services import assignments as services
from generations.models import Generation, Prompt
from tests.factories import ChatModelFactory, PromptSetFactory, UserFactory

# The two many-annotator races (32 and 64 threads, one PostgreSQL connection each)
# run in one test process, one after the other: together they would pass the
# server's 100 connections.
pytestmark = pytest.mark.xdist_group("annotator-races")

PAIRS = 200
ANNOTATORS = 32
PER_PAIR = 3
ROUNDS = 5


def _world():
    """200 prompts with two done responses each, and 32 annotators."""
    prompt_set = PromptSetFactory()
    candidate, baseline = ChatModelFactory(), ChatModelFactory()
    prompts = Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"c{i}",
            turns=[{"role": "user", "content": f"Question {i}?"}],
            categories=["dialogue"],
        )
        for i in range(PAIRS)
    )
    generations = Generation.objects.bulk_create(
        Generation(
            prompt=prompt,
            chat_model=model,
            status=Generation.Status.DONE,
            source=Generation.Source.IMPORTED,
            text=f"{model.pk}:{prompt.pk}",
        )
        for prompt in prompts
        for model in (candidate, baseline)
    )
    group = roles.group_for(roles.ANNOTATOR)
    users = [UserFactory(username=f"conc-{i}") for i in range(ANNOTATORS)]
    for user in users:
        user.groups.add(group)
    return prompt_set, candidate, baseline, prompts, generations, users


def _evaluation(world, round_number):
    prompt_set, candidate, baseline, prompts, generations, users = world
    evaluation = Evaluation.objects.create(
        name=f"concurrency-{round_number}",
        prompt_set=prompt_set,
        candidate=candidate,
        baseline=baseline,
        annotators_per_pair=PER_PAIR,
    )
    Comparison.objects.bulk_create(
        Comparison(
            evaluation=evaluation,
            prompt=prompt,
            candidate_generation=generations[2 * i],
            baseline_generation=generations[2 * i + 1],
        )
        for i, prompt in enumerate(prompts)
    )
    evaluation.pool.add(*users)
    return evaluation


def _unfinished(evaluation) -> bool:
    return (
        Comparison.objects.filter(evaluation=evaluation)
        .exclude(stage=Comparison.Stage.COMPLETE)
        .exists()
    )


def _annotate(evaluation, user, seed, accepted, errors, barrier):
    rng = random.Random(seed)
    try:
        barrier.wait()
        deadline = time.monotonic() + 100
        while True:
            try:
                lease = services.assignment_next(evaluation=evaluation, annotator=user)
            except services.PairsBusy:  # a client's answer to 503: ask again
                continue
            if lease is None:
                # Nothing open to this annotator now; but a pair whose last place is
                # leased to another can reopen (that annotator skips it, or lets the
                # lease expire). Real annotators come back later; these come back
                # until every pair is complete.
                if not _unfinished(evaluation) or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
                continue
            if rng.random() < 0.03:
                services.assignment_skip(assignment_id=lease.pk, annotator=user)
                continue
            result = services.rating_submit(
                assignment_id=lease.pk,
                annotator=user,
                choice=rng.randint(-3, 3),
                seconds=1.0,
            )
            if rng.random() < 0.05:  # a double submit from a second tab
                services.rating_submit(
                    assignment_id=lease.pk, annotator=user, choice=0, seconds=1.0
                )
            if result.created:
                accepted.append((lease.comparison_id, user.pk, result.rating.choice))
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_32_parallel_annotators_leave_exactly_3_ratings_per_pair(require_postgres):
    world = _world()
    users = world[-1]
    for round_number in range(ROUNDS):
        evaluation = _evaluation(world, round_number)
        accepted, errors = [], []
        barrier = threading.Barrier(ANNOTATORS)
        threads = [
            threading.Thread(
                target=_annotate,
                args=(
                    evaluation,
                    user,
                    round_number * 100 + i,
                    accepted,
                    errors,
                    barrier,
                ),
            )
            for i, user in enumerate(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        assert not any(thread.is_alive() for thread in threads)

        stored = list(
            Rating.objects.filter(comparison__evaluation=evaluation).values_list(
                "comparison_id", "annotator_id", "choice"
            )
        )
        per_pair = Counter(comparison for comparison, _, _ in stored)
        assert len(per_pair) == PAIRS, f"round {round_number}: pairs left unrated"
        assert set(per_pair.values()) == {PER_PAIR}, f"round {round_number}"
        distinct = {(comparison, annotator) for comparison, annotator, _ in stored}
        assert len(distinct) == len(stored) == PAIRS * PER_PAIR
        # No submitted rating was lost, and none appeared that nobody submitted.
        assert sorted(accepted) == sorted(stored)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_open_pairs_locked_through_every_retry_are_busy_not_nothing_left(
    require_postgres, monkeypatch
):
    """A lease that waited out its retries while another transaction held every open
    pair says "busy, try again", never "nothing left" (which ends a client's loop and
    leaves the pair short of N)."""
    from annotations.services import leasing

    monkeypatch.setattr(leasing, "_RETRIES", 3)
    world = _world()
    evaluation = _evaluation(world, 0)
    user = world[-1][0]
    locked, release = threading.Event(), threading.Event()

    def hold_every_pair():
        from django.db import transaction

        with transaction.atomic():
            list(Comparison.objects.select_for_update().filter(evaluation=evaluation))
            locked.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=hold_every_pair)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with pytest.raises(services.PairsBusy):
            services.assignment_next(evaluation=evaluation, annotator=user)
    finally:
        release.set()
        holder.join(timeout=30)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    assert lease is not None
    assert lease.comparison.evaluation_id == evaluation.pk
