"""Django admin for prompt sets, prompts, chat models, generations, jobs; uploads."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html

from evalsite.admin_json import CheckedJSONAdmin
from evalsite.imports.record_values import FieldError
from evalsite.imports.uploads import UploadForm, upload_view
from evalsite.rendering import stored_html

from . import admin_authoring, admin_reward_scores  # noqa: F401 (registers admins)
from .api_imports import background_import
from .models import (
    ChatModel,
    Generation,
    GenerationJob,
    ImportJob,
    Prompt,
    PromptSet,
)
from .services.imports import checked_turns, generations_import, prompts_import
from .words import count_turn_words


class PromptInline(admin.TabularInline):
    model = Prompt
    fields = ["external_id", "categories", "num_turns", "word_count"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    max_num = 0


@admin.register(PromptSet)
class PromptSetAdmin(CheckedJSONAdmin):
    list_display = ["name", "prompt_count", "uploaded_by", "source_name", "created_at"]
    search_fields = ["name", "description", "source_name"]
    list_filter = ["created_at"]
    readonly_fields = ["source_name", "source_sha256", "created_at"]
    change_list_template = "admin/generations/promptset/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prompt_count=Count("prompts"))

    @admin.display(description="Prompts", ordering="prompt_count")
    def prompt_count(self, obj: PromptSet) -> int:
        return obj.prompt_count

    def get_urls(self):
        return [
            path(
                "upload-prompts/",
                self.admin_site.admin_view(self.upload_prompts),
                name="generations_promptset_upload_prompts",
            ),
            path(
                "upload-generations/",
                self.admin_site.admin_view(self.upload_generations),
                name="generations_promptset_upload_generations",
            ),
            *super().get_urls(),
        ]

    def _upload(
        self, request, *, title: str, kind: str, service, help_text: str, **recorded
    ):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = UploadForm(request.POST or None, request.FILES or None)
        return upload_view(
            request,
            self.admin_site,
            form,
            run=lambda data, upload: service(
                prompt_set_name=data["prompt_set"],
                file_name=upload.name,
                data=upload.read(),
                **recorded,
            ),
            background=lambda data, upload: background_import(
                kind=kind, data=data, upload=upload, user=request.user
            ),
            success_url="admin:generations_promptset_changelist",
            title=title,
            help_text=help_text,
        )

    def upload_prompts(self, request):
        return self._upload(
            request,
            title="Upload prompts",
            kind="prompts",
            service=prompts_import,
            uploaded_by=request.user,
            help_text="JSONL: id, turns or prompt, categories or category, "
            "optional collection_method and metadata. CSV: id,prompt,category.",
        )

    def upload_generations(self, request):
        return self._upload(
            request,
            title="Upload generations",
            kind="generations",
            service=generations_import,
            help_text="JSONL or CSV: prompt_id, model, text, optional prompt_tokens, "
            "completion_tokens, metadata.",
        )


class PromptAdminForm(forms.ModelForm):
    """Turns checked as an upload checks them; the counts follow from them (the form
    saved turns no server could be sent, and counts typed at will; a new-user pass)."""

    class Meta:
        model = Prompt
        fields = [
            "prompt_set",
            "external_id",
            "turns",
            "categories",
            "collection_method",
            "metadata",
        ]

    def clean_turns(self):
        try:
            return checked_turns({"turns": self.cleaned_data.get("turns")})
        except FieldError as error:
            raise ValidationError(f"{error.field}: {error.message}") from None

    def clean(self):
        cleaned = super().clean()
        if turns := cleaned.get("turns"):
            self.instance.num_turns = sum(1 for turn in turns if turn["role"] == "user")
            self.instance.word_count = count_turn_words(turns)
        return cleaned


@admin.register(Prompt)
class PromptAdmin(CheckedJSONAdmin):
    form = PromptAdminForm
    readonly_fields = ["num_turns", "word_count"]
    list_display = [
        "external_id",
        "prompt_set",
        "category_list",
        "num_turns",
        "word_count",
    ]
    list_filter = ["prompt_set", "num_turns", "collection_method"]
    search_fields = ["external_id", "turns"]
    list_select_related = ["prompt_set"]

    @admin.display(description="Categories")
    def category_list(self, obj: Prompt) -> str:
        return ", ".join(obj.categories)


@admin.register(ChatModel)
class ChatModelAdmin(CheckedJSONAdmin):
    list_display = [
        "name",
        "backend",
        "model_id",
        "system_prompt_preset",
        "context_limit",
        "generation_limit",
        "organisation",
    ]
    list_filter = ["backend", "system_prompt_preset", "limits"]
    search_fields = ["name", "model_id", "base_url", "organisation"]
    fieldsets = [
        (None, {"fields": ["name", "organisation", "backend"]}),
        ("Connection", {"fields": ["base_url", "model_id", "api_key_env"]}),
        ("System prompt", {"fields": ["system_prompt_preset", "system_prompt"]}),
        ("Limits", {"fields": ["limits", "context_limit", "generation_limit"]}),
        (
            "Decoding and serving",
            {
                "fields": [
                    "temperature",
                    "top_p",
                    "decoding",
                    "tokenizer",
                    "max_concurrency",
                    "request_timeout",
                ]
            },
        ),
        ("More", {"fields": ["metadata"], "classes": ["collapse"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The number inputs say the bounds the model's validators check: Django
        gives a FloatField's input none, so -5 seconds or a temperature of 9 went
        to the server before the admin learnt of them. Read from the field's
        Min/MaxValueValidators; top_p's and the timeout's validators are functions
        (their lower bound excluded), so theirs are said here."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        bounds = {
            "top_p": (0, 1),
            "request_timeout": (0, settings.EVALSITE_GENERATION_SOFT_TIME_LIMIT),
        }.get(db_field.name) or _validator_bounds(db_field)
        if field is not None and isinstance(field.widget, forms.NumberInput):
            for attribute, value in zip(("min", "max"), bounds, strict=True):
                if value is not None:
                    whole = float(value).is_integer()
                    field.widget.attrs[attribute] = str(int(value) if whole else value)
        return field


def _validator_bounds(db_field) -> tuple[float | None, float | None]:
    """The least and greatest values a model field's validators allow (None: no
    bound)."""
    low = high = None
    for validator in db_field.validators:
        if not isinstance(validator, MinValueValidator | MaxValueValidator):
            continue
        limit = validator.limit_value
        limit = limit() if callable(limit) else limit
        if isinstance(validator, MinValueValidator):
            low = limit
        else:
            high = limit
    return low, high


@admin.register(Generation)
class GenerationAdmin(CheckedJSONAdmin):
    list_display = [
        "id",
        "chat_model",
        "prompt_external_id",
        "status",
        "source",
        "prompt_tokens",
        "completion_tokens",
        "finish_reason",
        "attempts",
    ]
    list_filter = ["status", "source", "chat_model", "prompt__prompt_set"]
    search_fields = ["text", "prompt__external_id", "chat_model__name", "last_error"]
    list_select_related = ["chat_model", "prompt"]
    raw_id_fields = ["prompt"]
    readonly_fields = ["created_at", "updated_at", "finished_at"]
    exclude = ["html", "html_version"]
    filter_horizontal = ["jobs"]

    @admin.display(description="Prompt", ordering="prompt__external_id")
    def prompt_external_id(self, obj: Generation) -> str:
        return obj.prompt.external_id

    def save_model(self, request, obj, form, change):
        # The stored HTML follows an edited text, or pages would show the old one.
        if "text" in form.changed_data:
            obj.html, obj.html_version = stored_html(obj.text)
        super().save_model(request, obj, form, change)


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    """Jobs are started, cancelled and resumed by the job pages (and the API), whose
    services create the generations and queue their tasks: Add leads there, and a
    job's status and scope are read-only here (a job saved by this form as running
    never generated anything; a new-user pass)."""

    list_display = ["__str__", "status", "created_by", "created_at", "progress_link"]
    list_filter = ["status", "created_at"]
    search_fields = ["name"]
    readonly_fields = [
        "status",
        "prompt_sets",
        "chat_models",
        "created_by",
        "started_at",
        "finished_at",
        "created_at",
    ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("generations:job-new")

    @admin.display(description="Progress")
    def progress_link(self, obj: GenerationJob):
        return format_html('<a href="{}">progress</a>', obj.get_absolute_url())


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Background imports, read only: the upload pages and the API start them."""

    list_display = [
        "id",
        "kind",
        "file_name",
        "state",
        "records_read",
        "uploaded_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]
    search_fields = ["file_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
