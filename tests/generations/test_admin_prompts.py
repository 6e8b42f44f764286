"""The Django admin of generations: prompts checked as uploads are, chat models'
tokenizers, jobs started by the job pages."""

import pytest
from django.core.validators import MaxValueValidator, MinValueValidator
from django.test import Client

from generations.models import ChatModel, GenerationJob, Prompt
from tests.factories import PromptSetFactory

pytestmark = pytest.mark.django_db

BAD_TURNS = [
    ('"hello"', "turns: expected a non-empty list of turns"),
    ('[{"role": "user"}]', "turns[0].content: expected non-empty text"),
    ('[{"role": "user", "content": ""}]', "turns[0].content: expected non-empty text"),
    ('[{"role": "wizard", "content": "hi"}]', "turns[0].role: unknown role &#x27;wizard&#x27;"),
    ('[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]',
     "turns: user and assistant turns must alternate"),
    ('[{"role": "assistant", "content": "a"}]', "turns: the last turn must be a user turn"),
]  # fmt: skip


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _form(prompt_set, turns: str, **extra) -> dict:
    return {"prompt_set": prompt_set.pk, "external_id": "p1", "turns": turns,
            "categories": '["dialogue"]', "collection_method": "", "metadata": "{}",
            **extra}  # fmt: skip


@pytest.mark.parametrize(("turns", "message"), BAD_TURNS)
def test_the_prompt_form_refuses_turns_an_upload_refuses(admin, turns, message):
    """A new-user pass saved each of these; a job then retried a TypeError for
    minutes, blaming the model's server."""
    prompt_set = PromptSetFactory()
    response = admin.post("/admin/generations/prompt/add/", _form(prompt_set, turns))
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert not Prompt.objects.exists()


