"""Creating an evaluation from the app's own page, and building its pairs later."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from generations.models import ChatModel

from ..models import Evaluation
from .evaluations import BuildResult, comparisons_build
from .single_evaluations import single_comparisons_build


@transaction.atomic(durable=True)
def evaluation_setup(
    *,
    evaluation: Evaluation,
    chat_models: Sequence[ChatModel],
    pool: Sequence[AbstractBaseUser],
    created_by: AbstractBaseUser | None,
) -> BuildResult:
    """Store a new evaluation (its fields filled, not yet saved), its chat models
    and its annotator pool, and build the comparisons its finished generations
    allow; prompts whose generations are missing are counted in ``left_out`` and
    paired later by ``evaluation_pairs_build``.

    A head-to-head evaluation's chat models are its candidate and baseline,
    whatever ``chat_models`` says. ValidationError when the evaluation breaks a
    field's rule or a constraint; nothing is stored then.
    """
    if evaluation.pk is not None:
        raise ValueError("evaluation_setup creates evaluations; this one exists")
    if evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:
        chat_models = [evaluation.candidate, evaluation.baseline]
    evaluation.created_by = created_by
    evaluation.full_clean()
    evaluation.save()
    evaluation.chat_models.set(list(dict.fromkeys(chat_models)))
    evaluation.pool.add(*pool)
    return _build(evaluation)


@transaction.atomic(durable=True)
def evaluation_pairs_build(*, evaluation: Evaluation) -> BuildResult:
    """Add the comparisons an evaluation lacks, now that more generations are done
    (after a generation job); idempotent. The evaluation's row is locked, so two
    builds at once add each pair once."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    return _build(evaluation)


def _build(evaluation: Evaluation) -> BuildResult:
    if evaluation.kind == Evaluation.Kind.SINGLE:
        return single_comparisons_build(evaluation=evaluation)
    return comparisons_build(evaluation=evaluation)
