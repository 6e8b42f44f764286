"""Single-response (Likert) evaluations: creation, the annotator loop, page and API."""

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import scales, selectors
from annotations.models import Comparison, Evaluation, Rating
from annotations.services import assignments as services
from annotations.services.answering import answer_submit
from annotations.services.evaluations import EvaluationError
from annotations.services.imports import ratings_import
from annotations.services.single_evaluations import (
    single_comparisons_build,
    single_evaluation_create,
)
from evalsite.imports.reader import ImportFileError
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
    UserFactory,
)

from .single_support import SECRET_MODELS, build_single


@pytest.fixture
def prompt_world(db):
    """Four prompts; model one answered all, model two 0 and 1 (2 failed, 3 none)."""
    prompt_set = PromptSetFactory(name="likert-set")
    one, two = ChatModelFactory(name="one"), ChatModelFactory(name="two")
    prompts = [PromptFactory(prompt_set=prompt_set) for _ in range(4)]
    for index, prompt in enumerate(prompts):
        GenerationFactory(prompt=prompt, chat_model=one)
        if index < 2:
            GenerationFactory(prompt=prompt, chat_model=two)
        elif index == 2:
            GenerationFactory(prompt=prompt, chat_model=two, status="failed")
    return prompt_set, one, two, prompts


def test_one_comparison_per_prompt_and_model_with_left_out_reasons(prompt_world):
    prompt_set, one, two, _ = prompt_world
    result = single_evaluation_create(
        name="q", prompt_set=prompt_set, chat_models=[one, two]
    )
    evaluation = result.evaluation
    assert (evaluation.kind, evaluation.scale) == ("single", "likert")
    assert evaluation.candidate is None
    assert evaluation.baseline is None
    assert set(evaluation.chat_models.all()) == {one, two}
    assert result.created == 6
    assert result.left_out == {"two failed": 1, "no generation by two": 1}
    assert evaluation.left_out == result.left_out
    comparisons = Comparison.objects.filter(evaluation=evaluation)
    assert not comparisons.filter(baseline_generation__isnull=False).exists()
    assert Counter(
        comparisons.values_list("candidate_generation__chat_model__name", flat=True)
    ) == {"one": 4, "two": 2}
    # Building again adds nothing: one comparison per (prompt, chat model).
    assert single_comparisons_build(evaluation=evaluation).created == 0
    assert comparisons.count() == 6


def test_create_refuses_no_model_and_a_taken_name(prompt_world):
    prompt_set, one, _, _ = prompt_world
    with pytest.raises(EvaluationError, match="needs a chat model"):
        single_evaluation_create(name="q", prompt_set=prompt_set, chat_models=[])
    single_evaluation_create(name="q", prompt_set=prompt_set, chat_models=[one])
    with pytest.raises(EvaluationError, match="already exists"):
        single_evaluation_create(name="q", prompt_set=prompt_set, chat_models=[one])
    assert Evaluation.objects.count() == 1


def test_command_creates_a_single_response_evaluation(prompt_world, capsys):
    call_command(
        "create_evaluation",
        "q",
        "--prompt-set=likert-set",
        "--kind=single",
        "--model=one",
        "--model=two",
        "--annotators-per-pair=2",
    )
    out = capsys.readouterr().out
    assert "q: 6 comparisons; 2 left out" in out
    assert "left out, two failed: 1" in out
    evaluation = Evaluation.objects.get(name="q")
    assert (evaluation.kind, evaluation.annotators_per_pair) == ("single", 2)
    with pytest.raises(CommandError, match="not a candidate"):
        call_command(
            "create_evaluation",
            "r",
            "--prompt-set=likert-set",
            "--kind=single",
            "--candidate=one",
            "--baseline=two",
        )
    with pytest.raises(CommandError, match="needs a chat model"):
        call_command(
            "create_evaluation", "r", "--prompt-set=likert-set", "--kind=single"
        )