def test_the_prompt_form_counts_turns_and_words_itself(admin):
    prompt_set = PromptSetFactory()
    turns = ('[{"role": "system", "content": "Be brief."}, {"role": "user", "content": '
             '"Name a book."}, {"role": "assistant", "content": "Emma."}, '
             '{"role": "user", "content": "Why?"}]')  # fmt: skip
    response = admin.post(
        "/admin/generations/prompt/add/",
        _form(
            prompt_set,
            turns,
            categories='["dialogue", "recommendations"]',
            num_turns="7",
            word_count="99",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    prompt = Prompt.objects.get()
    assert (prompt.num_turns, prompt.word_count) == (2, 7)


def test_the_chat_model_form_checks_the_tokenizer(admin):
    response = admin.post(
        "/admin/generations/chatmodel/add/",
        {"name": "m", "backend": "openai", "base_url": "http://127.0.0.1:9/v1",
         "model_id": "m", "system_prompt_preset": "none", "limits": "open",
         "context_limit": "1000", "generation_limit": "1000", "temperature": "0",
         "top_p": "1", "decoding": "{}", "max_concurrency": "8",
         "request_timeout": "120", "metadata": "{}",
         "tokenizer": "/nonexistent/tok.json"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "not &quot;backend&quot;, &quot;tiktoken:ENCODING&quot; or a file" in (
        response.content.decode()
    )
    assert not ChatModel.objects.exists()


def _chat_model_form(**extra) -> dict:
    return {"name": "m", "backend": "openai", "base_url": "http://127.0.0.1:9/v1",
            "model_id": "m", "system_prompt_preset": "none", "system_prompt": "",
            "limits": "open", "context_limit": "1000", "generation_limit": "1000",
            "temperature": "0", "top_p": "1", "decoding": "{}",
            "max_concurrency": "8", "request_timeout": "120", "metadata": "{}",
            "tokenizer": "backend", **extra}  # fmt: skip


def test_switching_presets_in_the_admin_takes_the_new_presets_values(admin):
    """'No system prompt' saved over the Llama 2 text kept sending it; a switch
    between presets was refused as 'differs from the preset'."""
    from generations import presets

    add = "/admin/generations/chatmodel/add/"
    form = _chat_model_form(system_prompt_preset="mpt", limits="closed")
    assert admin.post(add, form).status_code == 302
    model = ChatModel.objects.get()
    assert model.system_prompt == presets.MPT_SYSTEM_PROMPT
    change = f"/admin/generations/chatmodel/{model.pk}/change/"
    # As a browser posts a text box: its lines ended by CRLF (every model with a
    # multi-line preset was refused as "differs from the preset" on any save).
    crlf = model.system_prompt.replace("\n", "\r\n")
    stored = {**form, "system_prompt": crlf, "context_limit": "2000",
              "generation_limit": "2000"}  # fmt: skip
    assert admin.post(change, {**stored, "max_concurrency": "4"}).status_code == 302
    assert ChatModel.objects.get().system_prompt == presets.MPT_SYSTEM_PROMPT
    switched = {**stored, "system_prompt_preset": "llama2", "limits": "open"}
    assert admin.post(change, switched).status_code == 302
    model.refresh_from_db()
    assert model.system_prompt == presets.LLAMA2_SYSTEM_PROMPT
    assert (model.context_limit, model.generation_limit) == (1000, 1000)
    none = {**switched, "system_prompt": model.system_prompt.replace("\n", "\r\n"),
            "context_limit": "1000",
            "generation_limit": "1000", "system_prompt_preset": "none"}  # fmt: skip
    assert admin.post(change, none).status_code == 302
    model.refresh_from_db()
    assert (model.system_prompt_preset, model.system_prompt) == ("none", "")
    # A text of one's own under "No system prompt" is refused, saying what to do.
    own = admin.post(change, {**none, "system_prompt": "You are a pirate."})
    assert own.status_code == 200
    assert "sends none: clear this text, or choose" in own.content.decode()
    assert ChatModel.objects.get().system_prompt == ""


def test_an_openai_compatible_model_needs_a_model_id(admin):
    """Saved with none, every request sent "model": ""."""
    response = admin.post(
        "/admin/generations/chatmodel/add/", _chat_model_form(model_id=" ")
    )
    assert response.status_code == 200
    assert "needs the server&#x27;s model id" in response.content.decode()
    assert not ChatModel.objects.exists()


def test_adding_a_job_in_the_admin_leads_to_the_job_page(admin):
    """Its form saved a "running" job with no generations and no tasks."""
    response = admin.get("/admin/generations/generationjob/add/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/generations/jobs/new/",
    )
    assert admin.post("/admin/generations/generationjob/add/", {}).status_code == 302
    assert not GenerationJob.objects.exists()


def test_the_temperature_input_says_the_bounds_its_validators_check(admin, monkeypatch):
    """Read from the model field, not restated in the admin."""
    field = ChatModel._meta.get_field("temperature")
    monkeypatch.setattr(
        field, "validators", [MinValueValidator(0.5), MaxValueValidator(1.5)]
    )
    html = admin.get("/admin/generations/chatmodel/add/").content.decode()
    tag = html.split('name="temperature"')[1].split(">")[0]
    assert 'min="0.5"' in tag
    assert 'max="1.5"' in tag


def test_the_chat_model_form_s_number_inputs_say_their_bounds(admin, settings):
    """A new-admin pass: the request timeout, temperature and top_p inputs had no
    min or max, so the browser let -5 seconds through to the server's refusal."""
    settings.EVALSITE_GENERATION_SOFT_TIME_LIMIT = 600
    html = admin.get("/admin/generations/chatmodel/add/").content.decode()
    for name, low, high in [
        ("request_timeout", 0, 600), ("temperature", 0, 2), ("top_p", 0, 1)
    ]:  # fmt: skip
        tag = html.split(f'name="{name}"')[1].split(">")[0]
        assert f'min="{low}"' in tag
        assert f'max="{high}"' in tag
    refused = admin.post(
        "/admin/generations/chatmodel/add/", _chat_model_form(request_timeout="601")
    )
    assert "at most 600 seconds" in refused.content.decode()
    assert not ChatModel.objects.exists()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ('{"x": 1e999}', "metadata.x: Infinity is not a JSON value"),
        ('{"x": [NaN]}', "metadata.x[0]: NaN is not a JSON value"),
        ('{"x": "a\\u0000b"}', "metadata.x: contains a NUL character"),
        ("[" * 3000 + "]" * 3000, "metadata: nested more than 20 levels deep"),
    ],
)
def test_a_json_field_no_column_can_hold_is_refused_not_a_500(admin, metadata, message):
    """A new-admin pass: a chat model's metadata of Infinity, NaN, a NUL character
    or a deep nesting was a 500 (PostgreSQL's jsonb refuses them; Python's json
    recursed too deep); the admin's JSON fields now refuse them, naming the path."""
    response = admin.post(
        "/admin/generations/chatmodel/add/", _chat_model_form(metadata=metadata)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ChatModel.objects.exists()
    prompt_set = admin.post(
        "/admin/generations/promptset/add/",
        {
            "name": "s",
            "description": "",
            "categories": metadata.replace("metadata", ""),
        },
    )
    assert prompt_set.status_code == 200
    assert "categories" in prompt_set.content.decode()
