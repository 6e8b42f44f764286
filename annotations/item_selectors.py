"""The items an annotator is served, pairs and quality checks alike, as one kind of
thing to show and answer: each has an opaque token (item_tokens.py), and a check
is shown through the same PairView, page and API payload as a pair."""

from __future__ import annotations

import dataclasses
import hashlib
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from . import item_tokens
from .models import Assignment, Comparison, QualityTask
from .selectors import PairView, assignment_for_annotator, pair_view
from .services.quality_serving import quality_on, task_loaded

Item = Assignment | QualityTask

# A check's states in a pair's words, so that nothing tells a check from a pair.
AS_PAIR = {
    QualityTask.State.ANSWERED: Assignment.State.SUBMITTED,
    QualityTask.State.SKIPPED: Assignment.State.SKIPPED,
    QualityTask.State.EXPIRED: Assignment.State.EXPIRED,
    QualityTask.State.LEASED: Assignment.State.LEASED,
}


@cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(f"annotations.items:{secret}".encode()).digest()


def item_token(item: Item) -> str:
    """The item's token: the same for a pair and a check, telling nothing apart."""
    kind = item_tokens.CHECK if isinstance(item, QualityTask) else item_tokens.PAIR
    return item_tokens.token_for(key=_key(settings.SECRET_KEY), kind=kind, pk=item.pk)


def item_read(token: str) -> tuple[bool, int] | None:
    """(whether it names a check, its id) of a token, reading nothing; None for a
    token that is not one. The answer services check whose the item is."""
    read = item_tokens.token_read(key=_key(settings.SECRET_KEY), token=token)
    if read is None:
        return None
    return read[0] == item_tokens.CHECK, read[1]


def item_for_annotator(*, token: str, annotator: AbstractBaseUser) -> Item:
    """The annotator's own item named by ``token``; LookupError for a token that is
    not one, or an item of someone else's."""
    read = item_tokens.token_read(key=_key(settings.SECRET_KEY), token=token)
    if read is None:
        raise LookupError(token)
    kind, pk = read
    try:
        if kind == item_tokens.PAIR:
            return assignment_for_annotator(assignment_id=pk, annotator=annotator)
        task = task_loaded(task_id=pk)
    except (Assignment.DoesNotExist, QualityTask.DoesNotExist):
        raise LookupError(token) from None
    if task.annotator_id != annotator.pk:
        raise LookupError(token)
    return task


def item_page_url(item: Item) -> str:
    """Where the item's page is: by token once the evaluation mixes in checks (so a
    pair's address looks like a check's), else the assignment's own page."""
    if isinstance(item, QualityTask):
        return reverse("annotations:item", args=[item_token(item)])
    if quality_on(item.comparison.evaluation):
        return reverse("annotations:item", args=[item_token(item)])
    return reverse("annotations:assignment", args=[item.pk])


def item_view(item: Item, *, with_counts: bool = True, render: bool = True) -> PairView:
    """What the annotator sees of a pair or a check, with the token and the address
    its answer goes to."""
    shown = _as_assignment(item) if isinstance(item, QualityTask) else item
    view = pair_view(shown, with_counts=with_counts, render=render)
    token = item_token(item)
    done = view.done
    if isinstance(item, QualityTask) or quality_on(shown.comparison.evaluation):
        # Checks mixed in: every item by its token alone, pairs too, and the count
        # of answers grows with a check's as with a pair's.
        answer_url = reverse("annotations:item-answer", args=[token])
        name, assignment_id = token, None
        if with_counts:
            done += QualityTask.objects.filter(
                evaluation_id=view.evaluation_id,
                annotator_id=shown.annotator_id,
                state=QualityTask.State.ANSWERED,
            ).count()
    else:
        answer_url = reverse("annotations:answer", args=[item.pk])
        name, assignment_id = str(item.pk), item.pk
    return dataclasses.replace(
        view,
        done=done,
        assignment_id=assignment_id,
        item=name,
        token=token,
        answer_url=answer_url,
    )


def _as_assignment(task: QualityTask) -> Assignment:
    """An unsaved stand-in assignment showing the check as a pair: the gold pair's
    generations, or the repeated pair with the task's side order."""
    if task.kind == QualityTask.Kind.GOLD:
        gold = task.gold
        comparison = Comparison(
            evaluation=task.evaluation,
            prompt=gold.prompt,
            candidate_generation=gold.candidate_generation,
            baseline_generation=gold.baseline_generation,
        )
    else:
        first = task.repeat_of.comparison
        comparison = Comparison(
            evaluation=task.evaluation,
            prompt=first.prompt,
            candidate_generation=first.candidate_generation,
            baseline_generation=first.baseline_generation,
        )
    state = AS_PAIR[task.state]
    if task.flagged and state == Assignment.State.SKIPPED:
        state = Assignment.State.FLAGGED  # a flag ends a check as skipped
    return Assignment(
        comparison=comparison,
        annotator_id=task.annotator_id,
        candidate_on_left=task.candidate_on_left,
        expires_at=task.expires_at,
        state=state,
    )
