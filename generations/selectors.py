"""Reads of the generations app: job progress and what is left to run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from .models import ChatModel, Generation, GenerationJob, PromptSet

RATE_WINDOW = timedelta(minutes=5)
ENDED = (Generation.Status.DONE, Generation.Status.FAILED, Generation.Status.FILTERED)


@dataclass
class JobProgress:
    """Counts by status, throughput and the latest errors of one job."""

    job_id: int
    status: str
    total: int
    counts: dict[str, int]
    per_minute: float | None
    eta_seconds: float | None
    latest_errors: list[dict] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)

    @property
    def ended(self) -> int:
        return sum(self.counts[s] for s in ENDED)

    @property
    def percent(self) -> float:
        return 100.0 * self.ended / self.total if self.total else 100.0

    def as_dict(self) -> dict:
        return {
            "job": self.job_id,
            "status": self.status,
            "total": self.total,
            "ended": self.ended,
            "percent": round(self.percent, 1),
            "counts": self.counts,
            "per_minute": self.per_minute,
            "eta_seconds": self.eta_seconds,
            "latest_errors": self.latest_errors,
            "waiting": self.waiting,
        }


def job_progress(*, job: GenerationJob, errors: int = 5) -> JobProgress:
    """Progress of ``job``; the rate is over the last five minutes (or since start)."""
    generations = Generation.objects.filter(jobs=job)
    rows = generations.values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in Generation.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    total = sum(counts.values())
    now = timezone.now()
    since = max(filter(None, [job.started_at, now - RATE_WINDOW]), default=None)
    per_minute = eta = None
    if since is not None and job.status == GenerationJob.Status.RUNNING:
        recent = generations.filter(status__in=ENDED, finished_at__gte=since).count()
        minutes = max((now - since).total_seconds() / 60, 1 / 60)
        per_minute = round(recent / minutes, 1)
        remaining = total - sum(counts[s] for s in ENDED)
        eta = round(60 * remaining / per_minute) if per_minute else None
    # A job that no longer runs waits for nothing (its queued tasks skip).
    active = (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING)
    waiting = servers_waiting(generations) if job.status in active else []
    if waiting:
        eta = None  # no rate to extrapolate while a server does not answer
    latest = (
        generations.exclude(last_error="")
        .order_by("-updated_at")
        .select_related("chat_model", "prompt")[:errors]
    )
    return JobProgress(
        job_id=job.pk,
        status=job.status,
        total=total,
        counts=counts,
        per_minute=per_minute,
        eta_seconds=eta,
        waiting=waiting,
        latest_errors=[
            {
                "generation": g.pk,
                "chat_model": g.chat_model.name,
                "prompt": g.prompt.external_id,
                "status": g.status,
                "error": g.last_error[:500],
                "at": g.updated_at.isoformat(),
            }
            for g in latest
        ],
    )


def servers_waiting(generations) -> list[dict]:
    """Servers that ``generations`` wait for: a transient error, a retry due.

    One entry per base URL: its chat models, how many generations wait, the most
    attempts any of them made, the soonest next try and the latest error; none for
    a server that has answered since its latest error.
    """
    retrying = generations.filter(
        status__in=(Generation.Status.PENDING, Generation.Status.RUNNING),
        next_attempt_at__isnull=False,
    )
    rows = (
        retrying.values("chat_model__base_url")
        .annotate(
            n=Count("id"), attempts=Max("attempts"), next_at=Min("next_attempt_at")
        )
        .order_by("chat_model__base_url")
    )
    waiting = []
    for row in rows:
        url = row["chat_model__base_url"]
        on_server = retrying.filter(chat_model__base_url=url)
        latest = (
            on_server.order_by("-updated_at").values("last_error", "updated_at").first()
        )
        if latest is None:
            continue
        # The server answered since its latest error: the retries left are queued
        # for a worker, not waiting for it (the page said "waiting" for minutes
        # after the server came back, its next try in the past).
        if generations.filter(
            chat_model__base_url=url,
            status=Generation.Status.DONE,
            finished_at__gt=latest["updated_at"],
        ).exists():
            continue
        names = on_server.order_by().values_list("chat_model__name", flat=True)
        waiting.append(
            {
                "server": url,
                "chat_models": sorted(set(names)),
                "generations": row["n"],
                "attempts": row["attempts"],
                "next_attempt_at": row["next_at"].isoformat(),
                "last_error": latest["last_error"][:500],
            }
        )
    return waiting


def job_list():
    """Jobs, newest first, with their models and prompt sets."""
    return GenerationJob.objects.prefetch_related("chat_models", "prompt_sets")


@dataclass(frozen=True)
class Readiness:
    """How many of a prompt set's prompts a chat model has a done generation for."""

    chat_model: ChatModel
    done: int
    total: int
    filtered: int = 0  # over its context limit: no job can answer them
    failed: int = 0  # among the missing: a job gave up on them, for ``last_error``
    last_error: str = ""

    @property
    def missing(self) -> int:
        """Prompts a generation job could still answer."""
        return self.total - self.done - self.filtered

    @property
    def can_generate(self) -> bool:
        """Whether a generation job can make its missing responses (an imported
        chat model's come from files)."""
        return self.chat_model.backend != ChatModel.Backend.IMPORTED


def generations_ready(
    *, prompt_set: PromptSet, chat_models: Sequence[ChatModel]
) -> list[Readiness]:
    """Per chat model (in the order given), its done generations on the prompt set,
    out of the set's prompts, those filtered as over its context, and those that
    failed with the latest error (a page listed them as missing only, and a new
    job failed them again); two queries, and one per model with failures."""
    total = prompt_set.prompts.count()
    generations = Generation.objects.filter(
        prompt__prompt_set=prompt_set, chat_model__in=list(chat_models)
    )
    counts = {
        model: (done, filtered, failed)
        for model, done, filtered, failed in generations.filter(
            status__in=(
                Generation.Status.DONE,
                Generation.Status.FILTERED,
                Generation.Status.FAILED,
            ),
        )
        .values_list("chat_model")
        .annotate(
            done=Count("id", filter=Q(status=Generation.Status.DONE)),
            filtered=Count("id", filter=Q(status=Generation.Status.FILTERED)),
            failed=Count("id", filter=Q(status=Generation.Status.FAILED)),
        )
        .order_by()
    }
    rows = []
    for model in chat_models:
        done, filtered, failed = counts.get(model.pk, (0, 0, 0))
        last_error = ""
        if failed:
            last_error = (
                generations.filter(chat_model=model, status=Generation.Status.FAILED)
                .order_by("-updated_at")
                .values_list("last_error", flat=True)
                .first()
                or ""
            )[:300]
        rows.append(
            Readiness(
                model,
                done=done,
                total=total,
                filtered=filtered,
                failed=failed,
                last_error=last_error,
            )
        )
    return rows
