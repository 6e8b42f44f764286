"""Django admin for evaluations, comparisons, assignments and ratings; ratings upload."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from evalsite.admin_read_only import ReadOnlyAdmin
from evalsite.imports.limits import MAX_ANNOTATORS_PER_PAIR
from evalsite.imports.uploads import UploadForm, upload_view
from generations.api_imports import background_import

from .models import (
    AnswerChange,
    Assignment,
    Comparison,
    Evaluation,
    FlagReview,
    Invitation,
    PoolMember,
    Rating,
)
from .quality_admin import GOLD_ACTIONS
from .selectors import most_ratings_on_a_pair
from .sequential_fields import (
    SEQUENTIAL_FIELDS,
    sequential_defaults,
    sequential_errors,
    sequential_optional,
)
from .services.evaluation_setup import pairs_refusal
from .services.evaluations import comparisons_build
from .services.imports import IMPORTED_SCALES, ratings_import
from .services.single_evaluations import single_comparisons_build


class RatingUploadForm(UploadForm):
    evaluation = forms.CharField(max_length=200, help_text="Created when missing.")
    scale = forms.ChoiceField(choices=IMPORTED_SCALES)
    candidate = forms.CharField(
        max_length=200, required=False, help_text="Head-to-head: the candidate's name."
    )


# Quality-control thresholds that are shares (side bias: its absolute value).
SHARE_THRESHOLDS = [
    "qc_min_gold_accuracy",
    "qc_min_self_consistency",
    "qc_min_agreement",
    "qc_max_fast_share",
    "qc_max_tie_share",
    "qc_max_side_bias",
]


class EvaluationForm(forms.ModelForm):
    # The pool has its own model (PoolMember, for each annotator's state in it), so
    # the form edits it as a plain choice of users; save_related writes it.
    pool = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        widget=FilteredSelectMultiple("annotators", is_stacked=False),
        help_text="The annotators who may rate this evaluation's pairs.",
    )

    class Meta:
        model = Evaluation
        fields = "__all__"  # noqa: DJ007 (the admin shows every field)
        exclude = ["built_through_prompt"]  # noqa: DJ006 (Build pairs keeps it)
        help_texts = {
            "chat_models": "Tournament: two or more; single response: one or more. "
            "Head-to-head: leave empty (the candidate and baseline are added on "
            "save). The app's own page, New evaluation on the home, asks only "
            "what the kind needs."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sequential_optional(self)
        if self.instance.pk:
            self.fields["pool"].initial = list(
                self.instance.pool.values_list("pk", flat=True)
            )

    def _value(self, data: dict, name: str):
        """The field's cleaned value; the stored one when it is read-only here."""
        return data.get(name) if name in self.fields else getattr(self.instance, name)

    def clean(self):
        data = super().clean()
        if (
            self._value(data, "safety_labels")
            and self._value(data, "scale") != Evaluation.Scale.PREFERENCE
        ):
            self.add_error(
                "safety_labels", "Safety labels are only on the preference scale."
            )
        for name in SHARE_THRESHOLDS:
            value = data.get(name)
            if value is not None and not 0 <= value <= 1:
                self.add_error(name, "A share: from 0 to 1.")
        sequential_defaults(data)
        values = {name: data.get(name) for name in SEQUENTIAL_FIELDS}
        kind = self._value(data, "kind")
        for name, message in sequential_errors(kind=kind, **values).items():
            if name not in self.errors:
                self.add_error(name, message)
        if (data.get("min_seconds") or 0) < 0:
            self.add_error("min_seconds", "Seconds: at least 0.")
        self._restart_check(data)
        self._per_pair_check(data)
        return data

    def _per_pair_check(self, data: dict) -> None:
        """N may not go below the ratings a pair already holds: every pair has at
        most N (the admin lowered it under pairs of 3 without a word)."""
        per_pair = data.get("annotators_per_pair")
        if not self.instance.pk or per_pair is None:
            return
        if per_pair < self.instance.annotators_per_pair:
            most = most_ratings_on_a_pair(self.instance)
            if per_pair < most:
                self.add_error(
                    "annotators_per_pair",
                    f"A pair of this evaluation already has {most} ratings: N may "
                    f"not go below {most}.",
                )

    def _restart_check(self, data: dict) -> None:
        """Clearing ``stopped_at`` lets the evaluation collect more: the last stop's
        pairs and reason go with it. With the rule, width and minimum unchanged,
        the rule still holds on the pairs it was met on (the sequence only
        narrows), and the next complete pair stopped it again: refused, saying
        what to change."""
        stored = self.instance
        if not (stored.pk and stored.stopped_at and "stopped_at" in self.fields):
            return
        if data.get("stopped_at") is not None:
            return
        rule = ("stop_rule", "stop_width", "stop_min_pairs")
        if all(self._value(data, n) == getattr(stored, n) for n in rule):
            self.add_error(
                "stopped_at",
                "Its stopping rule still holds on the pairs it stopped at, so the "
                "next complete pair would stop it again: to collect more, also "
                "change the rule, its width or its minimum pairs (or set no rule).",
            )
            return
        data["stop_reason"], data["stop_pairs"] = "", None
        stored.stop_reason, stored.stop_pairs = "", None


