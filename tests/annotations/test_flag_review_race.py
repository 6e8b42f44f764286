"""Flag reviews racing annotators on real PostgreSQL: an admin excludes and reopens
flagged pairs while annotators lease, rate and flag; no pair ever passes N ratings,
and once every pair is reopened the annotators finish each at exactly N."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from annotations.models import Assignment, Comparison, FlagReview, Rating
from annotations.services import assignments as services
from annotations.services.flag_reviews import flag_review_record
from tests.conftest import make_user

from .conftest import build_evaluation

PAIRS = 12
ANNOTATORS = 10
PER_PAIR = 3
FLAGGED = 4


def _unfinished(evaluation) -> bool:
    return (
        Comparison.objects.filter(evaluation=evaluation)
        .exclude(stage=Comparison.Stage.COMPLETE)
        .exists()
    )


def _annotate(evaluation, user, seed, errors, barrier, reviewed):
    rng = random.Random(seed)
    try:
        barrier.wait()
        deadline = time.monotonic() + 60
        while True:
            try:
                lease = services.assignment_next(evaluation=evaluation, annotator=user)
            except services.PairsBusy:
                continue
            if lease is None:
                # A place may open again (another flags a pair, or an admin reopens
                # one): come back while pairs are unfinished, as annotators would,
                # and while the admin still reviews. Once the reviews are done, a
                # pair left open may be one this annotator has already answered:
                # asking again would only spin to the deadline.
                if (
                    not _unfinished(evaluation)
                    or (reviewed is not None and reviewed.is_set())
                    or time.monotonic() > deadline
                ):
                    break
                time.sleep(0.01)
                continue
            if rng.random() < 0.05:
                services.assignment_flag(
                    assignment_id=lease.pk, annotator=user, comment="odd"
                )
                continue
            services.rating_submit(
                assignment_id=lease.pk, annotator=user, choice=rng.randint(-3, 3)
            )
    except Exception as error:  # reported by the main thread
        errors.append(repr(error))
    finally:
        connection.close()


def _review(pairs, admin, seed, errors, barrier, reviewed):
    rng = random.Random(seed)
    try:
        barrier.wait()
        for _ in range(6):
            for pair in rng.sample(pairs, len(pairs)):
                action = rng.choice(["exclude", "reopen", "keep"])
                flag_review_record(comparison_id=pair, action=action, reviewer=admin)
    except Exception as error:
        errors.append(repr(error))
    finally:
        reviewed.set()
        connection.close()


def _run(evaluation, users, pairs, admin, seed):
    errors = []
    barrier = threading.Barrier(len(users) + (1 if pairs else 0))
    reviewed = threading.Event() if pairs else None
    threads = [
        threading.Thread(
            target=_annotate,
            args=(evaluation, user, seed + i, errors, barrier, reviewed),
        )
        for i, user in enumerate(users)
    ]
    if pairs:
        threads.append(
            threading.Thread(
                target=_review, args=(pairs, admin, seed, errors, barrier, reviewed)
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reviews_racing_annotators_never_pass_n(require_postgres):
    evaluation, comparisons, users = build_evaluation(
        pairs=PAIRS, annotators=ANNOTATORS, per_pair=PER_PAIR
    )
    admin = make_user("race-admin", "admin")
    # The first annotator flags their first pairs; they start excluded.
    for _ in range(FLAGGED):
        lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
        services.assignment_flag(assignment_id=lease.pk, annotator=users[0])
    flagged = list(
        Assignment.objects.filter(annotator=users[0], state="flagged").values_list(
            "comparison_id", flat=True
        )
    )
    assert len(flagged) == FLAGGED
    for pk in flagged:
        flag_review_record(comparison_id=pk, action="exclude", reviewer=admin)

    _run(evaluation, users[1:], flagged, admin, seed=1)
    ratings = Rating.objects.filter(comparison__evaluation=evaluation)
    counts = Counter(ratings.values_list("comparison_id", flat=True))
    assert max(counts.values()) <= PER_PAIR

    # Reopen every flagged pair, then let the annotators finish: exactly N each.
    reviewed = FlagReview.objects.values_list("comparison_id", flat=True)
    for pk in set(reviewed):
        flag_review_record(comparison_id=pk, action="reopen", reviewer=admin)
    _run(evaluation, users, [], admin, seed=100)
    pairs = list(ratings.values_list("comparison_id", "annotator_id"))
    assert Counter(pk for pk, _ in pairs) == {c.pk: PER_PAIR for c in comparisons}
    assert len(set(pairs)) == len(pairs)
    assert (
        not Comparison.objects.filter(evaluation=evaluation)
        .exclude(stage=Comparison.Stage.COMPLETE)
        .exists()
    )
