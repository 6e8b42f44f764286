"""Creating an evaluation from the app's own page, and building its pairs later."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from generations.models import ChatModel

from ..models import Evaluation
from .evaluations import BuildResult, EvaluationError, comparisons_build
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


def pairs_refusal(evaluation: Evaluation) -> str | None:
    """Why no pairs may be added to this existing evaluation, or None.

    An imported evaluation's pairs are those its ratings file names: every other
    pair its models' generations allow (all of them, for an imported tournament) is
    none of its. A closed evaluation takes no new work."""
    if evaluation.source == Evaluation.Source.IMPORTED:
        return (
            "its pairs are those of its imported ratings; import more ratings to add "
            "pairs"
        )
    if evaluation.status == Evaluation.Status.CLOSED:
        return "it is closed; reopen it to add pairs"
    return None


@transaction.atomic(durable=True)
def evaluation_pairs_build(*, evaluation: Evaluation) -> BuildResult:
    """Add the comparisons an evaluation lacks, now that more generations are done
    (after a generation job); idempotent. The evaluation's row is locked, so two
    builds at once add each pair once. EvaluationError, adding nothing, where
    ``pairs_refusal`` gives a reason."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if reason := pairs_refusal(evaluation):
        raise EvaluationError(
            {"pairs": f"{evaluation.name} takes no new pairs: {reason}."}
        )
    return _build(evaluation)


def _build(evaluation: Evaluation) -> BuildResult:
    if evaluation.kind == Evaluation.Kind.SINGLE:
        return single_comparisons_build(evaluation=evaluation)
    return comparisons_build(evaluation=evaluation)
