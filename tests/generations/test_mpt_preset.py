"""The MPT preset's system prompt is sent without ChatML's markers: the server's
chat template writes them (they came twice, inside Llama's <<SYS>> block)."""

import importlib

import pytest
from django.apps import apps

from generations import presets
from generations.models import ChatModel

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module(
    "generations.migrations.0015_mpt_system_prompt_without_markers"
)


def test_the_mpt_preset_is_its_text_alone():
    for text in presets.SYSTEM_PROMPTS.values():
        assert "<|im_start|>" not in text
        assert "<|im_end|>" not in text
    assert presets.MPT_SYSTEM_PROMPT.startswith("A conversation between a user")


def test_a_model_holding_the_former_text_takes_the_new_one():
    former = presets.FORMER_SYSTEM_PROMPTS["mpt"]
    model = ChatModel(
        name="mpt", base_url="http://h:1/v1", model_id="mpt",
        system_prompt_preset="mpt", system_prompt=former,
    )  # fmt: skip
    model.full_clean()  # the admin's and the API's check: a preset's own text
    assert model.system_prompt == presets.MPT_SYSTEM_PROMPT

    stored = ChatModel.objects.create(
        name="stored", base_url="http://h:1/v1", model_id="mpt",
        system_prompt_preset="mpt", system_prompt=former,
    )  # fmt: skip
    custom = ChatModel.objects.create(
        name="custom", base_url="http://h:1/v1", model_id="mpt",
        system_prompt_preset="custom", system_prompt=former,
    )  # fmt: skip
    MIGRATION.forwards(apps, None)
    stored.refresh_from_db()
    custom.refresh_from_db()
    assert stored.system_prompt == presets.MPT_SYSTEM_PROMPT
    assert custom.system_prompt == former  # a text of one's own is left alone
    MIGRATION.backwards(apps, None)
    stored.refresh_from_db()
    assert stored.system_prompt == former
