"""Fixtures of the judge tests: a head-to-head evaluation of three pairs, stub judges."""

from __future__ import annotations

import json
import re

import pytest

from annotations.services.evaluations import evaluation_create
from judges.services import templates
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)
from tests.generations.conftest import (  # noqa: F401 (fixtures)
    eager_celery,
    stub_chat_model,
    stub_server,
)

CANDIDATE_TEXT = "Candidate says yes"
BASELINE_TEXT = "Baseline says no"


def build_evaluation(name: str = "judged", pairs: int = 3, **fields):
    prompt_set = PromptSetFactory(name=f"{name}-prompts")
    candidate = ChatModelFactory(name=f"{name}-cand")
    baseline = ChatModelFactory(name=f"{name}-base")
    for index in range(pairs):
        prompt = PromptFactory(
            prompt_set=prompt_set,
            external_id=f"p{index}",
            turns=[{"role": "user", "content": f"Question {index}?"}],
        )
        GenerationFactory(
            prompt=prompt, chat_model=candidate, text=f"{CANDIDATE_TEXT} {index}"
        )
        GenerationFactory(
            prompt=prompt, chat_model=baseline, text=f"{BASELINE_TEXT} {index}"
        )
    return evaluation_create(
        name=name,
        prompt_set=prompt_set,
        candidate=candidate,
        baseline=baseline,
        **fields,
    ).evaluation


def candidate_is_a(body: dict) -> bool:
    text = body["messages"][-1]["content"]
    return text.index(CANDIDATE_TEXT) < text.index(BASELINE_TEXT)


def prefers_candidate(body: dict) -> str:
    """A stub judge that always prefers the candidate ("better" on seven points),
    answering in the format the request asks for."""
    token = "A>>" if candidate_is_a(body) else "B>>"
    if "response_format" in body:
        return json.dumps({"verdict": token})
    return f"The candidate is better. [[{token}]]"


def bracketed(body: dict) -> list[str]:
    return re.findall(r"\[\[.*?\]\]", body["messages"][-1]["content"])


@pytest.fixture
def evaluation(db):
    return build_evaluation()


@pytest.fixture
def json_judge(stub_server):  # noqa: F811
    return templates.judge_create(
        name="stub json", chat_model=stub_chat_model(stub_server)
    )


@pytest.fixture
def text_judge(stub_server):  # noqa: F811
    return templates.judge_create(
        name="stub text",
        chat_model=stub_chat_model(stub_server, name="stub text model"),
        verdict_format="text",
    )
