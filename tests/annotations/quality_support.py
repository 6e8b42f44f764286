"""Building answers for the quality-control tests: ratings and answered gold and
repeat tasks."""

from django.utils import timezone

from annotations.models import GoldPair, QualityTask
from tests.factories import GenerationFactory, PromptFactory, RatingFactory


def rate(comparison, annotator, score, *, left=True, seconds=None):
    choice = score if left else -score
    return RatingFactory(
        comparison=comparison,
        annotator=annotator,
        scale=comparison.evaluation.scale,
        choice=choice,
        candidate_on_left=left,
        seconds=seconds,
    )


def gold_pair(evaluation, *, expected=1, min_strength=None):
    prompt = PromptFactory(prompt_set=evaluation.prompt_set)
    return GoldPair.objects.create(
        evaluation=evaluation,
        prompt=prompt,
        candidate_generation=GenerationFactory(
            prompt=prompt, chat_model=evaluation.candidate
        ),
        baseline_generation=GenerationFactory(
            prompt=prompt, chat_model=evaluation.baseline
        ),
        expected=expected,
        min_strength=min_strength,
    )


def answer_task(evaluation, annotator, score, *, gold=None, repeat_of=None,
                left=True, seconds=None):  # fmt: skip
    now = timezone.now()
    return QualityTask.objects.create(
        evaluation=evaluation,
        annotator=annotator,
        kind=QualityTask.Kind.GOLD if gold else QualityTask.Kind.REPEAT,
        gold=gold,
        repeat_of=repeat_of,
        candidate_on_left=left,
        state=QualityTask.State.ANSWERED,
        leased_at=now,
        expires_at=now + timezone.timedelta(minutes=30),
        answered_at=now,
        choice=score if left else -score,
        score=score,
        seconds=seconds,
    )
