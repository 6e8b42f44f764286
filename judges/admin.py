"""Django admin for judging templates (versioned), judges, judge runs, judgements.

Saving a changed template saves a new version (``templates.template_revise``): the
edited row stays as it was, for the judgements that used it.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count

from .models import Judge, Judgement, JudgeRun, JudgeTemplate
from .services import templates


class JudgeTemplateForm(forms.ModelForm):
    class Meta:
        model = JudgeTemplate
        fields = ["name", "system_prompt", "user_template", "verdict_format"]

    def clean(self):
        data = super().clean()
        name = data.get("name")
        if (
            self.instance.pk is None
            and JudgeTemplate.objects.filter(name=name).exists()
        ):
            self.add_error(
                "name", "A template of this name exists: edit it to make a new version."
            )
        if "user_template" in data and "verdict_format" in data:
            try:
                templates.template_check(
                    user_template=data["user_template"],
                    verdict_format=data["verdict_format"],
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(JudgeTemplate)
class JudgeTemplateAdmin(admin.ModelAdmin):
    form = JudgeTemplateForm
    list_display = ["name", "version", "verdict_format", "judge_count", "created_at"]
    list_filter = ["verdict_format"]
    search_fields = ["name", "system_prompt", "user_template"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(judge_count=Count("judges"))

    @admin.display(description="Judges using it", ordering="judge_count")
    def judge_count(self, obj: JudgeTemplate) -> int:
        return obj.judge_count

    def get_readonly_fields(self, request, obj=None):
        # A template's name ties its versions together: set once.
        return ["name", "version", "created_at"] if obj else ["version", "created_at"]

    def has_change_permission(self, request, obj=None):
        """Only a name's latest version is edited (into the next one); older
        versions stay as their judgements used them, shown read-only."""
        if (
            obj is not None
            and JudgeTemplate.objects.filter(
                name=obj.name, version__gt=obj.version
            ).exists()
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        revised = templates.template_revise(
            template=JudgeTemplate.objects.get(pk=obj.pk),
            system_prompt=obj.system_prompt,
            user_template=obj.user_template,
            verdict_format=obj.verdict_format,
        )
        # The admin's message and redirect name the version now current.
        obj.pk, obj.version, obj.created_at = (
            revised.pk,
            revised.version,
            revised.created_at,
        )
        return None


@admin.register(Judge)
class JudgeAdmin(admin.ModelAdmin):
    list_display = ["name", "chat_model", "template", "created_at"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["template"]

    def save_model(self, request, obj, form, change):
        """A judge with a chat model and no template judges with the default one
        (created when missing): without a template it could never be run."""
        if obj.chat_model_id and obj.template_id is None:
            obj.template = templates.template_default()
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["template"].help_text = (
            "The template version new judgements use; empty with a chat model: "
            "the default template (mt-bench-pairwise)."
        )
        return form


@admin.register(JudgeRun)
class JudgeRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "both_orders", "created_at", "finished_at"]
    list_filter = ["status", "both_orders"]
    readonly_fields = [
        "evaluation",
        "judge",
        "chat_model",
        "chat_model_fingerprint",
        "both_orders",
        "status",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False  # started from its page, the API or the ``judge`` command

    def has_delete_permission(self, request, obj=None):
        # Its judgements outlived it (kept for the report), and the run started
        # again after it judged nothing or mixed template versions (a new-user pass).
        return False


@admin.register(Judgement)
class JudgementAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "source",
        "choice",
        "score",
        "template",
        "attempts",
        "updated_at",
    ]
    list_filter = ["status", "source", "judge", "swapped"]
    list_select_related = ["judge", "template"]
    search_fields = ["reply", "last_error"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Judgement._meta.fields]

    def has_add_permission(self, request):
        return False
