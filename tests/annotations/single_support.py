"""A single-response (Likert) evaluation with a pool, for the annotator-loop tests."""

from annotations import roles
from annotations.services.single_evaluations import single_evaluation_create
from tests.conftest import make_user
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)

from .conftest import ID_ORDER_UP_TO, in_id_order

SECRET_MODELS = ("Zephyrine-70B-Single", "Quokkaline-13B-Single")


def build_single(
    *, prompts: int, annotators: int, per_pair: int = 3, models: int = 2, texts=None
):
    """An open Likert evaluation of ``models`` chat models on ``prompts`` prompts
    (one comparison each), and a pool of new annotators."""
    prompt_set = PromptSetFactory()
    chat_models = [ChatModelFactory(name=SECRET_MODELS[i]) for i in range(models)]
    for index in range(prompts):
        prompt = PromptFactory(
            prompt_set=prompt_set,
            turns=[{"role": "user", "content": f"Question {index}?"}],
        )
        for number, model in enumerate(chat_models):
            text = texts[index] if texts else f"Answer {index} by model {number}."
            GenerationFactory(prompt=prompt, chat_model=model, text=text)
    result = single_evaluation_create(
        name=f"single-{prompt_set.pk}",
        prompt_set=prompt_set,
        chat_models=chat_models,
        annotators_per_pair=per_pair,
    )
    evaluation = result.evaluation
    group = roles.group_for(roles.ANNOTATOR)
    users = []
    for index in range(annotators):
        user = make_user(f"likert-{evaluation.pk}-{index}", None)
        user.groups.add(group)
        users.append(user)
    evaluation.pool.add(*users)
    if evaluation.comparisons.count() <= ID_ORDER_UP_TO:  # as build_evaluation
        in_id_order(evaluation)
    return evaluation, list(evaluation.comparisons.order_by("id")), users
