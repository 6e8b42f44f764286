"""python manage.py import_ratings FILE --prompt-set NAME --evaluation NAME --scale S"""

from annotations.services.imports import ratings_import
from evalsite.imports.commands import ImportCommand


class Command(ImportCommand):
    help = "Import pairwise ratings made elsewhere (JSONL or CSV) into an evaluation."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--evaluation", required=True)
        parser.add_argument(
            "--scale", required=True, choices=["seven", "three", "preference"]
        )
        parser.add_argument(
            "--candidate", help="head-to-head: the candidate's name (default: model_a)"
        )

    def run_import(self, path, *, data, file_name, progress, **options):
        return ratings_import(
            prompt_set_name=options["prompt_set"],
            evaluation_name=options["evaluation"],
            scale=options["scale"],
            candidate_name=options.get("candidate"),
            file_name=file_name,
            data=data,
            progress=progress,
        )
