"""python manage.py import_prompts FILE --prompt-set NAME"""

from evalsite.imports.commands import ImportCommand
from generations.services.imports import prompts_import


class Command(ImportCommand):
    help = "Import prompts (JSONL or CSV) into a prompt set, creating it when missing."

    def run_import(self, path, *, data, file_name, progress, **options):
        return prompts_import(
            prompt_set_name=options["prompt_set"],
            file_name=file_name,
            data=data,
            progress=progress,
        )
