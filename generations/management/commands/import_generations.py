"""python manage.py import_generations FILE --prompt-set NAME"""

from evalsite.imports.commands import ImportCommand
from generations.services.imports import generations_import


class Command(ImportCommand):
    help = "Import responses made elsewhere (JSONL or CSV) for a prompt set's prompts."

    def run_import(self, path, *, data, file_name, progress, **options):
        return generations_import(
            prompt_set_name=options["prompt_set"],
            file_name=file_name,
            data=data,
            progress=progress,
        )
