"""System-instruction consistency (Llama 2, appendix A.3.5): instructions with probe
turns, the dialogues chat models hold with them, and the annotators' judgements of
whether each reply respects the instruction."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from generations.models import ChatModel

MAX_PROBES = 20
MAX_ANNOTATORS = 20


class ConsistencyEvaluation(models.Model):
    """Chat models held to a set of system instructions, judged by N annotators."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"

    name = models.CharField(max_length=200, unique=True)
    chat_models = models.ManyToManyField(
        ChatModel, related_name="consistency_evaluations"
    )
    annotators_per_reply = models.PositiveSmallIntegerField(default=3)
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="consistency_evaluations"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    lease_minutes = models.PositiveSmallIntegerField(default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_reply__gte=1)
                & Q(annotators_per_reply__lte=MAX_ANNOTATORS),
                name="consistency_annotators_per_reply_range",
            ),
            models.CheckConstraint(
                condition=Q(lease_minutes__gte=1), name="consistency_lease_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("consistency:detail", args=[self.pk])


class Instruction(models.Model):
    """A system message setting an attribute, with the user turns that probe it."""

    evaluation = models.ForeignKey(
        ConsistencyEvaluation, on_delete=models.CASCADE, related_name="instructions"
    )
    external_id = models.CharField(max_length=200)
    attribute = models.CharField(max_length=200, blank=True)
    system_message = models.TextField()
    probes = models.JSONField(help_text="The user turns, in order (1 to 20).")

    class Meta:
        ordering = ["evaluation", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "external_id"],
                name="consistency_instruction_unique_id",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class Dialogue(models.Model):
    """One chat model taken through one instruction's probes, turn by turn."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        STOPPED_AT_CONTEXT = "stopped_at_context", "Stopped at the context limit"
        FAILED = "failed", "Failed"

    evaluation = models.ForeignKey(
        ConsistencyEvaluation, on_delete=models.CASCADE, related_name="dialogues"
    )
    instruction = models.ForeignKey(
        Instruction, on_delete=models.CASCADE, related_name="dialogues"
    )
    chat_model = models.ForeignKey(
        ChatModel, on_delete=models.PROTECT, related_name="consistency_dialogues"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    turns_completed = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(blank=True, help_text="Why the dialogue stopped early.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["instruction", "chat_model"]
        constraints = [
            models.UniqueConstraint(
                fields=["instruction", "chat_model"],
                name="consistency_dialogue_once_per_model",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instruction} x {self.chat_model}"


class Reply(models.Model):
    """The chat model's reply at one turn of a dialogue."""

    dialogue = models.ForeignKey(
        Dialogue, on_delete=models.CASCADE, related_name="replies"
    )
    turn = models.PositiveSmallIntegerField()
    user_text = models.TextField()
    text = models.TextField()
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=50, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dialogue", "turn"]
        constraints = [
            models.UniqueConstraint(
                fields=["dialogue", "turn"], name="consistency_reply_once_per_turn"
            ),
            models.CheckConstraint(
                condition=Q(turn__gte=1) & Q(turn__lte=MAX_PROBES),
                name="consistency_reply_turn_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dialogue}, turn {self.turn}"


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ReplyJudgement(models.Model):
    """One annotator's lease on a reply and, once submitted, their answer: does the
    reply respect the instruction? At most one per (reply, annotator)."""

    class State(models.TextChoices):
        LEASED = "leased", "Leased"
        SUBMITTED = "submitted", "Submitted"

    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, related_name="judgements"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="consistency_judgements",
    )
    state = models.CharField(max_length=10, choices=State.choices)
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reply", "annotator"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "annotator"],
                name="consistency_judgement_once_per_annotator",
            ),
            models.CheckConstraint(
                condition=Q(state="leased", answer="")
                | (Q(state="submitted") & ~Q(answer="")),
                name="consistency_judgement_submitted_has_answer",
            ),
        ]
        indexes = [models.Index(fields=["reply", "state", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.annotator} on reply {self.reply_id}"
