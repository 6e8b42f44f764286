"""The chat-model API as a client scripting it from the schema meets it: the list
refuses a filter it does not have, and a model is refused a custom system prompt
without its text or a read timeout no worker can honour (in the admin too)."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from generations import presets
from generations.models import ChatModel

from .test_admin_prompts import _chat_model_form

pytestmark = pytest.mark.django_db

BODY = {"name": "m", "base_url": "http://127.0.0.1:9/v1", "model_id": "m"}


@pytest.fixture
def api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_the_list_refuses_a_filter_it_does_not_have(api):
    """``?name=GPT`` answered every chat model (a new-user pass)."""
    for name in ("GPT-4", "Llama"):
        ChatModel.objects.create(name=name, base_url="http://h:1/v1", model_id="m")
    refused = api.get("/api/chat-models/", {"name": "GPT"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "name: unknown parameter; use page, format"
    # Pagination and DRF's format still work.
    listed = api.get("/api/chat-models/", {"page": 1, "format": "json"})
    assert listed.status_code == 200, listed.content
    assert [row["name"] for row in listed.json()["results"]] == ["GPT-4", "Llama"]
    # A format there is not is named, as the 400 above lists it (not DRF's 404).
    unknown = api.get("/api/chat-models/", {"format": "csv"})
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "format: no format 'csv'; use json, api"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"system_prompt_preset": "custom"}, "system_prompt"),
        ({"system_prompt_preset": "custom", "system_prompt": " \n"}, "system_prompt"),
        ({"request_timeout": 1e308}, "request_timeout"),
        # float(True) is 1.0: a JSON true was stored as a temperature of 1.
        ({"temperature": True}, "temperature"),
        (
            {"request_timeout": settings.EVALSITE_GENERATION_SOFT_TIME_LIMIT + 1},
            "request_timeout",
        ),
    ],
)
def test_the_api_refuses_what_no_request_could_honour(api, fields, field):
    response = api.post("/api/chat-models/", {**BODY, **fields}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not ChatModel.objects.exists()


def test_the_api_takes_a_custom_text_and_the_longest_timeout(api):
    limit = settings.EVALSITE_GENERATION_SOFT_TIME_LIMIT
    body = {**BODY, "system_prompt_preset": "custom", "system_prompt": "Be brief."}
    response = api.post(
        "/api/chat-models/", {**body, "request_timeout": limit}, format="json"
    )
    assert response.status_code == 201, response.content
    model = ChatModel.objects.get()
    assert (model.system_prompt_preset, model.system_prompt) == ("custom", "Be brief.")
    assert model.request_timeout == limit


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"system_prompt_preset": "custom"}, "&#x27;Custom text&#x27; sends this"),
        ({"request_timeout": "1e308"}, "Above 0 and at most"),
    ],
)
def test_the_admin_refuses_them_too(admin_user, fields, message):
    admin = Client()
    admin.force_login(admin_user)
    form = _chat_model_form(**fields)
    response = admin.post("/admin/generations/chatmodel/add/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ChatModel.objects.exists()


def test_a_value_that_contradicts_a_preset_named_is_refused_naming_it(api):
    """``llama2`` with another text came back 201 as "custom" (a second new-user
    pass): the preset asked for was silently replaced. A text beside the default
    (no preset) is still the custom text it says; a preset's own text is fine."""
    contradicts = api.post(
        "/api/chat-models/",
        {**BODY, "system_prompt_preset": "llama2", "system_prompt": "hello"},
        format="json",
    )
    assert contradicts.status_code == 400
    assert (
        "Differs from the 'llama2' preset's text"
        in (contradicts.json()["system_prompt"][0])
    )
    limits = api.post(
        "/api/chat-models/",
        {**BODY, "limits": "closed", "context_limit": 3000},
        format="json",
    )
    assert limits.status_code == 400
    assert "Differs from the 'closed' limits" in limits.json()["context_limit"][0]
    assert not ChatModel.objects.exists()

    custom = api.post("/api/chat-models/", {**BODY, "system_prompt": "hello"})
    assert custom.status_code == 201, custom.content
    assert custom.json()["system_prompt_preset"] == "custom"
    other_preset = api.post(
        "/api/chat-models/",
        {**BODY, "name": "m2", "system_prompt_preset": "llama2",
         "system_prompt": presets.SYSTEM_PROMPTS["vicuna"]},
        format="json",
    )  # fmt: skip
    assert other_preset.status_code == 201, other_preset.content
    assert other_preset.json()["system_prompt_preset"] == "llama2"
    assert other_preset.json()["system_prompt"] == presets.SYSTEM_PROMPTS["llama2"]


def test_the_limit_that_differs_from_the_preset_is_the_one_named(api):
    """Only the generation limit differed and the context limit was named (a
    browser pass), in the API and in the admin's check alike."""
    response = api.post(
        "/api/chat-models/",
        {**BODY, "limits": "closed", "context_limit": 2000, "generation_limit": 500},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"generation_limit"}
    model = ChatModel(**BODY, limits="open", context_limit=1000, generation_limit=1500)
    with pytest.raises(ValidationError) as refused:
        model.full_clean()
    assert set(refused.value.message_dict) == {"generation_limit"}
