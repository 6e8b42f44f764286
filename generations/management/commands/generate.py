"""Start a generation job from the command line; optionally wait with a progress bar."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generations import selectors
from generations.models import ChatModel, GenerationJob, PromptSet
from generations.services.jobs import OUTAGES, job_create_and_launch


def _by_name(model, names: list[str], label: str) -> list:
    found = {obj.name: obj for obj in model.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise CommandError(f"unknown {label}: {', '.join(missing)}")
    return [found[name] for name in names]


class Command(BaseCommand):
    help = "Generate responses of chat models to prompt sets (one Celery task each)."

    def add_arguments(self, parser):
        parser.add_argument("--prompt-set", action="append", required=True)
        parser.add_argument("--model", nargs="+", action="extend", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--poll", type=float, default=1.0)

    def handle(self, *args, **options):
        prompt_sets = _by_name(PromptSet, options["prompt_set"], "prompt set")
        chat_models = _by_name(ChatModel, options["model"], "chat model")
        try:
            job, queued = job_create_and_launch(
                prompt_sets=prompt_sets, chat_models=chat_models, name=options["name"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except OUTAGES as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Job {job.pk}: {queued} generations queued")
        if options["wait"]:
            self._wait(job, options["poll"])

    def _wait(self, job: GenerationJob, poll: float) -> None:
        progress = selectors.job_progress(job=job)
        with tqdm(total=progress.total, unit="gen", file=self.stderr._out) as bar:
            while True:
                job.refresh_from_db(fields=["status"])
                progress = selectors.job_progress(job=job)
                bar.update(progress.ended - bar.n)
                bar.set_postfix(failed=progress.counts["failed"], refresh=False)
                if job.status in (
                    GenerationJob.Status.FINISHED,
                    GenerationJob.Status.CANCELLED,
                ):
                    break
                time.sleep(poll)
        counts = ", ".join(f"{status} {n}" for status, n in progress.counts.items())
        self.stdout.write(f"Job {job.pk} {job.status}: {counts}")
        if progress.counts["failed"]:
            for error in progress.latest_errors:
                self.stderr.write(
                    f"  {error['chat_model']} / {error['prompt']}: {error['error']}"
                )
            raise CommandError(f"{progress.counts['failed']} generations failed")
