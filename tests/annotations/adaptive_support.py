"""A small adaptive tournament for the leasing tests: models, prompts, generations,
every model pair's comparisons built by the service, and a pool."""

from annotations import roles
from annotations.models import Evaluation
from annotations.services.evaluations import comparisons_build
from generations.models import Generation, Prompt
from tests.conftest import make_user
from tests.factories import ChatModelFactory, EvaluationFactory, PromptSetFactory


def adaptive_tournament(
    *,
    models: int,
    prompts: int,
    annotators: int,
    per_pair: int = 3,
    prefix: str = "adaptive",
):
    """(evaluation, chat models in creation order, pool users)."""
    prompt_set = PromptSetFactory()
    chat_models = [ChatModelFactory(name=f"{prefix}-model-{k}") for k in range(models)]
    rows = Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"{prefix}-{i}",
            turns=[{"role": "user", "content": f"Question {i}?"}],
            categories=["dialogue"],
        )
        for i in range(prompts)
    )
    Generation.objects.bulk_create(
        Generation(
            prompt=prompt,
            chat_model=model,
            status=Generation.Status.DONE,
            source=Generation.Source.IMPORTED,
            text=f"{model.name} on {prompt.external_id}",
        )
        for prompt in rows
        for model in chat_models
    )
    evaluation = EvaluationFactory(
        name=f"{prefix}-tournament",
        kind=Evaluation.Kind.TOURNAMENT,
        candidate=None,
        baseline=None,
        prompt_set=prompt_set,
        annotators_per_pair=per_pair,
        allocation=Evaluation.Allocation.ADAPTIVE,
    )
    evaluation.chat_models.add(*chat_models)
    comparisons_build(evaluation=evaluation)
    group = roles.group_for(roles.ANNOTATOR)
    users = []
    for index in range(annotators):
        user = make_user(f"{prefix}-{evaluation.pk}-{index}", None)
        user.groups.add(group)
        users.append(user)
    evaluation.pool.add(*users)
    return evaluation, chat_models, users
