"""Evaluations, their comparisons, the annotators' assignments and ratings."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from evalsite.imports.limits import (
    MAX_ANNOTATORS_PER_PAIR,
    MAX_INT,
    MAX_LEASE_MINUTES,
    MAX_SMALL_INT,
)
from evalsite.model_fields import CountField, SmallCountField
from generations.models import ChatModel, Generation, Prompt, PromptSet

from . import scales


class Evaluation(models.Model):
    """Chat models compared pairwise on a prompt set."""

    class Kind(models.TextChoices):
        HEAD_TO_HEAD = "head_to_head", "Head-to-head (candidate vs baseline)"
        TOURNAMENT = "tournament", "Tournament (several chat models)"
        SINGLE = "single", "Single response (quality rated on its own)"

    class Scale(models.TextChoices):
        SEVEN = "seven", "Seven-point"
        THREE = "three", "Three-point (A / tie / B)"
        PREFERENCE = "preference", "Preference (A or B, and by how much)"
        LIKERT = "likert", "Seven-point Likert (one response, 1 worst to 7 best)"

    class Status(models.TextChoices):
        OPEN = "open", "Open for rating"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        NATIVE = "native", "Rated here"
        IMPORTED = "imported", "Imported"

    class Allocation(models.TextChoices):
        UNIFORM = "uniform", "Uniform (every pair in each annotator's own order)"
        ADAPTIVE = "adaptive", "Adaptive (model pairs that most narrow the ranking)"

    class StopRule(models.TextChoices):
        NONE = "none", "None (rate every pair)"
        DECIDED = "decided", "When the win / (win + loss) sequence excludes 50 %"
        WIDTH = "width", "When the win-rate sequence is narrower than a target"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.HEAD_TO_HEAD
    )
    prompt_set = models.ForeignKey(
        PromptSet, on_delete=models.PROTECT, related_name="evaluations"
    )
    candidate = models.ForeignKey(
        ChatModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations_as_candidate",
    )
    baseline = models.ForeignKey(
        ChatModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations_as_baseline",
    )
    chat_models = models.ManyToManyField(ChatModel, related_name="evaluations")
    scale = models.CharField(max_length=10, choices=Scale.choices, default=Scale.SEVEN)
    annotators_per_pair = SmallCountField(
        default=3,
        validators=[
            MinValueValidator(1),
            MaxValueValidator(MAX_ANNOTATORS_PER_PAIR),
        ],
    )
    lease_minutes = SmallCountField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LEASE_MINUTES)],
    )
    pool = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="PoolMember",
        related_name="evaluation_pools",
        blank=True,
    )
    guidelines = models.TextField(blank=True)
    safety_labels = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Preference scale: each response also gets a safe / unsafe label.",
    )
    batch = models.CharField(
        max_length=100,
        blank=True,
        db_default="",
        help_text="Batch of preference data (Table 26); empty: the ISO week of each "
        "rating.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.NATIVE
    )
    left_out = models.JSONField(
        default=dict,
        blank=True,
        help_text="Prompts left out when the comparisons were built, by reason.",
    )
    built_through_prompt = models.PositiveBigIntegerField(
        default=0,
        db_default=0,
        help_text="The prompt set's newest prompt (its id) when the comparisons were "
        "last built: a newer prompt awaits Build pairs.",
    )
    # Quality control (docs/quality-control.md). Rates are shares of the items an
    # annotator is served; gold and repeat answers are QualityTask rows, never Ratings.
    gold_rate = models.FloatField(
        default=0,
        db_default=0,
        help_text="Share of served items that are gold pairs (0 to 1).",
    )
    repeat_rate = models.FloatField(
        default=0,
        db_default=0,
        help_text="Share of served items that repeat one of the annotator's own "
        "rated pairs, sides swapped (0 to 1).",
    )
    min_seconds = models.FloatField(
        null=True,
        blank=True,
        help_text="Minimum plausible seconds per pair; faster answers count as too "
        "fast.",
    )
    qc_min_answers = models.PositiveSmallIntegerField(
        default=10,
        db_default=10,
        help_text="Answers an annotator gives before thresholds apply to them.",
        validators=[MaxValueValidator(MAX_SMALL_INT)],
    )
    qc_min_gold_accuracy = models.FloatField(null=True, blank=True)
    qc_min_self_consistency = models.FloatField(null=True, blank=True)
    qc_min_agreement = models.FloatField(null=True, blank=True)
    qc_max_fast_share = models.FloatField(null=True, blank=True)
    qc_max_tie_share = models.FloatField(null=True, blank=True)
    qc_max_side_bias = models.FloatField(
        null=True,
        blank=True,
        help_text="Largest |share choosing A - share choosing B| among decisive "
        "answers.",
    )
    qc_pause = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Pause an annotator who crosses a threshold (else only warn).",
    )
    # The annotator's own controls and quotas.
    edit_window = models.PositiveSmallIntegerField(
        default=5,
        db_default=5,
        help_text="How many of their last submitted ratings an annotator may change "
        "(while the pair is not complete).",
        validators=[MaxValueValidator(MAX_SMALL_INT)],
    )
    quota = CountField(
        null=True,
        blank=True,
        help_text="At most this many pairs per annotator (an invitation may set its "
        "own).",
        validators=[
            MinValueValidator(1, "A quota is at least one pair."),
            MaxValueValidator(MAX_INT),
        ],
    )
    completion_code = models.CharField(
        max_length=100,
        blank=True,
        db_default="",
        help_text="Shown to an annotator whose quota is done (crowd platforms).",
    )
    completion_url = models.URLField(
        blank=True,
        db_default="",
        help_text="Where an annotator whose quota is done is sent (crowd platforms).",
    )
    # Sequential monitoring and allocation (docs/sequential.md).
    allocation = models.CharField(
        max_length=10,
        choices=Allocation.choices,
        default=Allocation.UNIFORM,
        db_default=Allocation.UNIFORM,
        help_text="How a tournament picks the model pairs to rate next.",
    )
    adaptive_top = models.PositiveSmallIntegerField(
        default=10,
        db_default=10,
        help_text="Adaptive: narrow the scores of this many best models first.",
        validators=[MaxValueValidator(MAX_SMALL_INT)],
    )
    adaptive_width = models.FloatField(
        default=1.0,
        db_default=1.0,
        help_text="Adaptive: a top model's score is narrow enough once its 95 % "
        "interval (Bradley-Terry log-score) is narrower than this; then the whole "
        "ranking's neighbouring ranks are narrowed.",
    )
    stop_rule = models.CharField(
        max_length=10,
        choices=StopRule.choices,
        default=StopRule.NONE,
        db_default=StopRule.NONE,
        help_text="Stop handing out pairs when the always-valid confidence sequence "
        "has decided (head-to-head only).",
    )
    stop_width = models.FloatField(
        null=True,
        blank=True,
        help_text="For the width rule: stop when the sequence is narrower than this "
        "(a share, e.g. 0.1 for ten points).",
    )
    stop_min_pairs = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="Never stop before this many pairs are complete.",
        validators=[MaxValueValidator(MAX_INT)],
    )
    stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stopping rule was met."
    )
    stop_reason = models.TextField(blank=True, db_default="")
    stop_pairs = models.PositiveIntegerField(
        null=True, blank=True, help_text="Complete pairs when the rule was met."
    )
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
        permissions = [
            ("rate_evaluation", "Can rate comparisons of evaluations in their pool"),
            ("view_report", "Can read reports and download data"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_pair__gte=1),
                name="evaluation_annotators_per_pair_positive",
                violation_error_message="At least one annotator rates each pair.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["tournament", "single"])
                | Q(candidate__isnull=False, baseline__isnull=False),
                name="evaluation_head_to_head_has_both_sides",
                violation_error_message="A head-to-head evaluation needs a candidate and a baseline.",
            ),
            models.CheckConstraint(
                condition=Q(kind="single", scale="likert")
                | (~Q(kind="single") & ~Q(scale="likert")),
                name="evaluation_likert_is_single_response",
                violation_error_message="The Likert scale is the single-response evaluation's scale, and it has no other.",
            ),
            models.CheckConstraint(
                condition=Q(safety_labels=False) | Q(scale="preference"),
                name="evaluation_safety_labels_on_preference_scale",
                violation_error_message="Safety labels come with the preference scale only.",
            ),
            models.CheckConstraint(
                condition=~Q(candidate=F("baseline")),
                name="evaluation_candidate_is_not_baseline",
                violation_error_message="The candidate and the baseline must be different chat models.",
            ),
            models.CheckConstraint(
                condition=Q(gold_rate__gte=0, gold_rate__lte=1)
                & Q(repeat_rate__gte=0, repeat_rate__lte=1)
                & Q(gold_rate__lte=1 - F("repeat_rate")),
                name="evaluation_quality_rates_are_shares",
                violation_error_message="The gold and repeat rates are shares from 0 to 1, and together at most 1.",
            ),
            models.CheckConstraint(
                condition=Q(adaptive_top__gte=1, adaptive_width__gt=0),
                name="evaluation_adaptive_focus_positive",
                violation_error_message="Adaptive allocation needs at least one top model and a width above 0.",
            ),
            models.CheckConstraint(
                condition=~Q(stop_rule="width")
                | Q(stop_width__gt=0, stop_width__lte=1),
                name="evaluation_stop_width_is_a_share",
                violation_error_message="The width rule needs a width above 0 and at most 1.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reports:evaluation", args=[self.pk])

    @property
    def scale_name(self) -> str:
        """The scale's label to use mid-sentence: "preference (A or B, and by how
        much)", keeping the capitals that are names (A, B, Likert)."""
        label = self.get_scale_display()
        return label[:1].lower() + label[1:]

    @property
    def status_label(self) -> str:
        """Its status as pages show it: an open evaluation its stopping rule has
        stopped is no longer open for rating."""
        if self.status == self.Status.OPEN and self.stopped_at is not None:
            return "Stopped by its stopping rule"
        return self.get_status_display()

    @property
    def scale_labels(self) -> list[tuple[int, str]]:
        return scales.labels(self.scale)


