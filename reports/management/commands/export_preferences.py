"""python manage.py export_preferences EVALUATION... --output PATH: preference data
for reward-model training, as JSON Lines or a Hugging Face dataset folder."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.preference_export import (
    export_check,
    export_preferences,
    preference_evaluations,
)
from reports.preference_options import (
    EXPORT_OPTIONS,
    add_export_arguments,
    export_options_from,
)


class Command(BaseCommand):
    help = (
        "Write the preference ratings of evaluations (by name or id) in TRL's "
        "conversational preference format with Table 27's margins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "evaluations", nargs="+", metavar="EVALUATION", help="name or id"
        )
        parser.add_argument(
            "--output",
            required=True,
            help="the JSONL file, or the folder of a Hugging Face dataset (--format "
            'hf); "about the same" rows go beside it (NAME.about_same.jsonl, '
            "FOLDER-about-same)",
        )
        add_export_arguments(parser)

    def handle(self, *args, **options):
        try:
            evaluations = preference_evaluations(options["evaluations"])
            export = export_options_from(
                {option.name: options[option.name] for option in EXPORT_OPTIONS}
            )
            export_check(evaluations, export)
        except ValueError as error:
            raise CommandError(str(error)) from None
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"output: no folder {str(output.parent)!r}")
        result = export_preferences(evaluations, export, output)
        self.stderr.write(f"wrote {result.rows:,} rows to {output}")
        if result.about_same_rows is not None:
            self.stderr.write(
                f'wrote {result.about_same_rows:,} "about the same" rows to '
                f"{result.paths[1]}"
            )
