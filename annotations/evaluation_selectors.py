"""Reads of evaluations for the API: which ones a user may see, and the evaluation a
request names by its name or its id."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from evalsite.converters import record_id

from . import roles
from .models import Evaluation, PoolMember

_NAME_LENGTH = Evaluation._meta.get_field("name").max_length


def sees_every_evaluation(user: AbstractBaseUser) -> bool:
    """Researchers and admins see every evaluation; annotators only their pools'."""
    return user.has_perm("annotations.view_evaluation")


def evaluations_visible(*, user: AbstractBaseUser) -> QuerySet[Evaluation]:
    """The evaluations ``user`` may see, newest first, each with ``pairs`` (its
    number of comparisons) and its prompt set, candidate and baseline loaded; a
    tournament's chat models come in one more query per page. An annotator's are
    those whose pool they are in, and come without the chat models."""
    evaluations = Evaluation.objects.annotate(pairs=Count("comparisons"))
    if sees_every_evaluation(user):
        evaluations = evaluations.select_related(
            "prompt_set", "candidate", "baseline"
        ).prefetch_related("chat_models")
    else:
        pools = PoolMember.objects.filter(user_id=user.pk).values("evaluation_id")
        evaluations = evaluations.filter(pk__in=pools)
    return evaluations.order_by("-pk")


def evaluation_by_key(text: str) -> Evaluation | None:
    """The evaluation named ``text``, else the one whose id it is; None for none.
    As the preference export (reports) reads its ``evaluation`` parameter."""
    text = text.strip()
    evaluation = None
    # A NUL or an over-long name names nothing (PostgreSQL refuses NUL in text).
    if "\x00" not in text and len(text) <= _NAME_LENGTH:
        evaluation = Evaluation.objects.filter(name=text).first()
    if evaluation is None and (pk := record_id(text)) is not None:
        evaluation = Evaluation.objects.filter(pk=pk).first()
    return evaluation


def annotators_named(usernames: Sequence[str]) -> list[AbstractBaseUser]:
    """The users in the annotator role among ``usernames``, in one query."""
    return list(
        get_user_model().objects.filter(
            username__in=list(usernames), groups__name=roles.ANNOTATOR
        )
    )