def order_seed_new() -> int:
    """A fresh seed for an annotator's own order of the untouched pairs."""
    return secrets.randbelow(2**62)


def invitation_token_new() -> str:
    return secrets.token_urlsafe(18)


class Invitation(models.Model):
    """A link that onboards annotators into an evaluation's pool without passwords."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="invitations"
    )
    token = models.CharField(max_length=40, unique=True, default=invitation_token_new)
    label = models.CharField(max_length=200, blank=True)
    max_uses = CountField(
        help_text="How many people may join.",
        # At least one (the form's input says so too: it offered 0, then refused it).
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INT)],
    )
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(help_text="Joining closes at this time.")
    quota = CountField(
        null=True,
        blank=True,
        help_text="At most this many pairs per person who joins (else the "
        "evaluation's quota).",
        validators=[
            MinValueValidator(1, "A quota is at least one pair."),
            MaxValueValidator(MAX_INT),
        ],
    )
    completion_code = models.CharField(max_length=100, blank=True)
    completion_url = models.URLField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uses__lte=F("max_uses")), name="invitation_uses_in_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} / {self.label or self.token[:8]}"


class PoolMember(models.Model):
    """An annotator in an evaluation's pool, with their own state in it: the seed of
    their order of the untouched pairs, a pause, a quota, and where they came from."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pool_memberships",
    )
    order_seed = models.BigIntegerField(
        default=order_seed_new,
        help_text="Seeds this annotator's order of the untouched pairs.",
    )
    quota = CountField(
        null=True,
        blank=True,
        help_text="At most this many pairs (else the evaluation's quota).",
        validators=[
            MinValueValidator(1, "A quota is at least one pair."),
            MaxValueValidator(MAX_INT),
        ],
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_message = models.TextField(
        blank=True, help_text="Shown to the annotator while paused."
    )
    invitation = models.ForeignKey(
        Invitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    participant_id = models.CharField(
        max_length=100, blank=True, help_text="Crowd platform id (PROLIFIC_PID)."
    )
    study_id = models.CharField(max_length=100, blank=True)
    session_id = models.CharField(max_length=100, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the annotator's quota was done."
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table of the plain many-to-many pool this model took over (migration
        # 0005), with its unique pair.
        db_table = "annotations_evaluation_pool"
        unique_together = [("evaluation", "user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.evaluation}"


class Comparison(models.Model):
    """One pair of generations for one prompt; candidate vs baseline (or model x vs y).
    In a single-response evaluation, one generation: ``baseline_generation`` is empty."""

    class Stage(models.IntegerChoices):
        UNTOUCHED = 0, "Untouched"
        STARTED = 1, "Started"
        COMPLETE = 2, "Complete"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="comparisons"
    )
    prompt = models.ForeignKey(
        Prompt, on_delete=models.PROTECT, related_name="comparisons"
    )
    candidate_generation = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="+"
    )
    baseline_generation = models.ForeignKey(
        Generation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="Empty in a single-response evaluation.",
    )
    external_id = models.CharField(max_length=200, blank=True)
    excluded = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Left out of reports by a flag review (FlagReview records why).",
    )
    stage = models.PositiveSmallIntegerField(
        choices=Stage.choices,
        default=Stage.UNTOUCHED,
        help_text="Where the pair stands in the annotator loop; set by the assignment "
        "service under the pair's row lock, so leasing looks at few rows.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evaluation", "id"]
        indexes = [
            models.Index(
                fields=["evaluation", "stage", "id"], name="comparison_stage_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "evaluation",
                    "prompt",
                    "candidate_generation",
                    "baseline_generation",
                ],
                name="comparison_unique_pair",
            ),
            models.UniqueConstraint(
                fields=["evaluation", "prompt", "candidate_generation"],
                condition=Q(baseline_generation__isnull=True),
                name="comparison_unique_single_response",
            ),
            models.CheckConstraint(
                condition=~Q(candidate_generation=F("baseline_generation")),
                name="comparison_two_different_generations",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} / {self.prompt.external_id} #{self.pk}"


class Assignment(models.Model):
    """One annotator on one comparison, with the side order that annotator was shown."""

    class State(models.TextChoices):
        LEASED = "leased", "Leased"
        SUBMITTED = "submitted", "Submitted"
        EXPIRED = "expired", "Expired"
        SKIPPED = "skipped", "Skipped"
        FLAGGED = "flagged", "Flagged as broken"

    comparison = models.ForeignKey(
        Comparison, on_delete=models.CASCADE, related_name="assignments"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    candidate_on_left = models.BooleanField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.LEASED)
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="The annotator's note on a flag.")

    class Meta:
        ordering = ["-leased_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "annotator"],
                name="assignment_once_per_annotator",
            ),
        ]
        indexes = [
            models.Index(fields=["comparison", "state"]),
            models.Index(fields=["annotator", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} on comparison {self.comparison_id} ({self.state})"


class Rating(models.Model):
    """A submitted answer, as shown (A/B) and from the candidate's point of view.

    On the preference scale ``choice`` is +4..+1 for A significantly / better /
    slightly / negligibly better, -1..-4 the same for B (no tie). On the Likert scale
    (single-response evaluations) it is the quality, 1 worst to 7 best, and the
    candidate is the one response (``candidate_on_left`` true, ``score`` = ``choice``).
    """

    class Source(models.TextChoices):
        NATIVE = "native", "Rated here"
        IMPORTED = "imported", "Imported"

    class Safety(models.TextChoices):
        SAFE = "safe", "Safe"
        UNSAFE = "unsafe", "Unsafe"

    comparison = models.ForeignKey(
        Comparison, on_delete=models.CASCADE, related_name="ratings"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings"
    )
    assignment = models.OneToOneField(
        Assignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rating",
    )
    scale = models.CharField(max_length=10, choices=Evaluation.Scale.choices)
    choice = models.SmallIntegerField(
        help_text="As shown: positive prefers Model A (left), negative Model B."
    )
    candidate_on_left = models.BooleanField()
    score = models.SmallIntegerField(
        help_text="From the candidate's point of view: positive prefers the candidate."
    )
    safety_a = models.CharField(
        max_length=6,
        choices=Safety.choices,
        blank=True,
        db_default="",
        help_text="Safety label of the response shown as Model A (when the "
        "evaluation asks for them).",
    )
    safety_b = models.CharField(
        max_length=6,
        choices=Safety.choices,
        blank=True,
        db_default="",
        help_text="Of Model B.",
    )
    seconds = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.NATIVE
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["comparison", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "annotator"], name="rating_once_per_annotator"
            ),
            models.CheckConstraint(
                condition=Q(scale="seven", choice__gte=-3, choice__lte=3)
                | Q(scale="three", choice__gte=-1, choice__lte=1)
                | (Q(scale="preference", choice__gte=-4, choice__lte=4) & ~Q(choice=0))
                | Q(scale="likert", choice__gte=1, choice__lte=7),
                name="rating_choice_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(candidate_on_left=True, score=F("choice"))
                | Q(candidate_on_left=False, score=F("choice") * -1),
                name="rating_score_is_candidate_view",
            ),
            models.CheckConstraint(
                condition=Q(seconds__isnull=True) | Q(seconds__gte=0),
                name="rating_seconds_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(safety_a="") & Q(safety_b=""))
                | (~Q(safety_a="") & ~Q(safety_b="") & Q(scale="preference")),
                name="rating_safety_labels_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} on comparison {self.comparison_id}: {self.choice:+d}"


class RatingsFile(models.Model):
    """A ratings file imported whole into an evaluation, by its SHA-256. On
    PostgreSQL, importing the same bytes again while the evaluation's ratings are
    as that import left them (``state``: none added, changed or deleted since)
    writes nothing and reads nothing but the digest."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="ratings_files"
    )
    sha256 = models.CharField(max_length=64)
    ratings = models.PositiveIntegerField(help_text="Ratings the file holds.")
    comparisons = models.PositiveIntegerField(help_text="Pairs the file rates.")
    state = models.CharField(
        max_length=64,
        blank=True,
        help_text="Digest of the evaluation's ratings as this import left them "
        "(PostgreSQL).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "sha256"], name="ratings_file_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} / {self.sha256[:12]}"


class AnswerChange(models.Model):
    """One change to a submitted answer (an edit of a rating, an undone skip), with
    who made it, when, and the old and new value."""

    class Field(models.TextChoices):
        CHOICE = "choice", "Choice"
        COMMENT = "comment", "Rationale"
        STATE = "state", "State"
        SAFETY_A = "safety_a", "Safety of Model A"
        SAFETY_B = "safety_b", "Safety of Model B"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="changes"
    )
    rating = models.ForeignKey(
        Rating,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()
    field = models.CharField(max_length=10, choices=Field.choices)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.assignment_id} {self.field}: {self.old_value} -> {self.new_value}"
        )


class FlagReview(models.Model):
    """An admin's decision on a flagged pair."""

    class Action(models.TextChoices):
        EXCLUDE = "exclude", "Exclude the pair from reports"
        KEEP = "keep", "Fix nothing (keep the pair as it is)"
        REOPEN = "reopen", "Reopen the pair for rating"

    comparison = models.ForeignKey(
        Comparison, on_delete=models.CASCADE, related_name="flag_reviews"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.comparison_id}: {self.action}"


class GoldPair(models.Model):
    """A pair with a known answer, mixed into an evaluation for quality control.

    Stored apart from the evaluation's comparisons, so it never enters a report. The
    expected side is from the candidate's point of view (as ``Rating.score``): +1
    the candidate generation is better, -1 the baseline one, 0 a tie; with
    ``min_strength``, a correct answer also has |score| at least that.
    """

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="gold_pairs"
    )
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="+")
    candidate_generation = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="+"
    )
    baseline_generation = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="+"
    )
    expected = models.SmallIntegerField(
        choices=[(1, "Candidate better"), (0, "Tie"), (-1, "Baseline better")]
    )
    min_strength = models.PositiveSmallIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evaluation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "evaluation",
                    "prompt",
                    "candidate_generation",
                    "baseline_generation",
                ],
                name="gold_pair_once",
            ),
            models.CheckConstraint(
                condition=Q(expected__in=[-1, 0, 1]), name="gold_pair_expected_sign"
            ),
            models.CheckConstraint(
                condition=~Q(candidate_generation=F("baseline_generation")),
                name="gold_pair_two_different_generations",
            ),
        ]

    def __str__(self) -> str:
        return f"gold {self.external_id or self.pk} in {self.evaluation}"


