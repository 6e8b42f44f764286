"""Creating evaluations and building their comparisons from finished generations."""

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from generations.models import ChatModel, Generation, PromptSet

from ..models import Comparison, Evaluation
from ..sequential_fields import sequential_errors


class EvaluationError(ValueError):
    """The evaluation cannot be created as asked: ``errors`` maps each field at fault
    to why (``NON_FIELD`` for the whole); its text reads "field: why" for each, as
    commands and pages show it."""

    NON_FIELD = "non_field_errors"

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__(
            "; ".join(
                why if field == self.NON_FIELD else f"{field}: {why}"
                for field, why in self.errors.items()
            )
        )


@dataclass
class BuildResult:
    evaluation: Evaluation
    created: int = 0
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


# A prompt left out because a response is over its model's context limit stays out:
# its generation is filtered, and no later build pairs it (``_reason`` names it so).
FINAL_REASON = " filtered"


def awaits_generations(left_out: dict[str, int]) -> bool:
    """Were prompts left out for generations still to come (missing, pending,
    running or failed ones, which a job may yet finish), so that building the pairs
    again may add them?"""
    return any(not reason.endswith(FINAL_REASON) for reason in left_out)


def _reason(model: ChatModel, generation: Generation | None) -> str | None:
    if generation is None:
        return f"no generation by {model.name}"
    if generation.status == Generation.Status.FILTERED:
        return f"{model.name}{FINAL_REASON}"
    if generation.status != Generation.Status.DONE:
        return f"{model.name} {generation.get_status_display().split(' ')[0].lower()}"
    return None


@transaction.atomic(durable=True)
def evaluation_create(
    *,
    name: str,
    prompt_set: PromptSet,
    candidate: ChatModel | None = None,
    baseline: ChatModel | None = None,
    chat_models: list[ChatModel] | None = None,
    scale: str = Evaluation.Scale.SEVEN,
    safety_labels: bool = False,
    batch: str = "",
    annotators_per_pair: int = 3,
    lease_minutes: int = 30,
    guidelines: str = "",
    pairs_per_prompt: int | None = None,
    seed: int = 0,
    created_by=None,
    allocation: str = Evaluation.Allocation.UNIFORM,
    adaptive_top: int = 10,
    adaptive_width: float = 1.0,
    stop_rule: str = Evaluation.StopRule.NONE,
    stop_width: float | None = None,
    stop_min_pairs: int = 0,
    pool: Sequence[AbstractBaseUser] = (),
) -> BuildResult:
    """Create a head-to-head (candidate and baseline) or tournament (chat_models)
    evaluation and its comparisons: one per prompt and pair of chat models whose
    generations are both done. Prompts left out are counted by reason.
    ``safety_labels`` (each response also labelled safe or unsafe) needs the
    preference scale; ``batch`` labels its preference data. ``allocation``
    with ``adaptive_top`` and ``adaptive_width`` (tournaments) and the stopping rule ``stop_rule``, ``stop_width`` and
    ``stop_min_pairs`` (head-to-head) are checked by ``sequential_errors``.
    ``pool``: the annotators to put in its pool.
    """
    if Evaluation.objects.filter(name=name).exists():
        raise EvaluationError({"name": f"an evaluation named {name!r} already exists"})
    if safety_labels and scale != Evaluation.Scale.PREFERENCE:
        raise EvaluationError({"safety_labels": "only on the preference scale"})
    if scale == Evaluation.Scale.LIKERT:
        raise EvaluationError(
            {
                "scale": "the Likert scale rates one response: create a "
                "single-response evaluation (the New evaluation page, or "
                "create_evaluation --kind single)"
            }
        )
    batch_length = Evaluation._meta.get_field("batch").max_length
    if len(batch) > batch_length:
        raise EvaluationError({"batch": f"the label is longer than {batch_length}"})
    if chat_models:
        models = list(dict.fromkeys(chat_models))
        if len(models) < 2:
            raise EvaluationError({"chat_models": "a tournament needs at least two"})
        kind = Evaluation.Kind.TOURNAMENT
    else:
        if candidate is None or baseline is None:
            raise EvaluationError(
                {"candidate": "give a candidate and a baseline, or chat models"}
            )
        if candidate == baseline:
            raise EvaluationError(
                {"baseline": "the candidate and the baseline must differ"}
            )
        if pairs_per_prompt is not None:
            # Accepted and passed over, it read as if it had been applied.
            raise EvaluationError(
                {"pairs_per_prompt": "only for a tournament: a head-to-head has "
                 "one pair a prompt"}
            )  # fmt: skip
        models = [candidate, baseline]
        kind = Evaluation.Kind.HEAD_TO_HEAD
    sequential = {
        "allocation": allocation,
        "adaptive_top": adaptive_top,
        "adaptive_width": adaptive_width,
        "stop_rule": stop_rule,
        "stop_width": stop_width,
        "stop_min_pairs": stop_min_pairs,
    }
    if errors := sequential_errors(kind=kind, **sequential):
        raise EvaluationError(errors)
    evaluation = Evaluation(
        **sequential,
        name=name,
        kind=kind,
        prompt_set=prompt_set,
        candidate=candidate if kind == Evaluation.Kind.HEAD_TO_HEAD else None,
        baseline=baseline if kind == Evaluation.Kind.HEAD_TO_HEAD else None,
        scale=scale,
        safety_labels=safety_labels,
        batch=batch,
        annotators_per_pair=annotators_per_pair,
        lease_minutes=lease_minutes,
        guidelines=guidelines,
        created_by=created_by,
    )
    evaluation.full_clean()
    evaluation.save()
    evaluation.chat_models.set(models)
    evaluation.pool.add(*pool)
    return comparisons_build(
        evaluation=evaluation, pairs_per_prompt=pairs_per_prompt, seed=seed
    )


