"""Creating single-response evaluations: each chat model's response to each prompt,
rated on its own on the seven-point Likert scale."""

from collections import Counter

from django.db import transaction

from generations.models import ChatModel, Generation, PromptSet

from ..models import Comparison, Evaluation
from .evaluations import BuildResult, EvaluationError, _reason


@transaction.atomic(durable=True)
def single_evaluation_create(
    *,
    name: str,
    prompt_set: PromptSet,
    chat_models: list[ChatModel],
    annotators_per_pair: int = 3,
    lease_minutes: int = 30,
    guidelines: str = "",
    created_by=None,
) -> BuildResult:
    """Create a single-response evaluation (Likert scale, 1 worst to 7 best) of one
    or more chat models and its comparisons: one per prompt and chat model whose
    generation is done, with no baseline. Prompts left out are counted by reason.
    Raises EvaluationError for a taken name or no chat model."""
    if Evaluation.objects.filter(name=name).exists():
        raise EvaluationError({"name": f"an evaluation named {name!r} already exists"})
    models = list(dict.fromkeys(chat_models or []))
    if not models:
        raise EvaluationError(
            {"chat_models": "a single-response evaluation needs a chat model"}
        )
    evaluation = Evaluation(
        name=name,
        kind=Evaluation.Kind.SINGLE,
        prompt_set=prompt_set,
        scale=Evaluation.Scale.LIKERT,
        annotators_per_pair=annotators_per_pair,
        lease_minutes=lease_minutes,
        guidelines=guidelines,
        created_by=created_by,
    )
    evaluation.full_clean()
    evaluation.save()
    evaluation.chat_models.set(models)
    return single_comparisons_build(evaluation=evaluation)


@transaction.atomic
def single_comparisons_build(*, evaluation: Evaluation) -> BuildResult:
    """Add the single-response comparisons an evaluation lacks (one per prompt and
    chat model with a done generation); idempotent. Records the left-out counts,
    by reason, as ``comparisons_build`` does for pairs. Joins the caller's
    transaction (the admin's save)."""
    if evaluation.kind != Evaluation.Kind.SINGLE:
        raise EvaluationError(
            {EvaluationError.NON_FIELD: "not a single-response evaluation"}
        )
    models = list(evaluation.chat_models.order_by("name"))
    generations = {
        (generation.prompt_id, generation.chat_model_id): generation
        for generation in Generation.objects.filter(
            prompt__prompt_set=evaluation.prompt_set, chat_model__in=models
        )
    }
    existing = set(
        Comparison.objects.filter(evaluation=evaluation).values_list(
            "prompt_id", "candidate_generation_id"
        )
    )
    new, left_out = [], Counter()
    for prompt in evaluation.prompt_set.prompts.order_by("id"):
        for model in models:
            generation = generations.get((prompt.pk, model.pk))
            reason = _reason(model, generation)
            if reason:
                left_out[reason] += 1
                continue
            if (prompt.pk, generation.pk) not in existing:
                new.append(
                    Comparison(
                        evaluation=evaluation,
                        prompt=prompt,
                        candidate_generation=generation,
                        baseline_generation=None,
                    )
                )
    Comparison.objects.bulk_create(new, batch_size=2000)
    evaluation.left_out = dict(sorted(left_out.items()))
    evaluation.save(update_fields=["left_out"])
    return BuildResult(evaluation=evaluation, created=len(new), left_out=dict(left_out))