class QualityTask(models.Model):
    """A quality-control item served to one annotator and their answer to it: a gold
    pair, or a repeat of one of their own rated pairs with the sides swapped. Never a
    Rating, so never in a report."""

    class Kind(models.TextChoices):
        GOLD = "gold", "Gold pair"
        REPEAT = "repeat", "Repeat"

    class State(models.TextChoices):
        LEASED = "leased", "Leased"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Expired"
        SKIPPED = "skipped", "Skipped"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="quality_tasks"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quality_tasks",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    gold = models.ForeignKey(
        GoldPair,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    repeat_of = models.ForeignKey(
        Rating,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="repeats",
    )
    candidate_on_left = models.BooleanField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.LEASED)
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    choice = models.SmallIntegerField(
        null=True, blank=True, help_text="As shown, as Rating.choice."
    )
    score = models.SmallIntegerField(
        null=True, blank=True, help_text="From the candidate's point of view."
    )
    seconds = models.FloatField(null=True, blank=True)
    # A flag on a check ends it as skipped (the annotator is not told it was a
    # check); what they reported is kept for the admins.
    flagged = models.BooleanField(default=False, db_default=False)
    comment = models.TextField(blank=True, help_text="The annotator's note on a flag.")

    class Meta:
        ordering = ["-leased_at"]
        indexes = [models.Index(fields=["evaluation", "annotator", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="gold", gold__isnull=False, repeat_of__isnull=True)
                | Q(kind="repeat", gold__isnull=True, repeat_of__isnull=False),
                name="quality_task_kind_matches",
            ),
            models.UniqueConstraint(
                fields=["annotator", "gold"],
                condition=Q(gold__isnull=False),
                name="quality_task_gold_once",
            ),
            models.UniqueConstraint(
                fields=["annotator", "repeat_of"],
                condition=Q(repeat_of__isnull=False),
                name="quality_task_repeat_once",
            ),
            models.CheckConstraint(
                condition=Q(state="answered", choice__isnull=False, score__isnull=False)
                | (~Q(state="answered") & Q(choice__isnull=True)),
                name="quality_task_answered_has_choice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.annotator} ({self.state})"
