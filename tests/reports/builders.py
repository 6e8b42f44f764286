"""Small evaluations with known ratings, built with the project's factories."""

from annotations.models import Evaluation
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    GenerationFactory,
    PromptFactory,
    RatingFactory,
    UserFactory,
)

# Per prompt, three scores from the candidate's point of view. Majority outcomes:
# 6 wins, 4 ties, 2 losses over 12 prompts.
SCORES = [
    (3, 2, -1), (1, 1, 0), (2, 2, 2), (1, 2, -3), (3, 3, 1), (1, 1, 1),
    (0, 0, 1), (1, 0, -1), (0, 0, 0), (2, -2, 0),
    (-1, -2, 0), (-3, -3, 1),
]  # fmt: skip
CATEGORIES = ["factual questions", "dialogue", "recommendations"]


def head_to_head(name="h2h", candidate="Llama 2-Chat 70B", baseline="ChatGPT",
                 scores=SCORES, annotators=("ann-a", "ann-b", "ann-c")):  # fmt: skip
    """A head-to-head evaluation whose ratings are ``scores`` (candidate's view)."""
    evaluation = EvaluationFactory(
        name=name,
        candidate=ChatModelFactory(name=candidate),
        baseline=ChatModelFactory(name=baseline),
    )
    users = [UserFactory(username=username) for username in annotators]
    for index, triple in enumerate(scores):
        multi = index % 4 == 3
        turns = [{"role": "user", "content": f"Question {index} about things?"}]
        if multi:
            turns += [
                {"role": "assistant", "content": "An answer."},
                {"role": "user", "content": "And a follow-up question?"},
            ]
        categories = (
            [CATEGORIES[index % 3], CATEGORIES[(index + 1) % 3]]
            if multi
            else [CATEGORIES[index % 3]]
        )
        prompt = PromptFactory(
            prompt_set=evaluation.prompt_set,
            external_id=f"{name}-p{index:02d}",
            turns=turns,
            categories=categories,
            collection_method="chatgpt" if multi else "",
        )
        comparison = ComparisonFactory(evaluation=evaluation, prompt=prompt)
        for user, score in zip(users, triple, strict=True):
            left = (index + len(user.username)) % 2 == 0
            RatingFactory(
                comparison=comparison,
                annotator=user,
                choice=score if left else -score,
                candidate_on_left=left,
                seconds=10.0 + index,
            )
    return evaluation


def tournament(name="arena"):
    """Three models, each pair on one prompt, three annotators, x > y > z mostly."""
    evaluation = EvaluationFactory(
        name=name, kind=Evaluation.Kind.TOURNAMENT, candidate=None, baseline=None
    )
    models = [ChatModelFactory(name=f"model-{k}") for k in "xyz"]
    evaluation.chat_models.add(*models)
    users = [UserFactory(username=f"t-{k}") for k in range(3)]
    plan = [(0, 1, (1, 1, -1)), (0, 2, (1, 1, 1)), (1, 2, (1, -1, 1)),
            (2, 0, (-1, 1, -1)), (1, 0, (-1, -1, 0))]  # fmt: skip
    for index, (x, y, votes) in enumerate(plan):
        prompt = PromptFactory(prompt_set=evaluation.prompt_set)
        comparison = ComparisonFactory(
            evaluation=evaluation,
            prompt=prompt,
            candidate_generation=GenerationFactory(prompt=prompt, chat_model=models[x]),
            baseline_generation=GenerationFactory(prompt=prompt, chat_model=models[y]),
        )
        for user, vote in zip(users, votes, strict=True):
            RatingFactory(
                comparison=comparison, annotator=user, scale="three", choice=vote,
                candidate_on_left=True, seconds=3.0 + index,
            )  # fmt: skip
    Evaluation.objects.filter(pk=evaluation.pk).update(scale="three")
    evaluation.refresh_from_db()
    return evaluation
