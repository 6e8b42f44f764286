"""Top-level import services run in durable transactions: nesting one is an error."""

import json

import pytest
from django.db import transaction

from annotations.models import Evaluation
from annotations.services.evaluations import evaluation_create
from annotations.services.imports import ratings_import
from generations.models import ChatModel, PromptSet
from generations.services.imports import generations_import, prompts_import


def jsonl(*rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


PROMPTS = jsonl({"id": "p1", "prompt": "Question?", "category": "dialogue"})
GENERATIONS = jsonl(
    {"prompt_id": "p1", "model": "cand", "text": "yes"},
    {"prompt_id": "p1", "model": "base", "text": "no"},
)
RATINGS = jsonl(
    {"prompt_id": "p1", "model_a": "cand", "model_b": "base", "annotator": "a"}
    | {"choice": 1}
)


@pytest.fixture
def imported(db):
    prompts_import(prompt_set_name="set", file_name="p.jsonl", data=PROMPTS)
    generations_import(prompt_set_name="set", file_name="g.jsonl", data=GENERATIONS)


SERVICES = {
    "prompts_import": lambda: prompts_import(
        prompt_set_name="set", file_name="p.jsonl", data=PROMPTS
    ),
    "generations_import": lambda: generations_import(
        prompt_set_name="set", file_name="g.jsonl", data=GENERATIONS
    ),
    "ratings_import": lambda: ratings_import(
        prompt_set_name="set",
        evaluation_name="ev",
        scale=Evaluation.Scale.SEVEN,
        file_name="r.jsonl",
        data=RATINGS,
    ),
    "evaluation_create": lambda: evaluation_create(
        name="h2h",
        prompt_set=PromptSet.objects.get(name="set"),
        candidate=ChatModel.objects.get(name="cand"),
        baseline=ChatModel.objects.get(name="base"),
    ),
}


@pytest.mark.parametrize("service", SERVICES)
def test_service_runs_alone_and_refuses_an_outer_transaction(imported, service):
    SERVICES[service]()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        SERVICES[service]()
