"""Creating an evaluation builds comparisons for finished pairs; counts the rest."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Comparison, Evaluation
from annotations.services.evaluations import EvaluationError, evaluation_create
from generations.models import Generation
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)


@pytest.fixture
def setup(db):
    prompt_set = PromptSetFactory(name="s")
    cand, base, third = (ChatModelFactory(name=n) for n in ("cand", "base", "third"))
    prompts = [PromptFactory(prompt_set=prompt_set) for _ in range(5)]
    statuses = {0: "done", 1: "done", 2: "filtered", 3: "failed"}
    for index, prompt in enumerate(prompts):
        GenerationFactory(
            prompt=prompt, chat_model=cand, status=statuses.get(index, "done")
        )
        if index != 4:
            GenerationFactory(prompt=prompt, chat_model=base)
        GenerationFactory(prompt=prompt, chat_model=third)
    return prompt_set, cand, base, third


def test_head_to_head_builds_pairs_and_reports_left_out(setup):
    prompt_set, cand, base, _ = setup
    result = evaluation_create(
        name="e", prompt_set=prompt_set, candidate=cand, baseline=base
    )
    assert result.created == 2
    assert result.left_out == {
        "cand filtered": 1,
        "cand failed": 1,
        "no generation by base": 1,
    }
    assert result.evaluation.left_out == result.left_out
    comparison = Comparison.objects.filter(evaluation=result.evaluation).first()
    assert comparison.candidate_generation.chat_model == cand
    assert comparison.baseline_generation.chat_model == base
    assert set(result.evaluation.chat_models.all()) == {cand, base}


def test_tournament_builds_every_pair_of_models(setup):
    prompt_set, cand, base, third = setup
    result = evaluation_create(
        name="t", prompt_set=prompt_set, chat_models=[cand, base, third]
    )
    # 5 prompts x 3 pairs: prompts 0-1 keep all 3; prompts 2-3 (cand unfinished) and
    # prompt 4 (no base) keep only the pair without the missing side.
    assert result.created == Comparison.objects.count() == 9
    assert result.left_out == {
        "cand filtered": 2,
        "cand failed": 2,
        "no generation by base": 2,
    }


def test_the_same_name_twice_is_refused(setup):
    prompt_set, cand, base, _ = setup
    evaluation_create(name="e", prompt_set=prompt_set, candidate=cand, baseline=base)
    with pytest.raises(EvaluationError, match="already exists"):
        evaluation_create(
            name="e", prompt_set=prompt_set, candidate=cand, baseline=base
        )


def test_create_evaluation_command_prints_left_out(setup, capsys):
    call_command(
        "create_evaluation",
        "cmd",
        "--prompt-set",
        "s",
        "--candidate",
        "cand",
        "--baseline",
        "base",
    )
    out = capsys.readouterr().out
    assert "2 comparisons; 3 left out" in out
    assert "cand filtered: 1" in out


def test_create_evaluation_command_sets_allocation_and_stopping(setup):
    """The command takes the sequential settings and refuses what does not go
    together, naming the field (the same rule as the page and the API)."""
    call_command(
        *("create_evaluation", "stops", "--prompt-set", "s"),
        *("--candidate", "cand", "--baseline", "base"),
        *("--stop-rule", "width", "--stop-width", "0.2", "--stop-min-pairs", "50"),
    )
    call_command(
        *("create_evaluation", "adapts", "--prompt-set", "s"),
        *("--model", "cand", "--model", "base", "--model", "third"),
        *("--allocation", "adaptive"),
    )
    stops, adapts = (
        Evaluation.objects.get(name="stops"),
        Evaluation.objects.get(name="adapts"),
    )
    assert (stops.stop_rule, stops.stop_width, stops.stop_min_pairs) == (
        "width",
        0.2,
        50,
    )
    assert adapts.allocation == "adaptive"
    with pytest.raises(CommandError, match="allocation: Adaptive allocation is for"):
        call_command(
            *("create_evaluation", "bad", "--prompt-set", "s"),
            *("--candidate", "cand", "--baseline", "base", "--allocation", "adaptive"),
        )
    with pytest.raises(CommandError, match="stop_width: The width rule needs"):
        call_command(
            *("create_evaluation", "bad", "--prompt-set", "s"),
            *("--candidate", "cand", "--baseline", "base", "--stop-rule", "width"),
        )
    assert not Evaluation.objects.filter(name="bad").exists()


def test_admin_api_creates_an_evaluation(setup, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/evaluations/",
        {"name": "api", "prompt_set": "s", "candidate": "cand", "baseline": "base"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["comparisons"] == 2
    assert Generation.objects.count() == 14
