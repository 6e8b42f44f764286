"""Allocation and stopping settings on the API and the service: stored when they
go together, a 400 naming the field when not, nothing stored then."""

import pytest

from annotations.models import Evaluation
from annotations.services.evaluations import EvaluationError, evaluation_create
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)


@pytest.fixture
def setup(db):
    prompt_set = PromptSetFactory(name="s")
    models = [ChatModelFactory(name=name) for name in ("cand", "base", "third")]
    for _ in range(2):
        prompt = PromptFactory(prompt_set=prompt_set)
        for model in models:
            GenerationFactory(prompt=prompt, chat_model=model)
    return prompt_set, models


@pytest.fixture
def api(client, admin_user):
    client.force_login(admin_user)

    def post(**extra):
        body = {"name": "api", "prompt_set": "s"}
        if "chat_models" not in extra:  # a tournament names no candidate or baseline
            body |= {"candidate": "cand", "baseline": "base"}
        body |= extra
        return client.post("/api/evaluations/", body, content_type="application/json")

    return post


def test_api_stores_a_stopping_rule(setup, api):
    response = api(stop_rule="width", stop_width=0.15, stop_min_pairs=50)
    assert response.status_code == 201, response.content
    evaluation = Evaluation.objects.get(name="api")
    assert (evaluation.stop_rule, evaluation.stop_width) == ("width", 0.15)
    assert (evaluation.stop_min_pairs, evaluation.allocation) == (50, "uniform")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"stop_rule": "width"}, "stop_width"),
        ({"stop_rule": "width", "stop_width": 0}, "stop_width"),
        ({"stop_rule": "width", "stop_width": "wide"}, "stop_width"),
        ({"stop_width": 0.2}, "stop_width"),
        ({"stop_rule": ["decided"]}, "stop_rule"),
        ({"stop_rule": "deci\x00ded"}, "stop_rule"),
        ({"stop_min_pairs": -3}, "stop_min_pairs"),
        ({"stop_min_pairs": "many"}, "stop_min_pairs"),
        ({"allocation": "adaptive"}, "allocation"),
        ({"allocation": "adapt\x00ive"}, "allocation"),
        (
            {"chat_models": ["cand", "base", "third"], "stop_rule": "decided"},
            "stop_rule",
        ),
    ],
)
def test_api_refuses_settings_that_do_not_go_together(setup, api, extra, field):
    response = api(**extra)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Evaluation.objects.exists()


def test_api_takes_adaptive_allocation_for_a_tournament(setup, api):
    response = api(chat_models=["cand", "base", "third"], allocation="adaptive")
    assert response.status_code == 201, response.content
    assert Evaluation.objects.get().allocation == "adaptive"


def test_the_service_refuses_them_too(setup):
    prompt_set, (cand, base, _) = setup
    with pytest.raises(EvaluationError, match="stop_width: The width rule"):
        evaluation_create(
            name="e", prompt_set=prompt_set, candidate=cand, baseline=base,
            stop_rule="width",
        )  # fmt: skip
    assert not Evaluation.objects.exists()


def test_progress_page_of_an_adaptive_tournament_names_its_models(client, admin_user):
    from .adaptive_support import adaptive_tournament

    evaluation, _, _ = adaptive_tournament(models=3, prompts=1, annotators=1)
    client.force_login(admin_user)
    html = client.get(f"/evaluations/{evaluation.pk}/progress/").content.decode()
    assert "None vs None" not in html
    assert "Tournament of 3 chat models" in html
    assert "adaptive allocation (top 10, width 1.0)" in html
