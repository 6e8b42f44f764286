"""The MPT preset's system prompt without ChatML's markers (presets.py says why):
chat models that hold the former text take the new one."""

from django.db import migrations

FORMER = (
    "<|im_start|> system\nA conversation between a user and an LLM-based AI "
    "assistant. The assistant gives helpful and honest answers. <|im_end|>"
)
NEW = (
    "A conversation between a user and an LLM-based AI assistant. "
    "The assistant gives helpful and honest answers."
)


def forwards(apps, schema_editor):
    ChatModel = apps.get_model("generations", "ChatModel")
    ChatModel.objects.filter(system_prompt_preset="mpt", system_prompt=FORMER).update(
        system_prompt=NEW
    )


def backwards(apps, schema_editor):
    ChatModel = apps.get_model("generations", "ChatModel")
    ChatModel.objects.filter(system_prompt_preset="mpt", system_prompt=NEW).update(
        system_prompt=FORMER
    )


class Migration(migrations.Migration):
    dependencies = [("generations", "0014_chat_model_fields_named")]
    operations = [migrations.RunPython(forwards, backwards)]
