from django.db import migrations, models


def count_existing_words(apps, schema_editor):
    """Store the word count of every response written before the column existed."""
    Generation = apps.get_model("generations", "Generation")
    batch = []
    for generation in Generation.objects.only("pk", "text").iterator(chunk_size=2000):
        generation.word_count = len(generation.text.split())
        batch.append(generation)
        if len(batch) == 2000:
            Generation.objects.bulk_update(batch, ["word_count"])
            batch = []
    Generation.objects.bulk_update(batch, ["word_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0002_chat_model_base_url_internal_hosts"),
    ]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="word_count",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Words of the text, stored whenever the text is written.",
            ),
        ),
        migrations.RunPython(count_existing_words, migrations.RunPython.noop),
    ]
