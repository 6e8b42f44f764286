"""Parallel annotators on a single-response (Likert) evaluation, on real
PostgreSQL: exactly N ratings per response, each from its own side."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from annotations import roles
from annotations.models import Assignment, Comparison, Rating
from annotations.services.answering import answer_submit
from annotations.services.assignments import assignment_next
from annotations.services.single_evaluations import single_evaluation_create
from generations.models import Generation, Prompt
from tests.factories import ChatModelFactory, PromptSetFactory, UserFactory

PROMPTS = 40
MODELS = 3
ANNOTATORS = 16
PER_PAIR = 3


def _world():
    prompt_set = PromptSetFactory()
    models = [ChatModelFactory() for _ in range(MODELS)]
    prompts = Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"q{i}",
            turns=[{"role": "user", "content": f"Question {i}?"}],
            categories=["dialogue"],
        )
        for i in range(PROMPTS)
    )
    Generation.objects.bulk_create(
        Generation(
            prompt=prompt,
            chat_model=model,
            status=Generation.Status.DONE,
            source=Generation.Source.IMPORTED,
            text=f"{model.pk}:{prompt.pk}",
        )
        for prompt in prompts
        for model in models
    )
    evaluation = single_evaluation_create(
        name="likert-concurrency",
        prompt_set=prompt_set,
        chat_models=models,
        annotators_per_pair=PER_PAIR,
    ).evaluation
    group = roles.group_for(roles.ANNOTATOR)
    users = [UserFactory(username=f"likert-conc-{i}") for i in range(ANNOTATORS)]
    for user in users:
        user.groups.add(group)
    evaluation.pool.add(*users)
    return evaluation, users


def _annotate(evaluation, user, seed, accepted, errors, barrier):
    """The page's and API's loop: one ``answer_submit`` per click."""
    rng = random.Random(seed)
    try:
        barrier.wait()
        lease = assignment_next(evaluation=evaluation, annotator=user)
        while lease is not None:
            if not lease.candidate_on_left:
                errors.append(f"lease {lease.pk} shown from the wrong side")
            action = "skip" if rng.random() < 0.05 else "rate"
            outcome = answer_submit(
                assignment_id=lease.pk,
                annotator=user,
                action=action,
                choice=rng.randint(1, 7),
                seconds=1.0,
            )
            if action == "rate" and outcome.created:
                rating = outcome.rating
                accepted.append((lease.comparison_id, user.pk, rating.choice))
            lease = outcome.following
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_16_parallel_annotators_leave_exactly_3_likert_ratings_per_response(
    require_postgres,
):
    evaluation, users = _world()
    accepted, errors = [], []
    barrier = threading.Barrier(ANNOTATORS)
    threads = [
        threading.Thread(
            target=_annotate, args=(evaluation, user, i, accepted, errors, barrier)
        )
        for i, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)

    # Never more than N, even while racing. An annotator who found nothing open
    # may quit while another still holds a lease that they then skip; as in the
    # field, annotators come back later and finish what was given back.
    during = Counter(
        Rating.objects.filter(comparison__evaluation=evaluation).values_list(
            "comparison_id", flat=True
        )
    )
    assert max(during.values()) <= PER_PAIR
    short = {c for c in evaluation.comparisons.values_list("id", flat=True)
             if during[c] < PER_PAIR}  # fmt: skip
    skipped = set(
        Assignment.objects.filter(comparison_id__in=short, state="skipped").values_list(
            "comparison_id", flat=True
        )
    )
    assert skipped == short
    for user in users:
        lease = assignment_next(evaluation=evaluation, annotator=user)
        while lease is not None:
            outcome = answer_submit(
                assignment_id=lease.pk, annotator=user, action="rate", choice=4
            )
            accepted.append((lease.comparison_id, user.pk, 4))
            lease = outcome.following

    stored = list(
        Rating.objects.filter(comparison__evaluation=evaluation).values_list(
            "comparison_id", "annotator_id", "choice", "score", "candidate_on_left"
        )
    )
    per_response = Counter(row[0] for row in stored)
    assert len(per_response) == PROMPTS * MODELS
    assert set(per_response.values()) == {PER_PAIR}
    assert len({(row[0], row[1]) for row in stored}) == len(stored)
    assert all(choice == score and on_left for _, _, choice, score, on_left in stored)
    assert sorted(accepted) == sorted(row[:3] for row in stored)
    stages = set(
        Comparison.objects.filter(evaluation=evaluation).values_list("stage", flat=True)
    )
    assert stages == {Comparison.Stage.COMPLETE}
