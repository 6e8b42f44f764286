"""Creating an evaluation through the API with its annotator pool, and the scales
that endpoint offers. A new-user pass made an evaluation no one could ever rate
(``pool`` was an unknown field), and was offered the Likert scale, always refused."""

import pytest
from rest_framework.test import APIClient

from annotations import roles
from annotations.models import Evaluation
from tests.conftest import make_user
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    """An admin's client, with a prompt set "s" of two prompts answered by "cand"
    and "base"."""
    prompt_set = PromptSetFactory(name="s")
    cand, base = ChatModelFactory(name="cand"), ChatModelFactory(name="base")
    for _ in range(2):
        prompt = PromptFactory(prompt_set=prompt_set)
        GenerationFactory(prompt=prompt, chat_model=cand)
        GenerationFactory(prompt=prompt, chat_model=base)
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def _create(client: APIClient, **extra):
    body = {"name": "pooled", "prompt_set": "s", "candidate": "cand"}
    return client.post(
        "/api/evaluations/", {**body, "baseline": "base", **extra}, format="json"
    )


def test_the_pool_given_at_creation_can_rate_at_once(admin_api):
    ann = [make_user(f"ann-{i}", roles.ANNOTATOR) for i in range(2)]
    response = _create(admin_api, pool=["ann-0", "ann-1", "ann-0"])
    assert response.status_code == 201, response.content
    evaluation = Evaluation.objects.get(pk=response.json()["id"])
    assert set(evaluation.pool.all()) == set(ann)
    client = APIClient()
    client.force_authenticate(ann[1])
    assert client.post(f"/api/evaluations/{evaluation.pk}/next/").status_code == 200


@pytest.mark.parametrize(
    "pool",
    [["ann-0", "ghost"], ["boss"]],
    ids=["unknown username", "not an annotator"],
)
def test_a_name_that_is_no_annotator_is_a_400_naming_pool_and_it(admin_api, pool):
    make_user("ann-0", roles.ANNOTATOR)
    make_user("boss", roles.ADMIN)
    response = _create(admin_api, pool=pool)
    assert response.status_code == 400
    (message,) = response.json()["pool"]
    assert repr(pool[-1]) in message
    assert not Evaluation.objects.exists()


def test_without_a_pool_the_evaluation_is_created_as_before(admin_api):
    response = _create(admin_api)
    assert response.status_code == 201, response.content
    assert Evaluation.objects.get().pool.count() == 0


def test_the_scales_offered_are_those_a_pairwise_evaluation_takes(
    admin_api, client, researcher
):
    client.force_login(researcher)
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]
    scale = schema["schemas"]["EvaluationCreateRequest"]["properties"]["scale"]
    (ref,) = [part["$ref"] for part in scale["allOf"]]
    offered = schema["schemas"][ref.rsplit("/", 1)[1]]["enum"]
    assert offered == ["seven", "three", "preference"]
    # Each one offered is taken; the Likert scale is refused, saying where to go.
    for index, name in enumerate(offered):
        response = _create(admin_api, name=f"e{index}", scale=name)
        assert response.status_code == 201, (name, response.content)
    refused = _create(admin_api, name="likert", scale="likert")
    assert refused.status_code == 400
    assert "single-response" in refused.json()["scale"][0]
    # The scale of the pairs a client is served still lists every scale.
    assert "likert" in schema["schemas"]["ScaleEnum"]["enum"]


@pytest.mark.parametrize(
    "pool",
    ["ann-0", ["a\x00b"], ["x" * 151], [3], {"ann-0": 1}],
    ids=["text", "nul", "long", "number", "object"],
)
def test_a_pool_that_is_no_list_of_usernames_is_a_400_naming_pool(admin_api, pool):
    make_user("ann-0", roles.ANNOTATOR)
    response = _create(admin_api, pool=pool)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["pool"]
    assert not Evaluation.objects.exists()


def test_pairs_per_prompt_on_a_head_to_head_is_refused_naming_it(admin_api):
    """Accepted and passed over (201 with one pair a prompt: a second API pass), it
    read as if it had been applied."""
    response = _create(admin_api, pairs_per_prompt=2)
    assert response.status_code == 400, response.content
    assert "pairs_per_prompt" in response.json()
    assert not Evaluation.objects.exists()