def test_every_response_gets_exactly_n_likert_ratings_from_its_own_side(db):
    evaluation, comparisons, users = build_single(prompts=3, annotators=4)
    for user in users:
        lease = services.assignment_next(evaluation=evaluation, annotator=user)
        while lease is not None:
            assert lease.candidate_on_left is True
            outcome = answer_submit(
                assignment_id=lease.pk, annotator=user, action="rate", choice="5"
            )
            assert outcome.created
            lease = outcome.following
    per_pair = Counter(Rating.objects.values_list("comparison_id", flat=True))
    assert per_pair == {c.pk: 3 for c in comparisons}
    ratings = Rating.objects.all()
    assert {(r.scale, r.choice, r.score, r.candidate_on_left) for r in ratings} == {
        ("likert", 5, 5, True)
    }
    assert set(Comparison.objects.values_list("stage", flat=True)) == {
        Comparison.Stage.COMPLETE
    }


@pytest.mark.parametrize("choice", ["0", "8", "-3", "a:slightly", "", None])
def test_off_scale_likert_answers_are_refused_and_store_nothing(db, choice):
    evaluation, _, (user,) = build_single(prompts=1, annotators=1, models=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    with pytest.raises(services.InvalidAnswer, match="choice"):
        answer_submit(
            assignment_id=lease.pk, annotator=user, action="rate", choice=choice
        )
    assert not Rating.objects.exists()


def test_an_expired_lease_frees_the_response_for_another_annotator(db):
    evaluation, (comparison,), users = build_single(
        prompts=1, annotators=2, per_pair=1, models=1
    )
    now = timezone.now()
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0], now=now)
    assert (
        services.assignment_next(evaluation=evaluation, annotator=users[1], now=now)
        is None
    )
    later = now + timedelta(minutes=31)
    assert services.assignments_expire(now=later) == 1
    other = services.assignment_next(
        evaluation=evaluation, annotator=users[1], now=later
    )
    assert other.comparison_id == comparison.pk
    services.rating_submit(
        assignment_id=other.pk, annotator=users[1], choice=2, now=later
    )
    late = services.rating_submit
    with pytest.raises(services.LeaseLost):
        late(assignment_id=lease.pk, annotator=users[0], choice=6, now=later)
    assert list(Rating.objects.values_list("annotator_id", "score")) == [
        (users[1].pk, 2)
    ]


