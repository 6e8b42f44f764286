"""python manage.py import_ratings FILE --prompt-set NAME --evaluation NAME --scale S
[--judge NAME]"""

from django.core.management.base import CommandError

from annotations.services.imports import IMPORTED_SCALES, ratings_import
from annotations.services.verdict_files import judge_verdicts_import
from evalsite.imports.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Import pairwise ratings made elsewhere (JSONL or CSV) into an evaluation; "
        "with --judge, a judge's verdicts on the evaluation's pairs instead."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--evaluation", required=True)
        parser.add_argument(
            "--scale", required=True, choices=[value for value, _ in IMPORTED_SCALES]
        )
        parser.add_argument(
            "--candidate", help="head-to-head: the candidate's name (default: model_a)"
        )
        parser.add_argument(
            "--judge",
            metavar="NAME",
            help="the verdicts of this judge (created without a chat model when "
            "missing), stored as judgements, never as ratings; the evaluation must "
            "exist and the annotator column is not read",
        )

    def run_import(self, path, *, data, file_name, progress, **options):
        target = {
            "prompt_set_name": options["prompt_set"],
            "evaluation_name": options["evaluation"],
            "scale": options["scale"],
            "file_name": file_name,
            "data": data,
            "progress": progress,
        }
        if options.get("judge") is not None:
            if options.get("candidate"):
                raise CommandError("--candidate does not apply to a judge's verdicts")
            return judge_verdicts_import(judge_name=options["judge"], **target)
        return ratings_import(candidate_name=options.get("candidate"), **target)
