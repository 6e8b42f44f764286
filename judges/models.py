"""LLM judges: versioned judging templates, judges, judge runs and their judgements.

A judgement is a rating of its own kind: stored here, apart from the annotators'
``Rating`` rows, so it never counts towards a pair's N annotators, never enters the
human agreement figures and is never shown to annotators.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from annotations.models import Comparison, Evaluation
from generations.models import ChatModel


class JudgeTemplate(models.Model):
    """One version of a judging template; a changed template is a new version."""

    class VerdictFormat(models.TextChoices):
        JSON = "json", "Structured output (response_format with a JSON schema)"
        TEXT = "text", "Free text ending in a verdict in double brackets"

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    system_prompt = models.TextField(blank=True)
    user_template = models.TextField(
        help_text="Receives {dialogue}, {response_a}, {response_b} and {scale} "
        "(the verdicts allowed, with their meaning)."
    )
    verdict_format = models.CharField(
        max_length=10, choices=VerdictFormat.choices, default=VerdictFormat.JSON
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="judge_template_unique_version"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="judge_template_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Judge(models.Model):
    """A chat model with a judging template. A judge without a chat model only holds
    verdicts imported from elsewhere (for example GPT-4's votes on LLMFAO)."""

    name = models.CharField(max_length=200, unique=True)
    chat_model = models.ForeignKey(
        ChatModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="judges",
        # A chat model whose responses are imported has no server to ask.
        limit_choices_to=~models.Q(backend=ChatModel.Backend.IMPORTED),
        help_text="The model that judges (one with an inference server); empty for "
        "a judge whose verdicts are imported.",
    )
    template = models.ForeignKey(
        JudgeTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="judges",
        help_text="The template version new judgements use.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JudgeRun(models.Model):
    """One judge over one evaluation's comparisons; starting it again resumes it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CANCELLED = "cancelled", "Cancelled"
        FINISHED = "finished", "Finished"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="judge_runs"
    )
    judge = models.ForeignKey(Judge, on_delete=models.PROTECT, related_name="runs")
    chat_model = models.ForeignKey(
        ChatModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="judge_runs",
        help_text="The judge's chat model when the run started: its verdicts' model. "
        "Empty for runs from before it was recorded.",
    )
    chat_model_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="A digest of the chat model's request settings when the run started "
        "(execution.chat_model_fingerprint).",
    )
    both_orders = models.BooleanField(
        default=False,
        help_text="Judge each pair as shown and again with the sides swapped.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "judge"], name="judge_run_once_per_evaluation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.judge} on {self.evaluation}"

    def get_absolute_url(self) -> str:
        return reverse("judges:run-detail", args=[self.pk])


class Judgement(models.Model):
    """One judge's verdict on one comparison in one order of the sides.

    ``swapped`` false is the order as shown (``candidate_on_left`` drawn per pair,
    as for an annotator), true the same pair with the sides swapped. ``choice`` is
    as shown (positive prefers Model A) on the evaluation's scale; ``score`` is the
    candidate's view. Both are empty until a verdict is parsed; a reply that holds
    no verdict is kept with its text, status ``unparseable``, and never guessed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        UNPARSEABLE = "unparseable", "Reply holds no verdict"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        GENERATED = "generated", "Judged here"
        IMPORTED = "imported", "Imported"

    judge = models.ForeignKey(
        Judge, on_delete=models.CASCADE, related_name="judgements"
    )
    comparison = models.ForeignKey(
        Comparison, on_delete=models.CASCADE, related_name="judgements"
    )
    run = models.ForeignKey(
        JudgeRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="judgements",
    )
    template = models.ForeignKey(
        JudgeTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="judgements",
        help_text="The template version this judgement used; empty when imported.",
    )
    swapped = models.BooleanField(
        default=False, help_text="The second order: the sides swapped."
    )
    candidate_on_left = models.BooleanField()
    scale = models.CharField(max_length=10, choices=Evaluation.Scale.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.GENERATED
    )
    choice = models.SmallIntegerField(
        null=True, blank=True, help_text="As shown: positive prefers Model A."
    )
    score = models.SmallIntegerField(
        null=True, blank=True, help_text="The candidate's view: positive prefers it."
    )
    reply = models.TextField(blank=True, help_text="The judge's reply, whole.")
    request = models.JSONField(
        default=dict, blank=True, help_text="The exact request sent to the judge."
    )
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=50, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)
    backend_model_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last took it to judge."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["comparison", "swapped"]
        constraints = [
            models.UniqueConstraint(
                fields=["judge", "comparison", "swapped"],
                name="judgement_once_per_order",
            ),
            models.CheckConstraint(
                condition=(Q(choice__isnull=True) & Q(score__isnull=True))
                | Q(candidate_on_left=True, score=F("choice"))
                | Q(candidate_on_left=False, score=F("choice") * -1),
                name="judgement_score_is_candidate_view",
            ),
            models.CheckConstraint(
                condition=Q(choice__isnull=True)
                | Q(scale="seven", choice__gte=-3, choice__lte=3)
                | Q(scale="three", choice__gte=-1, choice__lte=1)
                | (Q(scale="preference", choice__gte=-4, choice__lte=4) & ~Q(choice=0)),
                name="judgement_choice_on_scale",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(choice__isnull=False),
                name="judgement_done_has_verdict",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"]),
        ]

    def __str__(self) -> str:
        order = "swapped" if self.swapped else "as shown"
        return f"{self.judge} on comparison {self.comparison_id} ({order})"
