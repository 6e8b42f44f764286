"""Django admin for quality control: gold pairs (with their file upload), quality
tasks (read-only), and the comparison actions that mark pairs as gold."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path

from evalsite.admin_read_only import ReadOnlyAdmin
from evalsite.imports.uploads import UploadForm, upload_view

from .models import Evaluation, GoldPair, QualityTask
from .services.gold_pairs import gold_pairs_from_comparisons, gold_pairs_import


class GoldPairUploadForm(UploadForm):
    prompt_set = None  # the evaluation's own
    evaluation = forms.ModelChoiceField(
        queryset=Evaluation.objects.exclude(kind=Evaluation.Kind.SINGLE)
    )
    field_order = ["evaluation", "file"]


@admin.register(GoldPair)
class GoldPairAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "evaluation",
        "prompt",
        "expected",
        "min_strength",
        "external_id",
        "created_at",
    ]
    list_filter = ["expected", "evaluation"]
    search_fields = ["external_id", "note", "prompt__external_id"]
    list_select_related = ["evaluation", "prompt__prompt_set"]
    raw_id_fields = ["prompt", "candidate_generation", "baseline_generation"]
    change_list_template = "admin/annotations/goldpair/change_list.html"

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload),
                name="annotations_goldpair_upload",
            ),
            *super().get_urls(),
        ]

    def upload(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = GoldPairUploadForm(request.POST or None, request.FILES or None)
        return upload_view(
            request,
            self.admin_site,
            form,
            run=lambda data, upload: gold_pairs_import(
                evaluation=data["evaluation"], file_name=upload.name, data=upload.read()
            ),
            success_url="admin:annotations_goldpair_changelist",
            title="Upload gold pairs",
            help_text="JSONL or CSV: prompt_id (the prompt's id in the evaluation's "
            "prompt set), candidate and baseline (chat model names; their done "
            "generations of the prompt), expected (candidate, baseline or tie), "
            "optional min_strength, id and note. A pair already gold is updated.",
        )


@admin.register(QualityTask)
class QualityTaskAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "evaluation",
        "annotator",
        "kind",
        "state",
        "choice",
        "score",
        "seconds",
        "flagged",
        "comment",
        "answered_at",
    ]
    list_filter = ["kind", "state", "flagged", "evaluation"]
    search_fields = ["annotator__username"]
    list_select_related = ["evaluation", "annotator"]


def _gold_action(expected: int, words: str):
    def action(modeladmin, request, queryset):
        result = gold_pairs_from_comparisons(
            comparisons=queryset.order_by("pk"), expected=expected
        )
        passed = result.details["single_response"]
        messages.success(
            request,
            f"Gold ({words}): {result.created} gold pairs created, "
            f"{result.details['updated']} updated"
            + (
                f", {passed} single-response comparisons passed over."
                if passed
                else "."
            ),
        )

    action.__name__ = f"mark_gold_{words.split()[0]}"
    return admin.action(
        description=f"Mark as gold pair: {words}", permissions=["add_goldpair"]
    )(action)


GOLD_ACTIONS = [
    _gold_action(1, "candidate better"),
    _gold_action(-1, "baseline better"),
    _gold_action(0, "tie"),
]