def test_pair_view_shows_one_response_and_the_likert_question(db):
    evaluation, _, (user,) = build_single(
        prompts=1, annotators=1, models=1, texts=["A **bold** reply."]
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    view = selectors.pair_view(lease)
    assert view.single
    assert view.scale == "likert"
    assert view.response_a == "A **bold** reply."
    assert view.response_b is None
    assert view.response_b_html == ""
    assert "<strong>bold</strong>" in view.response_a_html
    assert view.question == scales.LIKERT_QUESTION
    assert [(key, value) for key, value, _ in view.keys] == [
        (n, n) for n in range(1, 8)
    ]


def test_rating_page_shows_one_response_and_keys_one_to_seven(client, db):
    evaluation, _, (user,) = build_single(prompts=2, annotators=1)
    client.force_login(user)
    response = client.post(f"/evaluations/{evaluation.pk}/next/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-scale="likert"' in html
    assert 'id="response-a"' not in html
    assert 'id="response-b"' not in html
    assert "from 1 (worst) to 7 (best)" in html
    for key in range(1, 8):
        assert f'value="{key}" data-key="{key}"' in html
    assert not any(name in html for name in SECRET_MODELS)
    # The next pair comes as a fragment of the same template.
    pair = selectors.assignment_for_annotator(
        assignment_id=int(html.split('data-assignment="')[1].split('"')[0]),
        annotator=user,
    )
    answered = client.post(
        f"/assignments/{pair.pk}/answer/",
        {"action": "rate", "choice": "6", "seconds": "4"},
        headers={"X-Requested-With": "fetch"},
    )
    assert answered.status_code == 200
    assert 'data-scale="likert"' in answered.json()["html"]
    assert Rating.objects.get(assignment=pair).score == 6


def test_api_pair_payload_says_likert_and_carries_one_response(db):
    evaluation, _, (user,) = build_single(prompts=1, annotators=1, models=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user)}")
    body = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    assert body["scale"] == "likert"
    assert body["response_a"] == "Answer 0 by model 0."
    assert body["response_b"] is None
    assert body["question"] == scales.LIKERT_QUESTION
    assert [label["key"] for label in body["labels"]] == list(range(1, 8))
    assert [label["value"] for label in body["labels"]] == list(range(1, 8))
    assert not any(name in str(body) for name in SECRET_MODELS)
    bad = client.post(
        f"/api/assignments/{body['assignment']}/rating/", {"choice": 9}, format="json"
    )
    assert bad.status_code == 400
    assert "choice" in bad.json()["detail"]
    rated = client.post(
        f"/api/assignments/{body['assignment']}/rating/",
        {"choice": 3, "seconds": 2},
        format="json",
    )
    assert rated.status_code == 201, rated.content
    assert Rating.objects.get().score == 3


def test_a_ratings_file_cannot_add_likert_ratings(db):
    evaluation, comparisons, _ = build_single(prompts=1, annotators=1, models=2)
    line = {
        "prompt_id": comparisons[0].prompt.external_id,
        "model_a": SECRET_MODELS[0],
        "model_b": SECRET_MODELS[1],
        "annotator": "outsider",
        "choice": 5,
    }
    with pytest.raises(ImportFileError) as refused:
        ratings_import(
            prompt_set_name=evaluation.prompt_set.name,
            evaluation_name=evaluation.name,
            scale="likert",
            file_name="r.jsonl",
            data=json.dumps(line).encode(),
        )
    assert "likert" in str(refused.value.errors[0])
    assert not Rating.objects.exists()
    assert Comparison.objects.filter(evaluation=evaluation).count() == 2


def test_the_admin_creates_a_single_response_evaluation_with_its_comparisons(
    prompt_world, client
):
    prompt_set, one, two, _ = prompt_world
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    form = {
        "name": "admin-likert",
        "kind": "single",
        "prompt_set": prompt_set.pk,
        "chat_models": [one.pk, two.pk],
        "scale": "likert",
        "annotators_per_pair": 3,
        "lease_minutes": 30,
        "status": "open",
        "source": "native",
        "guidelines": "",
        "batch": "",
        # The campaign settings' defaults, as the admin's form shows them.
        "gold_rate": 0,
        "repeat_rate": 0,
        "qc_min_answers": 10,
        "edit_window": 5,
    }
    response = client.post("/admin/annotations/evaluation/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    evaluation = Evaluation.objects.get(name="admin-likert")
    assert evaluation.comparisons.count() == 6
    assert not evaluation.comparisons.filter(baseline_generation__isnull=False).exists()
    assert evaluation.left_out == {"two failed": 1, "no generation by two": 1}
    # The database's rule: the Likert scale is single-response only.
    wrong = client.post(
        "/admin/annotations/evaluation/add/",
        {**form, "name": "wrong", "scale": "seven"},
    )
    assert wrong.status_code == 200
    assert not Evaluation.objects.filter(name="wrong").exists()


def test_a_likert_api_click_costs_what_a_pairwise_one_does(
    require_postgres, django_assert_max_num_queries
):
    evaluation, _, users = build_single(prompts=4, annotators=3)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users[0])}"
    )
    helper = APIClient()
    helper.force_authenticate(users[1])
    pair = helper.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    helper.post(
        f"/api/assignments/{pair['assignment']}/rating/", {"choice": 4}, format="json"
    )
    first = client.post(f"/api/evaluations/{evaluation.pk}/next/").json()
    with django_assert_max_num_queries(10):  # test_click_queries.API_CLICK
        response = client.post(
            f"/api/assignments/{first['assignment']}/rating/",
            {"choice": 6, "seconds": 2},
            format="json",
        )
    assert response.status_code == 201, response.content
    following = response.json()["next"]
    assert following["scale"] == "likert"
    assert following["response_b"] is None