class PoolMemberInline(admin.TabularInline):
    """Members are added and removed with the pool field above; here, their state."""

    model = PoolMember
    extra = 0
    can_delete = False
    # One line per member: the table stays within the page.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 28})}
    }

    def has_add_permission(self, request, obj=None):
        return False

    raw_id_fields = ["user", "invitation"]
    fields = [
        "user",
        "quota",
        "paused_at",
        "pause_message",
        "participant_id",
        "invitation",
        "completed_at",
        "order_seed",
    ]
    readonly_fields = ["order_seed", "completed_at", "invitation", "participant_id"]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    form = EvaluationForm
    list_display = [
        "name",
        "kind",
        "prompt_set",
        "candidate",
        "baseline",
        "scale",
        "annotators_per_pair",
        "comparison_count",
        "status",
        "source",
        "links",
    ]
    list_filter = ["kind", "scale", "safety_labels", "status", "source", "prompt_set"]
    search_fields = ["name", "candidate__name", "baseline__name", "guidelines"]
    list_select_related = ["prompt_set", "candidate", "baseline"]
    filter_horizontal = ["chat_models"]
    readonly_fields = ["left_out", "built_through_prompt", "created_by", "created_at"]
    change_list_template = "admin/annotations/evaluation/change_list.html"
    # What its pairs and ratings were made for: fixed once it has pairs (a changed
    # scale made its reports fail; a changed side or set mislabelled them).
    FIXED_WITH_PAIRS = (
        "kind",
        "scale",
        "prompt_set",
        "candidate",
        "baseline",
        "chat_models",
        "safety_labels",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.comparisons.exists():
            fields += [name for name in self.FIXED_WITH_PAIRS if name not in fields]
        if obj is not None and obj.annotators_per_pair > MAX_ANNOTATORS_PER_PAIR:
            # An import made N the most ratings a pair holds (crowd votes): more
            # than an evaluation annotators rate may ask for, and the field's bound
            # then refused every save of it.
            fields.append("annotators_per_pair")
        return fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(comparison_count=Count("comparisons"))
        )

    @admin.display(description="Comparisons", ordering="comparison_count")
    def comparison_count(self, obj: Evaluation) -> int:
        return obj.comparison_count

    @admin.display(description="Pages")
    def links(self, obj: Evaluation):
        return format_html(
            '<a href="{}">progress</a> · <a href="{}">quality</a> · '
            '<a href="{}">report</a>',
            reverse("annotations:progress", args=[obj.pk]),
            reverse("annotations:quality", args=[obj.pk]),
            obj.get_absolute_url(),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_inlines(self, request, obj):
        # Each member's own state (quota, pause) once the evaluation exists.
        return [PoolMemberInline] if obj is not None else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        evaluation = form.instance
        evaluation.pool.set(form.cleaned_data["pool"])
        if evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:
            evaluation.chat_models.add(evaluation.candidate, evaluation.baseline)
        if change and pairs_refusal(evaluation):
            return  # an imported or closed evaluation keeps the pairs it has
        if evaluation.kind == Evaluation.Kind.SINGLE:
            result = single_comparisons_build(evaluation=evaluation)
        else:
            result = comparisons_build(evaluation=evaluation)
        if result.created or result.left_out:
            reasons = "; ".join(f"{k}: {v}" for k, v in sorted(result.left_out.items()))
            messages.info(
                request,
                f"{result.created} comparisons added; {result.left_out_total} left out"
                + (f" ({reasons})" if reasons else "."),
            )

    def get_urls(self):
        return [
            path(
                "upload-ratings/",
                self.admin_site.admin_view(self.upload_ratings),
                name="annotations_evaluation_upload_ratings",
            ),
            *super().get_urls(),
        ]

    def upload_ratings(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = RatingUploadForm(request.POST or None, request.FILES or None)
        return upload_view(
            request,
            self.admin_site,
            form,
            run=lambda data, upload: ratings_import(
                prompt_set_name=data["prompt_set"],
                evaluation_name=data["evaluation"],
                scale=data["scale"],
                candidate_name=data["candidate"] or None,
                file_name=upload.name,
                data=upload.read(),
                created_by=request.user,
            ),
            background=lambda data, upload: background_import(
                kind="ratings", data=data, upload=upload, user=request.user
            ),
            success_url="admin:annotations_evaluation_changelist",
            title="Upload ratings",
            help_text="JSONL or CSV: prompt_id, model_a, model_b, annotator, choice "
            "(preference scale: a:significantly, b:slightly, ...), optional "
            "created_at, seconds, comment, and on the preference scale safety_a, "
            "safety_b (safe or unsafe).",
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The app's page (Invitation links, from an evaluation's progress) makes links
    too; here they can be searched and edited. Uses are counted by joining only."""

    list_display = [
        "id",
        "evaluation",
        "label",
        "uses",
        "max_uses",
        "expires_at",
        "quota",
        "revoked_at",
    ]
    list_filter = ["evaluation"]
    search_fields = ["label", "token", "evaluation__name"]
    list_select_related = ["evaluation"]
    readonly_fields = ["token", "uses", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ["id", "evaluation", "prompt", "candidate_generation", "external_id"]
    list_filter = ["evaluation"]
    search_fields = ["prompt__external_id", "external_id", "evaluation__name"]
    list_select_related = [
        "evaluation",
        "prompt__prompt_set",
        "candidate_generation__chat_model",
        "candidate_generation__prompt__prompt_set",
    ]
    raw_id_fields = ["prompt", "candidate_generation", "baseline_generation"]
    actions = GOLD_ACTIONS

    def has_add_goldpair_permission(self, request) -> bool:
        return request.user.has_perm("annotations.add_goldpair")


class AnswerChangeInline(admin.TabularInline):
    """A rating's history: every change its annotator made, read-only."""

    model = AnswerChange
    fk_name = "rating"
    extra = 0
    can_delete = False
    fields = ["changed_at", "changed_by", "field", "old_value", "new_value"]
    readonly_fields = fields
    ordering = ["changed_at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AssignmentChangeInline(AnswerChangeInline):
    """An assignment's history (an undone skip has no rating)."""

    fk_name = "assignment"


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    """Leases and answers, read-only: leasing and answering keep each pair's N and
    its stage (as for ratings, below)."""

    list_display = [
        "id",
        "annotator",
        "comparison",
        "state",
        "candidate_on_left",
        "leased_at",
        "expires_at",
    ]
    list_filter = ["state", "comparison__evaluation", "candidate_on_left"]
    search_fields = ["annotator__username", "comment"]
    list_select_related = ["annotator", "comparison__evaluation", "comparison__prompt"]
    raw_id_fields = ["comparison"]
    inlines = [AssignmentChangeInline]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Ratings, read-only: they come from annotators (pages, API) and imports, whose
    services keep each pair's N ratings and its stage; a form here added a rating
    beyond N, from someone outside the pool (a new-user pass). Leave ratings out of
    a report with its annotator options or a flag review."""

    inlines = [AnswerChangeInline]
    list_display = [
        "id",
        "comparison",
        "annotator",
        "choice",
        "score",
        "candidate_on_left",
        "safety_a",
        "safety_b",
        "seconds",
        "source",
        "created_at",
    ]
    list_filter = ["source", "scale", "score", "safety_a", "comparison__evaluation"]
    search_fields = [
        "annotator__username",
        "comment",
        "comparison__prompt__external_id",
    ]
    list_select_related = ["annotator", "comparison__evaluation", "comparison__prompt"]
    raw_id_fields = ["comparison", "assignment"]
    date_hierarchy = "created_at"


@admin.register(FlagReview)
class FlagReviewAdmin(ReadOnlyAdmin):
    """Every decision on a flagged pair, read-only: decisions are made (and changed)
    on the flag queue, whose service keeps the pair's exclusion and stage right."""

    list_display = ["comparison", "action", "note", "reviewed_by", "reviewed_at"]
    list_filter = ["action", "comparison__evaluation"]
    search_fields = ["note", "reviewed_by__username", "comparison__prompt__external_id"]
    list_select_related = [
        "comparison__evaluation",
        "comparison__prompt",
        "reviewed_by",
    ]


class AccountAdmin(UserAdmin):
    """Accounts, as Django's, for admins (roles.py gives them the user permissions):
    whoever is not a superuser cannot make anyone one, nor grant permissions one by
    one; a role is a group."""

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser", "user_permissions")


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)
