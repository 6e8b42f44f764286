"""Run an LLM judge over an evaluation's pairs; optionally wait with a progress bar.

``--chat-model NAME`` creates the judge when it does not exist yet, with the default
template of ``--verdict-format`` (``mt-bench-pairwise``: structured JSON output;
``mt-bench-pairwise-text``: free text ending in ``[[verdict]]``); nothing is kept when
the run cannot start. For an existing judge, these options must match it. See
docs/judges.md.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.models import Evaluation
from evalsite.command_arguments import positive_seconds
from generations.models import ChatModel
from judges import selectors, verdicts
from judges.models import Judge, JudgeRun
from judges.services import runs


def _get(model, name: str, label: str):
    try:
        return model.objects.get(name=name)
    except model.DoesNotExist:
        raise CommandError(f"unknown {label}: {name}") from None


def _check_existing(judge: Judge | None, name: str, options) -> None:
    """Refuse options that would create ``judge`` differently from how it exists."""
    if judge is None:
        raise CommandError(f"unknown judge: {name}")
    chat_model, verdict_format = options["chat_model"], options["verdict_format"]
    if chat_model and (judge.chat_model is None or judge.chat_model.name != chat_model):
        has = judge.chat_model.name if judge.chat_model else "no chat model"
        raise CommandError(
            f"--chat-model {chat_model}: judge {name} exists with {has}; use a new "
            "judge name to judge with another chat model."
        )
    template = judge.template
    if verdict_format and (
        template is None or template.verdict_format != verdict_format
    ):
        has = (
            f"template {template} ({template.verdict_format})"
            if template
            else "no template"
        )
        raise CommandError(
            f"--verdict-format {verdict_format}: judge {name} exists with {has}; use "
            "a new judge name to judge with another template."
        )


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Judge an evaluation's pairs with an LLM judge (one Celery task per pair and "
        "order). Starting the same judge on the same evaluation again resumes its run. "
        "With --chat-model, a judge that does not exist yet is created with that chat "
        "model and the default template of --verdict-format."
    )

    def add_arguments(self, parser):
        parser.add_argument("--evaluation", required=True)
        parser.add_argument("--judge", required=True)
        parser.add_argument(
            "--both-orders",
            action="store_true",
            help="Judge each pair as shown and again with the sides swapped.",
        )
        parser.add_argument(
            "--chat-model",
            help="Create the judge with this chat model if it does not exist; for an "
            "existing judge, it must be its chat model.",
        )
        parser.add_argument(
            "--verdict-format",
            choices=verdicts.FORMATS,
            help="Default template of a judge created here (default: json); for an "
            "existing judge, it must be its template's.",
        )
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--poll", type=positive_seconds, default=1.0)

    def handle(self, *args, **options):
        evaluation = _get(Evaluation, options["evaluation"], "evaluation")
        name, both_orders = options["judge"], options["both_orders"]
        judge = (
            Judge.objects.select_related("chat_model", "template")
            .filter(name=name)
            .first()
        )
        try:
            if judge is None and options["chat_model"]:
                chat_model = _get(ChatModel, options["chat_model"], "chat model")
                judge, (run, queued, _) = runs.run_start_new_judge(
                    evaluation=evaluation,
                    name=name,
                    chat_model=chat_model,
                    verdict_format=options["verdict_format"] or verdicts.JSON,
                    both_orders=both_orders,
                )
                self.stdout.write(f"Judge {judge.name} created ({judge.template})")
            else:
                _check_existing(judge, name, options)
                run, queued, _ = runs.run_start(
                    evaluation=evaluation, judge=judge, both_orders=both_orders
                )
        except ValidationError as exc:
            raise CommandError(_message(exc)) from exc
        except runs.OUTAGES as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Judge run {run.pk}: {queued} judgements queued")
        if options["wait"]:
            self._wait(run, options["poll"])

    def _wait(self, run: JudgeRun, poll: float) -> None:
        progress = selectors.run_progress(run=run)
        with tqdm(total=progress.total, unit="judgement", file=self.stderr._out) as bar:
            while True:
                run.refresh_from_db(fields=["status"])
                progress = selectors.run_progress(run=run)
                bar.update(progress.ended - bar.n)
                bar.set_postfix(
                    unparseable=progress.counts["unparseable"],
                    failed=progress.counts["failed"],
                    refresh=False,
                )
                if run.status in (JudgeRun.Status.FINISHED, JudgeRun.Status.CANCELLED):
                    break
                time.sleep(poll)
        counts = ", ".join(f"{status} {n}" for status, n in progress.counts.items())
        self.stdout.write(f"Judge run {run.pk} {run.status}: {counts}")
        if progress.counts["failed"]:
            for error in progress.latest_errors:
                self.stderr.write(
                    f"  prompt {error['prompt']}"
                    f"{' (swapped)' if error['swapped'] else ''}: {error['error']}"
                )
            raise CommandError(f"{progress.counts['failed']} judgements failed")
