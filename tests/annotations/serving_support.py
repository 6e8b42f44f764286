"""Evaluations with quality control on, for the tests of serving checks."""

from annotations.models import GoldPair
from tests.factories import GenerationFactory, PromptFactory

from .conftest import build_evaluation


def gold_pairs(evaluation, count: int, *, expected: int = 1) -> list[GoldPair]:
    """``count`` gold pairs of the evaluation, each on a prompt of its own."""
    golds = []
    for index in range(count):
        prompt = PromptFactory(prompt_set=evaluation.prompt_set)
        golds.append(
            GoldPair.objects.create(
                evaluation=evaluation,
                prompt=prompt,
                candidate_generation=GenerationFactory(
                    prompt=prompt,
                    chat_model=evaluation.candidate,
                    text=f"Known better answer {index}.",
                ),
                baseline_generation=GenerationFactory(
                    prompt=prompt,
                    chat_model=evaluation.baseline,
                    text=f"Known worse answer {index}.",
                ),
                expected=expected,
            )
        )
    return golds


def checked_evaluation(*, pairs=6, annotators=2, golds=2, per_pair=3, **rates):
    evaluation, comparisons, users = build_evaluation(
        pairs=pairs, annotators=annotators, per_pair=per_pair, **rates
    )
    return evaluation, comparisons, users, gold_pairs(evaluation, golds)
