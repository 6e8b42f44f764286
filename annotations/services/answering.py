"""One annotator click: store the answer to a pair and lease the next one, in one
transaction (in two when every open pair is locked by other clicks). The rating page
and the REST API both call ``answer_submit``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..models import Assignment, QualityTask, Rating
from . import stages
from .assignment_errors import (
    AssignmentError,
    EvaluationClosed,
    NotInPool,
    PairsBusy,
    Paused,
    QuotaDone,
)
from .assignments import Action, answer_record
from .leasing import adaptive
from .quality_answers import after_answer
from .quality_serving import item_lease, item_next
from .stopping import stop_monitored

_NOTICES = {
    Action.SKIP: "Skipped.",
    Action.FLAG: "Flagged; thank you for reporting it.",
}
_REPEATED = {
    Action.SKIP: "That pair was already skipped.",
    Action.FLAG: "That pair was already flagged; your first report stands.",
}
_BARRED = (NotInPool, EvaluationClosed, Paused)
# Why an answer stored gets no next pair: said to the annotator, kept in ``stopped``.
_STOPS = (*_BARRED, QuotaDone)
ALREADY_RATED = "That pair was already submitted; your first answer stands."
IMPORTED_STANDS = (
    "A rating of yours for that pair was imported meanwhile; it stands, and this "
    "answer was not recorded."
)


@dataclass(frozen=True)
class AnswerOutcome:
    """What one click did.

    ``assignment`` is the answered assignment as stored now and ``rating`` its rating
    (a rate's, new or the first one). ``created`` is True when this click stored the
    answer; ``refusal`` says why it stored nothing (LeaseLost: the lease went to
    someone else; AssignmentEnded: the pair was already skipped, flagged or rated
    by an import; NotInPool, EvaluationClosed: the annotator may no longer answer
    here, and gets no next pair). ``following`` is the next pair leased
    to the annotator (or the one they hold), with its comparison, prompt and
    generations loaded, or a quality check (QualityTask, quality_serving.py) when
    the evaluation mixes them in; None when nothing is left for them. ``notice`` is what to
    tell the annotator, "" when all went as asked. ``stopped`` says why no next pair
    came although pairs may be left (NotInPool, EvaluationClosed, Paused, QuotaDone).
    """

    assignment: Assignment
    rating: Rating | None
    created: bool
    refusal: AssignmentError | None
    following: Assignment | QualityTask | None
    notice: str
    stopped: AssignmentError | None = None


def answer_submit(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    action: Action | str,
    choice: object = None,
    seconds: object = None,
    comment: str = "",
    safety_a: object = None,
    safety_b: object = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> AnswerOutcome:
    """Answer a pair (rate with ``choice`` and ``seconds``, and on a preference
    evaluation with safety labels ``safety_a`` and ``safety_b``; skip; or flag with a
    ``comment``) and lease the annotator's next pair, in one transaction.

    An answer refused (LeaseLost, AssignmentEnded) stores nothing and is reported in
    the outcome, and the next pair is leased all the same; so is a repeated rate,
    whose first rating stands. When every open pair is locked by other clicks, the
    next pair is leased after the answer commits. An answer refused because the annotator left the pool
    or the evaluation closed (NotInPool, EvaluationClosed) releases their lease and
    leases nothing. Raises Assignment.DoesNotExist for another
    annotator's assignment and InvalidAnswer for a bad choice or time, having
    stored nothing and leased nothing.
    """
    action = Action(action)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        recorded = answer_record(
            assignment_id=assignment_id,
            annotator=annotator,
            action=action,
            choice=choice,
            seconds=seconds,
            comment=comment,
            safety_a=safety_a,
            safety_b=safety_b,
            now=now,
        )
        assignment = recorded.assignment
        notes = []
        if recorded.refusal is not None:
            notes.append(recorded.refusal.message)
        elif action == Action.RATE and not recorded.created:
            imported = recorded.rating.source == Rating.Source.IMPORTED
            notes.append(IMPORTED_STANDS if imported else ALREADY_RATED)
        elif action in _NOTICES and not recorded.created:
            # A second click: the first answer (and its comment) stands.
            notes.append(_REPEATED[action])
        elif action in _NOTICES:
            notes.append(_NOTICES[action])
        following, new, busy, stopped = None, False, False, None
        touched = [assignment.comparison_id]
        if recorded.created and adaptive(assignment.comparison.evaluation):
            # The rule counts complete comparisons' outcomes: the one this answer
            # completes must count in choosing the next pair (a quarter of an
            # adaptive run's leases were chosen without it).
            stages.stages_refresh(comparison_ids=touched)
            touched = []
        try:
            if not isinstance(recorded.refusal, _BARRED):
                following, new = item_lease(
                    evaluation=assignment.comparison.evaluation,
                    annotator=annotator,
                    now=now,
                    rng=rng,
                    wait=False,
                )
        except _STOPS as error:
            notes.append(error.message)
            stopped = error
        except PairsBusy:
            busy = True
        if new and not isinstance(following, QualityTask):
            touched.append(following.comparison_id)
        if touched:
            stages.stages_refresh(comparison_ids=touched)
    if busy:
        # The open pairs are locked by clicks that may be waiting for the pair this
        # one answered: wait for them only once the answer has let it go.
        try:
            following = item_next(
                evaluation=assignment.comparison.evaluation,
                annotator=annotator,
                now=now,
                rng=rng,
            )
        except (*_STOPS, PairsBusy) as error:
            notes.append(error.message)
            stopped = error if isinstance(error, _STOPS) else None
    if recorded.created:
        evaluation = assignment.comparison.evaluation
        if paused := after_answer(evaluation=evaluation, annotator=annotator):
            # The pair just leased went back to the pool with the pause.
            following, stopped = None, paused
            notes.append(paused.message)
        if action == Action.RATE and stop_monitored(evaluation):
            from ..tasks import stop_check_queue  # tasks import the services

            stop_check_queue(
                evaluation_id=evaluation.pk, comparison_id=assignment.comparison_id
            )
    return AnswerOutcome(
        assignment=assignment,
        rating=recorded.rating,
        created=recorded.created,
        refusal=recorded.refusal,
        following=following,
        notice=" ".join(notes),
        stopped=stopped,
    )
