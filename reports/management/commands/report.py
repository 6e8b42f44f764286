"""python manage.py report NAME --format json|csv: write an evaluation's report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.models import Evaluation
from evalsite.command_arguments import output_file
from reports import downloads
from reports.annotator_filters import UnknownAnnotator
from reports.evaluation_reports import evaluation_report, report_options_for
from reports.likert_report import likert_csv, likert_json, likert_report
from reports.report_options import OPTIONS, add_arguments


class Command(BaseCommand):
    help = "Write the report of an evaluation as JSON (with metadata) or CSV tables."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the evaluation's name")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        add_arguments(parser)
        parser.add_argument(
            "--output",
            type=output_file,
            help="file to write; standard output if absent",
        )

    def handle(self, *args, **options):
        try:
            evaluation = Evaluation.objects.get(name=options["name"])
        except Evaluation.DoesNotExist:
            raise CommandError(f"no evaluation named {options['name']!r}") from None
        chosen = {option.name: options[option.name] for option in OPTIONS}
        if evaluation.kind == Evaluation.Kind.SINGLE:
            return self._write(self._likert(evaluation, chosen, options), options)
        try:
            report_options = report_options_for(evaluation, chosen)
        except ValueError as error:
            raise CommandError(str(error)) from None
        try:
            report = evaluation_report(evaluation, report_options)
        except UnknownAnnotator as error:
            raise CommandError(str(error)) from None
        content = (
            downloads.report_json(report)
            if options["format"] == "json"
            else downloads.report_csv(report)
        )
        self._write(content, options)

    def _likert(self, evaluation, chosen, options) -> bytes:
        """A single-response evaluation's report is its Likert report."""
        try:
            report = likert_report(evaluation, chosen)
        except ValueError as error:
            raise CommandError(str(error)) from None
        return (
            likert_json(report) if options["format"] == "json" else likert_csv(report)
        )

    def _write(self, content: bytes, options) -> None:
        if options["output"]:
            Path(options["output"]).write_bytes(content)
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(content.decode(), ending="")
