"""Prompt authoring: who writes dialogues for a set, with which chat models, and drafts."""

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from evalsite.imports.limits import MAX_INT
from evalsite.model_fields import CountField

from .models import ChatModel, Prompt, PromptSet

# The paper's five categories, used when a prompt set defines none.
PAPER_CATEGORIES = (
    "factual questions",
    "writing and content creation",
    "language assistance",
    "recommendations",
    "dialogue",
)


class AuthoringSetup(models.Model):
    """How a prompt set's multi-turn prompts are written: two chat models, targets."""

    prompt_set = models.OneToOneField(
        PromptSet, on_delete=models.CASCADE, related_name="authoring_setup"
    )
    model_a = models.ForeignKey(
        ChatModel,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ChatGPT-like side",
    )
    model_b = models.ForeignKey(
        ChatModel,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Llama 2-Chat-like side",
    )
    method_targets = models.JSONField(
        default=dict,
        blank=True,
        help_text='Target share per collection method, e.g. {"chatgpt": 0.25, ...}; '
        "empty means equal shares.",
    )
    category_targets = models.JSONField(
        default=dict, blank=True, help_text="Target share per category."
    )
    writers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="authoring_setups"
    )
    max_tokens = CountField(
        default=256,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INT)],
        help_text="Most new tokens per reply (at least 1).",
    )

    def __str__(self) -> str:
        return f"Authoring of {self.prompt_set}"

    @property
    def categories(self) -> list[str]:
        return list(self.prompt_set.categories) or list(PAPER_CATEGORIES)

    def clean(self) -> None:
        for field in ("model_a", "model_b"):
            chat_model = getattr(self, field, None)
            if chat_model and chat_model.backend != ChatModel.Backend.OPENAI:
                raise ValidationError({field: "Needs a model with a server to chat."})
        names = {
            "method_targets": list(Prompt.CollectionMethod.values),
            "category_targets": self.categories if self.prompt_set_id else None,
        }
        for field, allowed in names.items():
            targets = getattr(self, field)
            if targets is None or targets == "":  # a cleared box: equal shares
                targets = {}
                setattr(self, field, targets)
            if not isinstance(targets, dict):
                raise ValidationError({field: 'Expected {"name": share, ...}.'})
            for name, share in targets.items():
                if allowed is not None and name not in allowed:
                    raise ValidationError(
                        {field: f"Unknown {name!r} (one of {allowed})."}
                    )
                if isinstance(share, bool) or not isinstance(share, int | float):
                    raise ValidationError(
                        {field: f"The share of {name!r} is a number."}
                    )
                # JSON's 1e400 and NaN parse to inf and nan, which PostgreSQL's
                # json type refuses when the setup is saved; an integer of hundreds
                # of digits has no float (the progress page divides by shares).
                try:
                    finite = math.isfinite(share)
                except OverflowError:
                    finite = False
                if not finite or share < 0:
                    raise ValidationError(
                        {field: f"The share of {name!r} is a finite number, 0 or more."}
                    )
            if targets and not any(targets.values()):
                # Empty targets mean equal shares; all zero would too, silently.
                raise ValidationError(
                    {field: "At least one share is above 0 (or leave it empty for "
                     "equal shares)."}
                )  # fmt: skip


class Draft(models.Model):
    """A dialogue being written; autosaved after every turn."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SAVED = "saved", "Saved"

    prompt_set = models.ForeignKey(
        PromptSet, on_delete=models.CASCADE, related_name="drafts"
    )
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    method = models.CharField(max_length=20, choices=Prompt.CollectionMethod.choices)
    turns = models.JSONField(
        default=list, blank=True, help_text='[{"role", "content", "model"?}]'
    )
    pending = models.JSONField(
        default=dict,
        blank=True,
        help_text="Best of both: the two replies awaiting the writer's choice.",
    )
    categories = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    prompt = models.OneToOneField(
        Prompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Draft {self.pk} by {self.writer} ({self.method})"


class AuthoringPreference(models.Model):
    """At a best-of-both turn, the reply the writer kept over the other."""

    draft = models.ForeignKey(
        Draft, on_delete=models.CASCADE, related_name="preferences"
    )
    prompt = models.ForeignKey(
        Prompt,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authoring_preferences",
    )
    turn_index = models.PositiveSmallIntegerField(
        help_text="Index in the dialogue's turns of the kept assistant turn."
    )
    chosen_model = models.ForeignKey(
        ChatModel, on_delete=models.PROTECT, related_name="+"
    )
    rejected_model = models.ForeignKey(
        ChatModel, on_delete=models.PROTECT, related_name="+"
    )
    chosen_text = models.TextField()
    rejected_text = models.TextField()
    strength = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 (negligibly better) to 4 (much better)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["draft", "turn_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "turn_index"], name="authoring_preference_one_per_turn"
            ),
            models.CheckConstraint(
                condition=Q(strength__isnull=True)
                | Q(strength__gte=1, strength__lte=4),
                name="authoring_preference_strength_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Draft {self.draft_id} turn {self.turn_index}: {self.chosen_model}"
