"""Django admin for reward-model scores: read them, and upload a file of them."""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path

from evalsite.imports.uploads import UploadForm, upload_view

from .models import RewardScore
from .services.reward_scores import reward_scores_import

HELP = (
    "JSONL or CSV: prompt_id (the prompt's id in the prompt set), model (the chat "
    "model's name), score, reward_model. A score already stored for the same reward "
    "model and generation is replaced."
)


class RewardScoreUploadForm(UploadForm):
    kind = forms.ChoiceField(
        choices=RewardScore.Kind.choices,
        help_text="What every score of the file is: a logit or a probability.",
    )


@admin.register(RewardScore)
class RewardScoreAdmin(admin.ModelAdmin):
    """Scores change only by upload (which keeps a reward model's kind one)."""

    list_display = ["reward_model", "generation", "score", "kind", "created_at"]
    list_filter = ["reward_model", "kind"]
    search_fields = ["reward_model", "generation__prompt__external_id"]
    list_select_related = ["generation__prompt", "generation__chat_model"]
    raw_id_fields = ["generation"]
    change_list_template = "admin/generations/rewardscore/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload),
                name="generations_rewardscore_upload",
            ),
            *super().get_urls(),
        ]

    def upload(self, request):
        if not request.user.has_perm("generations.add_rewardscore"):
            return redirect("admin:index")
        form = RewardScoreUploadForm(request.POST or None, request.FILES or None)
        return upload_view(
            request,
            self.admin_site,
            form,
            run=lambda data, upload: reward_scores_import(
                prompt_set_name=data["prompt_set"],
                kind=data["kind"],
                file_name=upload.name,
                data=upload.read(),
            ),
            success_url="admin:generations_rewardscore_changelist",
            title="Upload reward scores",
            help_text=HELP,
        )
