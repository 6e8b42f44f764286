"""Django admin of the consistency app: evaluations (pool, models) and their data."""

from django.contrib import admin

from .models import ConsistencyEvaluation, Dialogue, Instruction


class InstructionInline(admin.TabularInline):
    model = Instruction
    extra = 0
    fields = ("external_id", "attribute", "system_message", "probes")


@admin.register(ConsistencyEvaluation)
class ConsistencyEvaluationAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "annotators_per_reply", "created_at")
    filter_horizontal = ("chat_models", "annotators")
    inlines = [InstructionInline]


@admin.register(Dialogue)
class DialogueAdmin(admin.ModelAdmin):
    list_display = ("instruction", "chat_model", "status", "turns_completed", "note")
    list_filter = ("status", "evaluation")
    readonly_fields = ("evaluation", "instruction", "chat_model")
