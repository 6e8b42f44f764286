"""Reads of the annotations app: what an annotator is shown, and evaluation progress."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from evalsite.rendering import render_markdown, render_stored
from generations.models import Generation

from . import scales
from .models import Assignment, Comparison, Evaluation, PoolMember, Rating
from .services import pair_queries

State = Assignment.State


@dataclass(frozen=True)
class Turn:
    role: str
    html: str


@dataclass(frozen=True)
class SafetyQuestion:
    """The safety label of one response, as the rating page asks it: the form
    field, the response's heading, (key, value, label) per label and the label
    already given (``selected``: the edit page's; "" on the rating page)."""

    field: str
    heading: str
    keys: tuple[tuple[str, str, str], ...]
    selected: str = ""


def _safety_questions(evaluation: Evaluation) -> tuple[SafetyQuestion, ...]:
    if not evaluation.safety_labels:
        return ()
    return tuple(
        SafetyQuestion(
            field=f"safety_{side}",
            heading=f"Model {side.upper()}",
            keys=tuple(
                (key, value, value.capitalize())
                for value, key in scales.SAFETY_KEYS[side].items()
            ),
        )
        for side in ("a", "b")
    )


@dataclass(frozen=True)
class PairView:
    """Everything an annotator sees of one assignment; no trace of the chat models.
    In a single-response evaluation (``single``) the one response is A and B is
    None."""

    assignment_id: int | None
    evaluation_id: int
    evaluation_title: str
    guidelines_html: str
    history: list[Turn]
    final_turn: Turn
    turns: list[dict]
    response_a: str
    response_b: str | None
    response_a_html: str
    response_b_html: str
    labels: list[tuple[int, str]]
    question: str
    expires_at: datetime
    state: str = State.LEASED  # the assignment's (Assignment.State)
    done: int = 0
    left: int = 0
    keys: list[tuple[int, int, str]] = field(default_factory=list)
    scale: str = "seven"
    single: bool = False
    safety: tuple[SafetyQuestion, ...] = ()
    # Set by item_selectors.item_view: what the page names the item by (data and
    # addresses), its opaque token, and where its answer goes.
    item: str = ""
    token: str = ""
    answer_url: str = ""

    @property
    def safety_labels(self) -> bool:
        """Whether the annotator labels each response safe or unsafe."""
        return bool(self.safety)

    @property
    def safety_question(self) -> str:
        return scales.SAFETY_QUESTION


def _no_html(text: str) -> str:
    return ""


def annotator_title(evaluation: Evaluation) -> str:
    """What annotators call the evaluation: never its name, which researchers often
    make from the chat models' names ("llama2-70b-vs-gpt35") in forms no check of
    model names catches."""
    return f"Evaluation {evaluation.pk}"


def assignment_is_annotators(
    *, assignment_id: int, annotator: AbstractBaseUser
) -> bool:
    """Whether the assignment exists and is the annotator's."""
    return Assignment.objects.filter(pk=assignment_id, annotator=annotator).exists()


def assignment_for_annotator(
    *, assignment_id: int, annotator: AbstractBaseUser
) -> Assignment:
    """The annotator's own assignment; Assignment.DoesNotExist for anyone else's."""
    return Assignment.objects.select_related(
        "comparison__evaluation__candidate",
        "comparison__evaluation__baseline",
        "comparison__prompt",
        "comparison__candidate_generation",
        "comparison__baseline_generation",
    ).get(pk=assignment_id, annotator=annotator)


def annotator_counts(*, evaluation: Evaluation, annotator_id: int) -> tuple[int, int]:
    """(pairs this annotator rated, pairs left to them) in one evaluation, in one
    statement. Pairs left are those not yet complete that the annotator has not
    rated, skipped or flagged, the one they hold included, and no more than their
    quota leaves them; some of them may be finished by others first."""
    return pair_queries.annotator_counts(
        evaluation_id=evaluation.pk, user_id=annotator_id
    )


@lru_cache(maxsize=256)
def _markdown_once(text: str) -> str:
    """Guidelines repeat on every pair of an evaluation: render them once."""
    return render_markdown(text)


def _response_html(generation: Generation) -> str:
    """A long response's HTML was stored when it was written; others render now."""
    return render_stored(generation.text, generation.html, generation.html_version)


def pair_view(
    assignment: Assignment, *, with_counts: bool = True, render: bool = True
) -> PairView:
    """What the annotator sees; ``render=False`` leaves the HTML out (the API).

    Reads nothing more when the assignment comes with its comparison, evaluation,
    prompt and generations loaded (as leases do), except the counts."""
    markdown = render_markdown if render else _no_html
    comparison = assignment.comparison
    evaluation = comparison.evaluation
    shown_a, shown_b = comparison.candidate_generation, comparison.baseline_generation
    if not assignment.candidate_on_left and shown_b is not None:
        shown_a, shown_b = shown_b, shown_a
    single = shown_b is None
    turns = [
        {"role": t.get("role", "user"), "content": t.get("content", "")}
        for t in comparison.prompt.turns
    ]
    rendered = [Turn(t["role"], markdown(t["content"])) for t in turns]
    labels = scales.labels(evaluation.scale)
    done, left = (
        annotator_counts(evaluation=evaluation, annotator_id=assignment.annotator_id)
        if with_counts
        else (0, 0)
    )
    if with_counts and evaluation.stopped_at is not None:
        left = 1  # stopped: this pair, leased before the stop, is all that is left
    return PairView(
        assignment_id=assignment.pk,
        evaluation_id=evaluation.pk,
        evaluation_title=annotator_title(evaluation) if render else "",
        guidelines_html=_markdown_once(evaluation.guidelines) if render else "",
        history=rendered[:-1],
        final_turn=rendered[-1] if rendered else Turn("user", ""),
        turns=turns,
        response_a=shown_a.text,
        response_b=None if single else shown_b.text,
        response_a_html=_response_html(shown_a) if render else "",
        response_b_html=_response_html(shown_b) if render and not single else "",
        labels=labels,
        question=scales.LIKERT_QUESTION if single else scales.QUESTION,
        expires_at=assignment.expires_at,
        state=assignment.state,
        done=done,
        left=left,
        keys=_keys(labels, single=single),
        scale=evaluation.scale,
        single=single,
        safety=_safety_questions(evaluation),
    )


def _keys(labels: list[tuple[int, str]], *, single: bool) -> list[tuple[int, int, str]]:
    """(keyboard key, value, label); on the Likert scale key n picks quality n."""
    if single:
        return [(value, value, label) for value, label in sorted(labels)]
    return [(i + 1, value, label) for i, (value, label) in enumerate(labels)]


def most_ratings_on_a_pair(evaluation: Evaluation) -> int:
    """The most ratings one pair of the evaluation holds (0 without ratings): the
    lowest N its data allows."""
    most = (
        Comparison.objects.filter(evaluation=evaluation)
        .annotate(n=Count("ratings"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return most or 0


def annotator_evaluations(*, annotator: AbstractBaseUser) -> list[dict]:
    """The evaluations in the annotator's pools with pairs done and pairs left."""
    rows = []
    members = (
        PoolMember.objects.filter(user=annotator)
        .select_related("evaluation__candidate", "evaluation__baseline")
        .order_by("evaluation__name")
    )
    for member in members:
        evaluation = member.evaluation
        done, left = annotator_counts(evaluation=evaluation, annotator_id=annotator.pk)
        if evaluation.stopped_at is not None:
            # Nothing new is handed out; a pair leased before the stop is theirs.
            left = int(
                pair_queries.held_lease(
                    evaluation_id=evaluation.pk,
                    user_id=annotator.pk,
                    now=timezone.now(),
                )
                is not None
            )
        rows.append(
            {
                "id": evaluation.pk,
                "title": annotator_title(evaluation),
                "is_open": evaluation.status == Evaluation.Status.OPEN,
                "stopped": evaluation.stopped_at is not None,
                "paused": member.paused_at is not None,
                "pause_message": member.pause_message,
                # Their quota done: the completion page has their code or link.
                "completed": member.completed_at is not None,
                "done": done,
                "left": left,
            }
        )
    return rows


def evaluation_progress(*, evaluation: Evaluation, now: datetime | None = None) -> dict:
    """Comparisons complete / partly rated / untouched (of those no flag review
    excluded, which are counted apart), their ratings against those needed, ratings
    per annotator, outstanding leases and flags of one evaluation."""
    now = now or timezone.now()
    per_pair = evaluation.annotators_per_pair
    live = Q(assignments__state=State.LEASED, assignments__expires_at__gt=now)
    pairs = Comparison.objects.filter(evaluation=evaluation).annotate(
        n_ratings=Count("ratings", distinct=True),
        n_leases=Count("assignments", filter=live, distinct=True),
    )
    complete = partly = untouched = excluded = kept_ratings = 0
    for n_ratings, n_leases, left_out in pairs.values_list(
        "n_ratings", "n_leases", "excluded"
    ):
        if left_out:  # closed to rating by a flag review: needs nothing more
            excluded += 1
            continue
        kept_ratings += n_ratings
        if n_ratings >= per_pair:
            complete += 1
        elif n_ratings or n_leases:
            partly += 1
        else:
            untouched += 1
    ratings = Rating.objects.filter(comparison__evaluation=evaluation)
    counts: dict[str, int] = {}
    seconds: dict[str, list[float]] = {}
    for username, spent in ratings.values_list("annotator__username", "seconds"):
        counts[username] = counts.get(username, 0) + 1
        if spent is not None:
            seconds.setdefault(username, []).append(spent)
    assignments = Assignment.objects.filter(comparison__evaluation=evaluation)
    skips = dict(
        assignments.filter(state=State.SKIPPED)
        .values_list("annotator__username")
        .annotate(n=Count("pk"))
    )
    per_annotator = [
        {
            "username": name,
            "ratings": counts.get(name, 0),
            "median_seconds": (
                statistics.median(seconds[name]) if seconds.get(name) else None
            ),
            "skips": skips.get(name, 0),
        }
        for name in sorted(set(counts) | set(skips))
    ]
    flags = assignments.filter(state=State.FLAGGED).select_related(
        "annotator", "comparison__prompt"
    )
    return {
        "comparisons": complete + partly + untouched + excluded,
        "complete": complete,
        "partly": partly,
        "untouched": untouched,
        # Of the pairs not excluded: the excluded ones' ratings are kept apart.
        "ratings": kept_ratings,
        "ratings_needed": (complete + partly + untouched) * per_pair,
        "per_annotator": per_annotator,
        "leases_live": assignments.filter(
            state=State.LEASED, expires_at__gt=now
        ).count(),
        "leases_expired": assignments.filter(
            Q(state=State.EXPIRED) | Q(state=State.LEASED, expires_at__lte=now)
        ).count(),
        "flags": list(flags.order_by("-ended_at")),
        # Closed to rating and left out of every report figure (flag review).
        "excluded": excluded,
    }


def choice_label(scale: str, choice: int) -> str:
    """The label of a choice as shown ("A is better")."""
    return dict(scales.labels(scale)).get(choice, str(choice))


def _window(*, evaluation_id: int, annotator_id: int):
    """The window in one query: the evaluation's ``edit_window`` is read in it (the
    rating page's evaluation is loaded without it)."""
    return (
        Rating.objects.filter(
            comparison__evaluation_id=evaluation_id,
            annotator_id=annotator_id,
            source=Rating.Source.NATIVE,
        )
        .annotate(
            recency=Window(
                RowNumber(), order_by=[F("created_at").desc(), F("id").desc()]
            )
        )
        .filter(recency__lte=F("comparison__evaluation__edit_window"))
        .order_by("recency")
    )


def ratings_window_ids(*, evaluation: Evaluation, annotator_id: int) -> list[int]:
    """Ids of the annotator's last ``edit_window`` native ratings in the evaluation,
    newest first: the ones they may change while their pairs are not complete."""
    return list(
        _window(evaluation_id=evaluation.pk, annotator_id=annotator_id).values_list(
            "pk", flat=True
        )
    )


@dataclass(frozen=True)
class RecentRating:
    """One of the annotator's last ratings, as the rating page lists it."""

    rating_id: int
    assignment_id: int
    choice: int
    label: str
    comment: str
    prompt_preview: str
    created_at: datetime
    editable: bool
    safety_a: str = ""
    safety_b: str = ""


PREVIEW_CHARS = 70


def ratings_recent(*, evaluation: Evaluation, annotator_id: int) -> list[RecentRating]:
    """The annotator's last ``edit_window`` native ratings in the evaluation, newest
    first, each saying whether it can still be changed (its pair not complete)."""
    rows = _window(
        evaluation_id=evaluation.pk, annotator_id=annotator_id
    ).select_related("comparison__prompt")
    recent = []
    for rating in rows:
        turns = rating.comparison.prompt.turns or [{}]
        text = " ".join(str(turns[-1].get("content", "")).split())
        if len(text) > PREVIEW_CHARS:
            text = text[: PREVIEW_CHARS - 1] + "…"
        recent.append(
            RecentRating(
                rating_id=rating.pk,
                assignment_id=rating.assignment_id,
                choice=rating.choice,
                label=choice_label(rating.scale, rating.choice),
                comment=rating.comment,
                prompt_preview=text,
                created_at=rating.created_at,
                editable=rating.assignment_id is not None
                and rating.comparison.stage != Comparison.Stage.COMPLETE,
                safety_a=rating.safety_a,
                safety_b=rating.safety_b,
            )
        )
    return recent


def recent_skip(
    *, evaluation: Evaluation, annotator_id: int, now: datetime, seconds: int
) -> Assignment | None:
    """The annotator's latest skip in the evaluation if made less than ``seconds``
    ago (it can still be undone)."""
    return (
        Assignment.objects.filter(
            comparison__evaluation_id=evaluation.pk,
            annotator_id=annotator_id,
            state=State.SKIPPED,
            ended_at__gt=now - timedelta(seconds=seconds),
        )
        .order_by("-ended_at")
        .first()
    )
