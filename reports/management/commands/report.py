"""python manage.py report NAME --format json|csv: write an evaluation's report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.models import Evaluation
from reports import exports
from reports.assemble import ReportOptions
from reports.building import default_aggregation, evaluation_report


class Command(BaseCommand):
    help = "Write the report of an evaluation as JSON (with metadata) or CSV tables."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the evaluation's name")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--aggregation",
            choices=["majority", "median", "mean", "rating"],
            help="majority by default; rating (every vote) for tournaments",
        )
        parser.add_argument("--threshold", type=int, choices=[1, 2], default=1)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--resamples", type=int, default=1000)
        parser.add_argument("--interval", choices=["bootstrap", "wilson"],
                            default="bootstrap")  # fmt: skip
        parser.add_argument("--output", help="file to write; standard output if absent")

    def handle(self, *args, **options):
        try:
            evaluation = Evaluation.objects.get(name=options["name"])
        except Evaluation.DoesNotExist:
            raise CommandError(f"no evaluation named {options['name']!r}") from None
        try:
            report_options = ReportOptions(
                aggregation=options["aggregation"] or default_aggregation(evaluation),
                threshold=options["threshold"],
                seed=options["seed"],
                resamples=options["resamples"],
                interval=options["interval"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        report = evaluation_report(evaluation, report_options)
        content = (
            exports.report_json(report)
            if options["format"] == "json"
            else exports.report_csv(report)
        )
        if options["output"]:
            Path(options["output"]).write_bytes(content)
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(content.decode(), ending="")
