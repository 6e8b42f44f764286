"""Reads of the judges app: runs and their progress, judgements of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, F, Max, Min, QuerySet, When

from generations.models import ChatModel

from .models import Judgement, JudgeRun, JudgeTemplate

ENDED = (
    Judgement.Status.DONE,
    Judgement.Status.UNPARSEABLE,
    Judgement.Status.FAILED,
)


@dataclass(frozen=True)
class RunProgress:
    """Counts by status of one run's judgements, and its latest errors."""

    run_id: int
    status: str
    both_orders: bool
    total: int
    counts: dict[str, int]
    next_attempt_at: str | None = None
    latest_errors: list[dict] = field(default_factory=list)

    @property
    def ended(self) -> int:
        return sum(self.counts[s] for s in ENDED)

    @property
    def percent(self) -> float:
        return 100.0 * self.ended / self.total if self.total else 100.0

    def as_dict(self) -> dict:
        return {
            "run": self.run_id,
            "status": self.status,
            "both_orders": self.both_orders,
            "total": self.total,
            "ended": self.ended,
            "percent": round(self.percent, 1),
            "counts": self.counts,
            "next_attempt_at": self.next_attempt_at,
            "latest_errors": self.latest_errors,
        }


def run_list() -> QuerySet[JudgeRun]:
    return JudgeRun.objects.select_related(
        "evaluation", "judge", "chat_model", "judge__chat_model", "judge__template"
    )


def _retry_due(judgements: QuerySet[Judgement]):
    """The soonest retry of ``judgements``; None once the server has answered since
    their latest error (the retries left wait for a worker, not for the server)."""
    retrying = judgements.filter(
        status__in=(Judgement.Status.PENDING, Judgement.Status.RUNNING),
        next_attempt_at__isnull=False,
    ).aggregate(at=Min("next_attempt_at"), error_at=Max("updated_at"))
    if retrying["at"] is None:
        return None
    answered = judgements.filter(
        status__in=(Judgement.Status.DONE, Judgement.Status.UNPARSEABLE),
        finished_at__gt=retrying["error_at"],
    )
    return None if answered.exists() else retrying["at"]


def run_progress(*, run: JudgeRun, errors: int = 5) -> RunProgress:
    """Progress of ``run``: judgements by status, the soonest retry (none once the
    run is cancelled or finished), latest errors."""
    judgements = Judgement.objects.filter(run=run)
    rows = judgements.values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(Judgement.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    retry = None
    # A run that no longer runs waits for nothing (its queued tasks skip).
    if run.status in (JudgeRun.Status.QUEUED, JudgeRun.Status.RUNNING):
        retry = _retry_due(judgements)
    latest = (
        judgements.exclude(last_error="")
        .select_related("comparison__prompt")
        .order_by("-updated_at")[:errors]
    )
    return RunProgress(
        run_id=run.pk,
        status=run.status,
        both_orders=run.both_orders,
        total=sum(counts.values()),
        counts=counts,
        next_attempt_at=retry.isoformat() if retry else None,
        latest_errors=[
            {
                "judgement": j.pk,
                "comparison": j.comparison_id,
                "prompt": j.comparison.prompt.external_id,
                "swapped": j.swapped,
                "status": j.status,
                "error": j.last_error[:500],
                "at": j.updated_at.isoformat(),
            }
            for j in latest
        ],
    )


def run_chat_model(*, run: JudgeRun) -> ChatModel | None:
    """The chat model of the run's verdicts: the one it started with (the judge's
    for a run from before runs recorded it)."""
    return run.chat_model or run.judge.chat_model


def run_judgements(*, run: JudgeRun) -> QuerySet[Judgement]:
    """The run's judgements with their pair's prompt and ``model_a``, the chat model
    whose response was shown first, in pair order."""
    pair = "comparison__{}_generation__chat_model__name"
    return (
        Judgement.objects.filter(run=run)
        .select_related("comparison__prompt", "template")
        .annotate(
            model_a=Case(
                When(candidate_on_left=True, then=F(pair.format("candidate"))),
                default=F(pair.format("baseline")),
            )
        )
        .order_by("comparison_id", "swapped")
    )


def run_templates(*, run: JudgeRun) -> list[str]:
    """The template versions the run's judgements use (one, unless the run has none
    yet or holds judgements from before versions were kept per run)."""
    used = (
        JudgeTemplate.objects.filter(judgements__run=run)
        .distinct()
        .order_by("name", "version")
    )
    return [str(template) for template in used]
