"""A chat model's read timeout bounded by a task's time limit (validator); a
"custom" system prompt needs its text, so the models stored as "custom" with none
(which sent none) are "none", as the admin now saves them."""

from django.db import migrations, models

import generations.models


def custom_without_text_is_none(apps, schema_editor):
    ChatModel = apps.get_model("generations", "ChatModel")
    ChatModel.objects.filter(system_prompt_preset="custom", system_prompt="").update(
        system_prompt_preset="none"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0016_form_bounds_from_validators"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chatmodel",
            name="request_timeout",
            field=models.FloatField(
                default=120.0,
                help_text="Read timeout, seconds; at most a worker's time limit for "
                "one request (EVALSITE_GENERATION_SOFT_TIME_LIMIT, 900 by default).",
                validators=[generations.models.validate_request_timeout],
            ),
        ),
        migrations.RunPython(custom_without_text_is_none, migrations.RunPython.noop),
    ]
