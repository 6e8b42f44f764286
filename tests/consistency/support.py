"""Building consistency evaluations for tests: instructions and stored replies,
without a server (the end-to-end tests make replies with llama.cpp)."""

from __future__ import annotations

from consistency.models import ConsistencyEvaluation, Dialogue, Instruction, Reply
from tests.factories import ChatModelFactory

SECRET_MODELS = ("secret-model-alpha", "secret-model-beta")


def build_evaluation(
    *,
    name: str = "consistency",
    instructions: int = 3,
    turns: int = 3,
    annotators=(),
    per_reply: int = 3,
    models=SECRET_MODELS,
) -> ConsistencyEvaluation:
    """An evaluation whose every dialogue is done with a reply at every turn."""
    evaluation = ConsistencyEvaluation.objects.create(
        name=name, annotators_per_reply=per_reply
    )
    chat_models = [ChatModelFactory(name=model) for model in models]
    evaluation.chat_models.set(chat_models)
    evaluation.annotators.set(annotators)
    for i in range(instructions):
        instruction = Instruction.objects.create(
            evaluation=evaluation,
            external_id=f"i{i}",
            attribute="haiku",
            system_message=f"Always answer in haiku ({i}).",
            probes=[f"Question {i}.{t}?" for t in range(1, turns + 1)],
        )
        for model in chat_models:
            dialogue = Dialogue.objects.create(
                evaluation=evaluation,
                instruction=instruction,
                chat_model=model,
                status=Dialogue.Status.DONE,
                turns_completed=turns,
            )
            Reply.objects.bulk_create(
                Reply(
                    dialogue=dialogue,
                    turn=t,
                    user_text=f"Question {i}.{t}?",
                    text=f"Reply {i}.{t} of a model",
                )
                for t in range(1, turns + 1)
            )
    return evaluation
