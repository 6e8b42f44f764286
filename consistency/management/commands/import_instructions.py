"""``manage.py import_instructions FILE --evaluation NAME [--chat-models A,B]``."""

from evalsite.imports.commands import ImportCommand

from ...forms import names
from ...services.imports import instructions_import


class Command(ImportCommand):
    help = (
        "Import system instructions with their probe turns (JSONL or CSV) into a "
        "consistency evaluation, created on its first upload."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSONL or CSV file")
        parser.add_argument("--evaluation", required=True, help="the evaluation's name")
        parser.add_argument(
            "--chat-models",
            default="",
            help="chat model names, comma-separated (quote one holding a comma)",
        )
        parser.add_argument(
            "--annotators", default="", help="usernames of the pool, comma-separated"
        )
        parser.add_argument("--annotators-per-reply", type=int, default=None)
        parser.add_argument(
            "--progress-bar", choices=["auto", "always", "never"], default="never"
        )

    def run_import(self, path, *, data, file_name, progress, **options):
        return instructions_import(
            evaluation_name=options["evaluation"],
            file_name=file_name,
            data=data.read(),
            chat_model_names=names(options["chat_models"]),
            annotator_names=names(options["annotators"]),
            annotators_per_reply=options["annotators_per_reply"],
        )
