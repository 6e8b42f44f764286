"""add_chat_model and generate, as a researcher runs them."""

import pytest
from django.core.management import CommandError, call_command

from generations import presets
from generations.models import ChatModel, Generation, GenerationJob
from tests.factories import PromptFactory, PromptSetFactory

from .conftest import stub_chat_model

pytestmark = pytest.mark.django_db


def test_add_chat_model_with_presets(capsys):
    call_command(
        "add_chat_model",
        "Llama 2-Chat 70B (2000)",
        "--base-url=http://gpu1:8000/v1",
        "--model-id=meta-llama/Llama-2-70b-chat-hf",
        "--system-prompt-preset=llama2",
        "--limits=closed",
        "--temperature=0.7",
        "--top-p=0.9",
    )
    chat_model = ChatModel.objects.get(name="Llama 2-Chat 70B (2000)")
    assert chat_model.system_prompt == presets.LLAMA2_SYSTEM_PROMPT
    assert (chat_model.context_limit, chat_model.generation_limit) == (2000, 2000)
    assert (chat_model.temperature, chat_model.top_p) == (0.7, 0.9)
    assert chat_model.tokenizer == "backend"
    assert "context 2000" in capsys.readouterr().out


def test_add_chat_model_custom_text_and_limits():
    call_command(
        "add_chat_model",
        "gpt",
        "--base-url=https://api.openai.com/v1",
        "--model-id=gpt-4o-mini",
        "--api-key-env=OPENAI_API_KEY",
        "--system-prompt=Be terse.",
        "--context-limit=1500",
        "--tokenizer=tiktoken:cl100k_base",
    )
    chat_model = ChatModel.objects.get(name="gpt")
    assert (chat_model.system_prompt_preset, chat_model.system_prompt) == (
        "custom",
        "Be terse.",
    )
    assert (chat_model.limits, chat_model.context_limit) == ("custom", 1500)
    assert chat_model.api_key_env == "OPENAI_API_KEY"


@pytest.mark.parametrize(
    ("refused", "advised"),
    [
        (
            ["--limits=closed", "--generation-limit=50"],
            ["--limits=custom", "--context-limit=2000", "--generation-limit=50"],
        ),
        (
            ["--system-prompt-preset=llama2", "--system-prompt=Be terse."],
            ["--system-prompt-preset=custom", "--system-prompt=Be terse."],
        ),
    ],
)
def test_add_chat_model_takes_the_custom_its_errors_advise(refused, advised):
    """A limit or text beside a named preset was refused with "choose 'custom'", and
    --limits custom (--system-prompt-preset custom) was an argparse error."""
    base = ["m", "--base-url=http://h/v1", "--model-id=x"]
    with pytest.raises(CommandError, match="choose 'custom'"):
        call_command("add_chat_model", *base, *refused)
    call_command("add_chat_model", *base, *advised)
    chat_model = ChatModel.objects.get(name="m")
    assert "custom" in (chat_model.limits, chat_model.system_prompt_preset)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tokenizer=/no/such/tokenizer.json"], "tokenizer"),
        (["--top-p=1.5"], "top_p"),
        (["--base-url=not a url"], "base_url"),
    ],
)
def test_add_chat_model_rejects_bad_settings_naming_the_field(args, message):
    base = ["m", "--base-url=http://h/v1", "--model-id=x"]
    with pytest.raises(CommandError, match=message):
        call_command("add_chat_model", *base, *args)
    assert not ChatModel.objects.exists()


@pytest.mark.django_db(transaction=True)  # the job is enqueued on a real commit
def test_generate_wait_prints_counts_and_fails_on_failures(
    stub_server, eager_celery, capsys
):
    prompt_set = PromptSetFactory(name="small")
    PromptFactory(prompt_set=prompt_set, turns=[{"role": "user", "content": "Hi"}])
    PromptFactory(
        prompt_set=prompt_set, turns=[{"role": "user", "content": "BAD-REQUEST"}]
    )
    stub_chat_model(stub_server, name="a")
    stub_chat_model(stub_server, name="b")
    with pytest.raises(CommandError, match="2 generations failed"):
        call_command(
            "generate",
            "--prompt-set=small",
            "--model",
            "a",
            "b",
            "--wait",
            "--poll=0.01",
        )
    out = capsys.readouterr()
    assert "done 2" in out.out
    assert "failed 2" in out.out
    assert "unsupported input" in out.err
    assert GenerationJob.objects.get().status == "finished"
    assert Generation.objects.filter(status="done").count() == 2


@pytest.mark.django_db(transaction=True)
def test_generate_without_failures_exits_cleanly(stub_server, eager_celery, capsys):
    prompt_set = PromptSetFactory(name="ok")
    PromptFactory(prompt_set=prompt_set)
    stub_chat_model(stub_server, name="a")
    call_command("generate", "--prompt-set=ok", "--model=a", "--wait", "--poll=0.01")
    assert "finished: pending 0, running 0, done 1" in capsys.readouterr().out


def test_generate_names_unknown_models():
    PromptSetFactory(name="ok")
    with pytest.raises(CommandError, match="unknown chat model: nope"):
        call_command("generate", "--prompt-set=ok", "--model=nope")
