"""Creating evaluations on the preference scale, with safety labels and a batch
label: the service, ``create_evaluation`` and the admin."""

import io

import pytest
from django.core.management import CommandError, call_command

from annotations.admin import EvaluationForm
from annotations.models import Evaluation
from annotations.services.evaluations import EvaluationError, evaluation_create
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)


@pytest.fixture
def finished(db):
    prompt_set = PromptSetFactory(name="s")
    cand, base = ChatModelFactory(name="cand"), ChatModelFactory(name="base")
    for _ in range(2):
        prompt = PromptFactory(prompt_set=prompt_set)
        for model in (cand, base):
            GenerationFactory(prompt=prompt, chat_model=model)
    return prompt_set, cand, base


def test_the_command_creates_a_preference_evaluation_with_safety_labels(finished):
    out = io.StringIO()
    call_command(
        "create_evaluation", "pref", "--prompt-set", "s", "--candidate", "cand",
        "--baseline", "base", "--scale", "preference", "--safety-labels",
        "--batch", "batch 1", stdout=out,
    )  # fmt: skip
    evaluation = Evaluation.objects.get(name="pref")
    assert (evaluation.scale, evaluation.safety_labels, evaluation.batch) == (
        "preference",
        True,
        "batch 1",
    )
    assert evaluation.comparisons.count() == 2
    assert "pref: 2 comparisons" in out.getvalue()


def test_safety_labels_need_the_preference_scale(finished):
    prompt_set, cand, base = finished
    with pytest.raises(EvaluationError, match="preference scale"):
        evaluation_create(
            name="x", prompt_set=prompt_set, candidate=cand, baseline=base,
            scale="seven", safety_labels=True,
        )  # fmt: skip
    with pytest.raises(CommandError, match="preference scale"):
        call_command(
            "create_evaluation", "y", "--prompt-set", "s", "--candidate", "cand",
            "--baseline", "base", "--safety-labels",
        )  # fmt: skip
    with pytest.raises(EvaluationError, match="batch"):
        evaluation_create(
            name="z", prompt_set=prompt_set, candidate=cand, baseline=base,
            scale="preference", batch="b" * 101,
        )  # fmt: skip
    assert not Evaluation.objects.exists()


def test_the_admin_form_names_safety_labels_off_the_preference_scale(finished):
    prompt_set, cand, base = finished
    data = {
        "name": "admin-made", "kind": "head_to_head", "prompt_set": prompt_set.pk,
        "candidate": cand.pk, "baseline": base.pk, "chat_models": [cand.pk, base.pk],
        "scale": "seven", "annotators_per_pair": 3, "lease_minutes": 30,
        "safety_labels": "on", "batch": "", "status": "open", "source": "native",
        # The campaign settings' defaults, as the admin's form shows them.
        "gold_rate": 0, "repeat_rate": 0, "qc_min_answers": 10, "edit_window": 5,
        "left_out": "{}",
    }  # fmt: skip
    form = EvaluationForm(data)
    assert not form.is_valid()
    assert "preference scale" in form.errors["safety_labels"][0]
    form = EvaluationForm({**data, "scale": "preference"})
    assert form.is_valid(), form.errors
    assert form.save().safety_labels is True


def test_the_api_creates_a_preference_evaluation(finished, client, admin_user):
    client.force_login(admin_user)
    body = {"name": "api-pref", "prompt_set": "s", "candidate": "cand",
            "baseline": "base", "scale": "preference", "safety_labels": True,
            "batch": "round 2"}  # fmt: skip
    response = client.post("/api/evaluations/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    evaluation = Evaluation.objects.get(name="api-pref")
    assert (evaluation.scale, evaluation.safety_labels, evaluation.batch) == (
        "preference",
        True,
        "round 2",
    )
    refused = client.post(
        "/api/evaluations/",
        {**body, "name": "api-seven", "scale": "seven"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "preference scale" in refused.json()["safety_labels"][0]
    too_long = client.post(
        "/api/evaluations/",
        {**body, "name": "api-long", "batch": "b" * 101},
        content_type="application/json",
    )
    assert too_long.status_code == 400
    assert "batch" in too_long.json()


def test_the_api_refuses_the_likert_scale_on_a_pairwise_evaluation(
    finished, client, admin_user
):
    """Was a 500: the model's check raised from ``full_clean`` in the service."""
    client.force_login(admin_user)
    body = {"name": "api-likert", "prompt_set": "s", "candidate": "cand",
            "baseline": "base", "scale": "likert"}  # fmt: skip
    response = client.post("/api/evaluations/", body, content_type="application/json")
    assert response.status_code == 400
    assert "single-response" in response.json()["scale"][0]
    assert not Evaluation.objects.filter(name="api-likert").exists()
