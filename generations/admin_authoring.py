"""Django admin for prompt authoring: the setup of a set, drafts, kept replies."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from evalsite.admin_json import CheckedJSONAdmin

from .models import AuthoringPreference, AuthoringSetup, Draft


@admin.register(AuthoringSetup)
class AuthoringSetupAdmin(admin.ModelAdmin):
    list_display = ["prompt_set", "model_a", "model_b", "max_tokens", "progress"]
    autocomplete_fields = ["prompt_set"]
    filter_horizontal = ["writers"]

    @admin.display(description="Progress")
    def progress(self, obj: AuthoringSetup) -> str:
        url = reverse("authoring:progress", args=[obj.prompt_set_id])
        return format_html('<a href="{}">By method and category</a>', url)


@admin.register(Draft)
class DraftAdmin(CheckedJSONAdmin):
    list_display = ["id", "prompt_set", "writer", "method", "status", "updated_at"]
    list_filter = ["status", "method", "prompt_set"]
    readonly_fields = ["prompt", "created_at", "updated_at"]


@admin.register(AuthoringPreference)
class AuthoringPreferenceAdmin(admin.ModelAdmin):
    list_display = ["draft", "turn_index", "chosen_model", "rejected_model", "strength"]
    list_filter = ["chosen_model"]
    readonly_fields = ["created_at"]
