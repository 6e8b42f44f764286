"""manage.py check_stopping: check the stopping rule of every head-to-head
evaluation that has one and goes on (after an import of ratings, say, which queues
no check), and print what each now shows."""

from django.core.management.base import BaseCommand

from annotations.models import Evaluation
from annotations.sequence_selectors import evaluation_sequence
from annotations.services.stopping import evaluation_stop_check


class Command(BaseCommand):
    help = (
        "Check the stopping rule of every evaluation that has one and is not "
        "stopped; stop those whose rule is met (docs/sequential.md)."
    )

    def handle(self, *args, **options):
        waiting = Evaluation.objects.exclude(stop_rule=Evaluation.StopRule.NONE)
        for evaluation in waiting.filter(stopped_at__isnull=True).order_by("name"):
            if evaluation_stop_check(evaluation_id=evaluation.pk):
                evaluation.refresh_from_db()
                self.stdout.write(
                    f"{evaluation.name}\tstopped\t{evaluation.stop_reason}"
                )
                continue
            sequence = evaluation_sequence(evaluation=evaluation)
            if sequence is not None:
                self.stdout.write(
                    f"{evaluation.name}\tgoes on\t{sequence.pairs} complete pairs; "
                    + _watched(evaluation, sequence)
                )


def _watched(evaluation: Evaluation, sequence) -> str:
    """The interval the evaluation's rule watches: the win rate's width for the
    width rule, win / (win + loss) for the decided rule."""
    if evaluation.stop_rule == Evaluation.StopRule.WIDTH:
        low, high = sequence.win
        return (
            f"win rate {low:.2f} to {high:.2f} (width {high - low:.2f}, "
            f"target {evaluation.stop_width:.2f})"
        )
    low, high = sequence.win_no_ties
    return f"win / (win + loss) {low:.2f} to {high:.2f}"
