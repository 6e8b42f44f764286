"""manage.py check_quality --evaluation NAME: every annotator's quality warnings;
with the evaluation's qc_pause on, those who cross a threshold are paused."""

from django.core.management.base import BaseCommand, CommandError

from annotations.models import Evaluation
from annotations.services.quality import quality_check_evaluation


class Command(BaseCommand):
    help = (
        "Check every annotator of an evaluation's pool against its quality "
        "thresholds; print one line per annotator with a warning (and pause them "
        "when the evaluation's qc_pause is on)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--evaluation", required=True, help="The evaluation's name."
        )

    def handle(self, *args, **options):
        try:
            evaluation = Evaluation.objects.get(name=options["evaluation"])
        except Evaluation.DoesNotExist:
            raise CommandError(
                f"--evaluation: no evaluation named {options['evaluation']!r}"
            ) from None
        checks = quality_check_evaluation(evaluation=evaluation)
        warned = [check for check in checks if check.quality.warnings]
        for check in warned:
            messages = "; ".join(w.message for w in check.quality.warnings)
            action = "paused" if check.paused else "warned"
            self.stdout.write(f"{check.username}\t{action}\t{messages}")
        self.stdout.write(
            f"{len(checks)} annotators checked, {len(warned)} with warnings, "
            f"{sum(c.paused for c in checks)} paused now."
        )
