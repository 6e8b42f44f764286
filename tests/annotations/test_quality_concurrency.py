"""64 annotators in parallel threads on real PostgreSQL with quality control on:
gold pairs and repeats mixed in, and still exactly N ratings per pair."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from annotations import roles
from annotations.models import Comparison, Evaluation, GoldPair, QualityTask, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit
from annotations.services.quality_answers import check_answer_submit
from annotations.services.quality_serving import item_next
from generations.models import Generation, Prompt
from tests.factories import ChatModelFactory, PromptSetFactory, UserFactory

from .test_concurrency import _unfinished

# The two many-annotator races (32 and 64 threads, one PostgreSQL connection each)
# run in one test process, one after the other: together they would pass the
# server's 100 connections.
pytestmark = pytest.mark.xdist_group("annotator-races")

PAIRS = 120
ANNOTATORS = 64
PER_PAIR = 3
GOLDS = 6


def _evaluation():
    """120 pairs and 6 gold pairs on prompts of their own, 64 annotators, gold rate
    0.2 and repeat rate 0.1."""
    prompt_set = PromptSetFactory()
    candidate, baseline = ChatModelFactory(), ChatModelFactory()
    prompts = Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"q{i}",
            turns=[{"role": "user", "content": f"Question {i}?"}],
            categories=["dialogue"],
        )
        for i in range(PAIRS + GOLDS)
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
    evaluation = Evaluation.objects.create(
        name="quality-concurrency",
        prompt_set=prompt_set,
        candidate=candidate,
        baseline=baseline,
        annotators_per_pair=PER_PAIR,
        gold_rate=0.2,
        repeat_rate=0.1,
    )
    pairs = [
        {
            "evaluation": evaluation,
            "prompt": prompt,
            "candidate_generation": generations[2 * i],
            "baseline_generation": generations[2 * i + 1],
        }
        for i, prompt in enumerate(prompts)
    ]
    Comparison.objects.bulk_create(Comparison(**pair) for pair in pairs[:PAIRS])
    GoldPair.objects.bulk_create(GoldPair(**pair, expected=1) for pair in pairs[PAIRS:])
    group = roles.group_for(roles.ANNOTATOR)
    users = [UserFactory(username=f"qc-{i}") for i in range(ANNOTATORS)]
    for user in users:
        user.groups.add(group)
    evaluation.pool.add(*users)
    return evaluation, users


def _annotate(evaluation, user, seed, accepted, checked, errors, barrier):
    """The client loop of test_concurrency.py, answering checks as they come."""
    rng = random.Random(seed)
    try:
        barrier.wait()
        deadline = time.monotonic() + 100
        while True:
            try:
                item = item_next(evaluation=evaluation, annotator=user)
            except services.PairsBusy:  # a client's answer to 503: ask again
                continue
            if item is None:
                # A pair whose last place is leased to another may reopen: come
                # back until every pair is complete.
                if not _unfinished(evaluation) or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
                continue
            action = "skip" if rng.random() < 0.03 else "rate"
            if isinstance(item, QualityTask):
                outcome = check_answer_submit(
                    task_id=item.pk,
                    annotator=user,
                    action=action,
                    choice=rng.randint(-3, 3),
                    seconds=1.0,
                )
                if outcome.created and action == "rate":
                    checked.append((outcome.task.pk, outcome.task.choice))
                continue
            outcome = answer_submit(
                assignment_id=item.pk,
                annotator=user,
                action=action,
                choice=rng.randint(-3, 3),
                seconds=1.0,
            )
            if outcome.created and action == "rate":
                accepted.append((item.comparison_id, user.pk, outcome.rating.choice))
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_annotators_with_quality_control_leave_exactly_3_ratings_per_pair(
    require_postgres,
):
    evaluation, users = _evaluation()
    accepted, checked, errors = [], [], []
    barrier = threading.Barrier(ANNOTATORS)
    threads = [
        threading.Thread(
            target=_annotate,
            args=(evaluation, user, i, accepted, checked, errors, barrier),
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
    assert len(per_pair) == PAIRS
    assert set(per_pair.values()) == {PER_PAIR}
    assert sorted(accepted) == sorted(stored)
    # Every check answered is a QualityTask, never a rating, and none was lost.
    answered = QualityTask.objects.filter(
        evaluation=evaluation, state=QualityTask.State.ANSWERED
    )
    assert sorted(answered.values_list("pk", "choice")) == sorted(checked)
    kinds = Counter(answered.values_list("kind", flat=True))
    assert kinds[QualityTask.Kind.GOLD] > 0
    assert kinds[QualityTask.Kind.REPEAT] > 0
    # Each repeat shows one of the annotator's own ratings, the sides swapped.
    for task in QualityTask.objects.filter(kind=QualityTask.Kind.REPEAT).select_related(
        "repeat_of"
    ):
        assert task.repeat_of.annotator_id == task.annotator_id
        assert task.candidate_on_left is not task.repeat_of.candidate_on_left
