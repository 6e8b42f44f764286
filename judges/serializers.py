"""Serializers of the judges API: runs with their progress, judgements."""

from rest_framework import serializers

from annotations.evaluation_serializers import EvaluationKeyField
from evalsite.serializers import KnownFields, NameField

from .models import Judge, Judgement, JudgeRun


class JudgeRunStartSerializer(KnownFields, serializers.Serializer):
    """Start a run, or resume the judge's run on the evaluation."""

    evaluation = EvaluationKeyField(help_text="The evaluation's name or id.")
    judge = NameField(slug_field="name", queryset=Judge.objects.all())
    both_orders = serializers.BooleanField(
        required=False,
        help_text="Judge each pair as shown and again with the sides swapped "
        "(false when left out). Resuming a run can add the swapped order, not "
        "take it away: false for a run with both orders is refused; left out, "
        "the run keeps its orders.",
    )

    def validate(self, attrs: dict) -> dict:
        if (
            attrs.get("both_orders") is False
            and JudgeRun.objects.filter(
                evaluation=attrs["evaluation"], judge=attrs["judge"], both_orders=True
            ).exists()
        ):
            raise serializers.ValidationError({"both_orders": (
                "The judge's run on this evaluation judges both orders; a resume "
                "keeps them: leave both_orders out or set it true."
            )})  # fmt: skip
        return attrs


class JudgeRunSerializer(serializers.ModelSerializer):
    evaluation = serializers.SlugRelatedField(slug_field="name", read_only=True)
    judge = serializers.SlugRelatedField(slug_field="name", read_only=True)
    chat_model = serializers.SerializerMethodField()
    template = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = JudgeRun
        fields = [
            "id",
            "evaluation",
            "judge",
            "chat_model",
            "template",
            "both_orders",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
        ]
        read_only_fields = fields

    def get_chat_model(self, run: JudgeRun) -> str | None:
        """The chat model the run's verdicts come from (the one it started with)."""
        from .selectors import run_chat_model

        chat_model = run_chat_model(run=run)
        return chat_model.name if chat_model else None

    def get_template(self, run: JudgeRun) -> str | None:
        """The template version of the run's judgements (the judge's current one
        before any is made)."""
        from .selectors import run_templates

        used = run_templates(run=run)
        if used:
            return ", ".join(used)
        return str(run.judge.template) if run.judge.template else None

    def get_progress(self, run: JudgeRun) -> dict:
        from .selectors import run_progress

        return run_progress(run=run).as_dict()


class JudgementSerializer(serializers.ModelSerializer):
    prompt = serializers.CharField(source="comparison.prompt.external_id")
    template = serializers.StringRelatedField()

    class Meta:
        model = Judgement
        fields = [
            "id",
            "comparison",
            "prompt",
            "swapped",
            "candidate_on_left",
            "scale",
            "status",
            "choice",
            "score",
            "reply",
            "template",
            "attempts",
            "last_error",
            "finished_at",
        ]
        read_only_fields = fields
