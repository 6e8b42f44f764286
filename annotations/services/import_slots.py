"""Ratings imported into an evaluation keep the annotator loop's rules: the import
locks the pairs it rates as an answer does, counts their ratings and live leases
after the lock, refuses a rating that would give a live pair more than N, and ends
the lease an annotator holds on a pair the import rates for them (the locking
protocol is in assignments.py's docstring)."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from ..models import Assignment, Evaluation, Rating
from ..selectors import most_ratings_on_a_pair
from .sql import C, lock
from .stages import stages_refresh

State = Assignment.State
# How long an import tries to take its pairs all at once before it waits for them
# one by one.
_PATIENCE_SECONDS = 5.0


@dataclass
class PairSlots:
    """One pair as the import finds it under its lock.

    ``ratings``: annotator id -> (choice, candidate_on_left, safety_a, safety_b) of
    the stored ratings;
    ``open_leases``: annotator id -> id of their assignment not yet ended (leased or
    expired), which an imported rating of theirs ends; ``live``: annotators whose
    lease has not expired and so holds a slot; ``occupied``: the pair's slots taken
    (ratings and live leases), counting the ratings the import admits.
    """

    ratings: dict[int, tuple[int, bool, str, str]] = field(default_factory=dict)
    open_leases: dict[int, int] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)
    occupied: int = 0

    def admit(self, annotator_id: int, *, per_pair: int | None) -> bool:
        """Take a slot for a new rating by ``annotator_id``: their own live lease
        becomes the rating; otherwise False when ``per_pair`` slots are taken (no
        limit when None)."""
        if annotator_id in self.live:
            return True
        if per_pair is not None and self.occupied >= per_pair:
            return False
        self.occupied += 1
        return True


def limit_of(evaluation: Evaluation) -> int | None:
    """The pair limit an import must respect: N for an evaluation annotators rate
    in (open, or made here), none for one made by an import and closed, which holds
    what was rated elsewhere, however many annotators that was (its N then follows
    the data: ``imported_limit_record``)."""
    if (
        evaluation.status == Evaluation.Status.OPEN
        or evaluation.source == Evaluation.Source.NATIVE
    ):
        return evaluation.annotators_per_pair
    return None


def imported_limit_record(evaluation: Evaluation, *, created: bool) -> None:
    """After an import into an evaluation with no pair limit (``limit_of``), make its
    N the most ratings one of its pairs holds, so that no pair has more than N and
    its pages and reports say what its data holds (crowd votes come 1 to 5 a pair).
    An evaluation this import made takes exactly that; an older one keeps a larger
    N (an admin may have set it). The pairs' stages follow a changed N."""
    if limit_of(evaluation) is not None:
        return
    most = most_ratings_on_a_pair(evaluation)
    if not most:
        return
    per_pair = most if created else max(most, evaluation.annotators_per_pair)
    if per_pair == evaluation.annotators_per_pair:
        return
    Evaluation.objects.filter(pk=evaluation.pk).update(annotators_per_pair=per_pair)
    evaluation.annotators_per_pair = per_pair
    stages_refresh(evaluation_id=evaluation.pk)


def pairs_locked(
    *, evaluation_id: int, comparison_ids: Collection[int], now: datetime
) -> dict[int, PairSlots]:
    """Lock the pairs FOR NO KEY UPDATE (``pairs_lock``), then read their ratings
    and assignments not yet ended in fresh statements, which see every answer
    committed before the lock."""
    ids = sorted(set(comparison_ids))
    pairs_lock(ids)
    pairs = {pk: PairSlots() for pk in ids}
    for comparison_id, annotator_id, *stored in Rating.objects.filter(
        comparison__evaluation_id=evaluation_id
    ).values_list(
        "comparison_id",
        "annotator_id",
        "choice",
        "candidate_on_left",
        "safety_a",
        "safety_b",
    ):
        if comparison_id in pairs:
            pairs[comparison_id].ratings[annotator_id] = tuple(stored)
    for pk, comparison_id, annotator_id, state, expires_at in Assignment.objects.filter(
        comparison__evaluation_id=evaluation_id, state__in=(State.LEASED, State.EXPIRED)
    ).values_list("pk", "comparison_id", "annotator_id", "state", "expires_at"):
        pair = pairs.get(comparison_id)
        if pair is None:
            continue
        pair.open_leases[annotator_id] = pk
        if state == State.LEASED and expires_at > now:
            pair.live.add(annotator_id)
    for pair in pairs.values():
        pair.occupied = len(pair.ratings) + len(pair.live - set(pair.ratings))
    return pairs


def pairs_lock(ids: list[int]) -> None:
    """Take the row locks of all these pairs, holding none while waiting.

    An annotator's click keeps the pair it answered locked while it looks for the
    next one, and waits (sleeping, unseen by the database's deadlock check) while
    every open pair is locked. An import holding some pairs while waiting for the
    one such a click holds would keep both waiting until the click gives up and
    tells its annotator that nothing is left. So the import takes all its pairs at
    once with SKIP LOCKED, and when some are busy lets go (savepoint rollback) and
    tries again. After ``_PATIENCE_SECONDS`` it waits for them in id order, so two
    imports cannot deadlock. SQLite runs each transaction alone: no lock needed.
    """
    if not ids or not lock(skip_locked=False):
        return
    sql = f"SELECT id FROM {C} WHERE id = ANY(%(ids)s) ORDER BY id {{lock}}"
    deadline = time.monotonic() + _PATIENCE_SECONDS
    attempt = 0
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            savepoint = transaction.savepoint()
            cursor.execute(sql.format(lock=lock()), {"ids": ids})
            if len(cursor.fetchall()) == len(ids):
                transaction.savepoint_commit(savepoint)
                return
            transaction.savepoint_rollback(savepoint)
            time.sleep(min(0.002 * 2**attempt, 0.05))
            attempt += 1
        cursor.execute(sql.format(lock=lock(skip_locked=False)), {"ids": ids})


def leases_end(*, assignment_ids: Collection[int], now: datetime) -> None:
    """End the assignments whose pair the import rated for their annotator: each is
    submitted, linked to the imported rating, so their next click on it is told the
    pair is rated. The caller holds the pairs' locks."""
    if assignment_ids:
        Assignment.objects.filter(pk__in=list(assignment_ids)).update(
            state=State.SUBMITTED, ended_at=now
        )