@transaction.atomic
def comparisons_build(
    *, evaluation: Evaluation, pairs_per_prompt: int | None = None, seed: int = 0
) -> BuildResult:
    """Add the comparisons an evaluation lacks; idempotent. Records the left-out counts.

    Not durable: it joins the caller's transaction, since ``evaluation_create`` and
    the admin's save (already atomic) call it as one step of theirs.
    """
    if evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:
        models = [evaluation.candidate, evaluation.baseline]
        pairs = [(evaluation.candidate, evaluation.baseline)]
    else:
        models = list(evaluation.chat_models.order_by("name"))
        pairs = list(itertools.combinations(models, 2))
    generations = {
        (generation.prompt_id, generation.chat_model_id): generation
        for generation in Generation.objects.filter(
            prompt__prompt_set=evaluation.prompt_set, chat_model__in=models
        )
    }
    existing = set(
        Comparison.objects.filter(evaluation=evaluation).values_list(
            "prompt_id", "candidate_generation_id", "baseline_generation_id"
        )
    )
    rng = random.Random(seed)
    new, left_out = [], Counter()
    newest = evaluation.built_through_prompt
    for prompt in evaluation.prompt_set.prompts.order_by("id"):
        newest = max(newest, prompt.pk)
        chosen = pairs
        if pairs_per_prompt and len(pairs) > pairs_per_prompt:
            chosen = rng.sample(pairs, pairs_per_prompt)
        for first, second in chosen:
            one = generations.get((prompt.pk, first.pk))
            two = generations.get((prompt.pk, second.pk))
            reason = _reason(first, one) or _reason(second, two)
            if reason:
                left_out[reason] += 1
                continue
            if (prompt.pk, one.pk, two.pk) not in existing:
                new.append(
                    Comparison(
                        evaluation=evaluation,
                        prompt=prompt,
                        candidate_generation=one,
                        baseline_generation=two,
                    )
                )
    Comparison.objects.bulk_create(new, batch_size=2000)
    counted = dict(sorted(left_out.items()))
    if counted != evaluation.left_out:
        # Saved only when it changed: a save marks the evaluation's reports stale
        # (a build that added nothing made the home forget its report's headline).
        evaluation.left_out = counted
        evaluation.save(update_fields=["left_out"])
    if newest != evaluation.built_through_prompt:
        # Not a change the reports show: an update, no save (no stale reports).
        Evaluation.objects.filter(pk=evaluation.pk).update(built_through_prompt=newest)
        evaluation.built_through_prompt = newest
    return BuildResult(evaluation=evaluation, created=len(new), left_out=dict(left_out))
