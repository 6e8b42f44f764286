"""REST endpoints of quality control: an evaluation's per-annotator figures, and
gold pairs uploaded as a file."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.imports.api import RESPONSES, ImportSerializer, ImportView
from evalsite.query_parameters import KnownQueryParameters

from .evaluation_serializers import EvaluationKeyField
from .models import Evaluation
from .quality_selectors import QualityRow, quality_rows
from .services.gold_pairs import gold_pairs_import


class ShareSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True, help_text="hits / count; null when count is 0"
    )
    hits = serializers.IntegerField()
    count = serializers.IntegerField()


class QualityWarningSerializer(serializers.Serializer):
    figure = serializers.ChoiceField(
        choices=[
            "gold_accuracy",
            "self_consistency",
            "agreement",
            "fast_share",
            "tie_share",
            "side_bias",
        ]
    )
    value = serializers.FloatField(help_text="Side bias: its absolute value.")
    threshold = serializers.FloatField()
    message = serializers.CharField()


class AnnotatorQualitySerializer(serializers.Serializer):
    annotator = serializers.CharField()
    participant_id = serializers.CharField(
        help_text="The crowd platform's id (PROLIFIC_PID); blank when none."
    )
    in_pool = serializers.BooleanField()
    paused_at = serializers.DateTimeField(allow_null=True)
    pause_message = serializers.CharField()
    answers = serializers.IntegerField(help_text="Ratings and answered QC tasks.")
    ratings = serializers.IntegerField()
    gold_accuracy = ShareSerializer()
    self_consistency = ShareSerializer()
    agreement = ShareSerializer()
    median_seconds = serializers.FloatField(allow_null=True)
    fast_share = ShareSerializer(help_text="Timed answers under min_seconds.")
    tie_share = ShareSerializer()
    side_bias = serializers.FloatField(
        allow_null=True, help_text="(A - B) / decisive answers, as shown"
    )
    a_answers = serializers.IntegerField()
    b_answers = serializers.IntegerField()
    warnings = QualityWarningSerializer(many=True)


class EvaluationQualitySerializer(serializers.Serializer):
    evaluation = serializers.IntegerField()
    qc_pause = serializers.BooleanField()
    min_answers = serializers.IntegerField()
    annotators = AnnotatorQualitySerializer(many=True)


class CanViewQuality(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("annotations.view_report"))


def _share(share) -> dict:
    return {"value": share.value, "hits": share.hits, "count": share.count}


def _row(row: QualityRow) -> dict:
    quality = row.quality
    return {
        "annotator": row.username,
        "participant_id": row.participant_id,
        "in_pool": row.in_pool,
        "paused_at": row.paused_at,
        "pause_message": row.pause_message,
        "answers": quality.answers,
        "ratings": quality.ratings,
        "gold_accuracy": _share(quality.gold),
        "self_consistency": _share(quality.repeats),
        "agreement": _share(quality.agreement),
        "median_seconds": quality.median_seconds,
        "fast_share": _share(quality.fast),
        "tie_share": _share(quality.ties),
        "side_bias": quality.side_bias,
        "a_answers": quality.a_answers,
        "b_answers": quality.b_answers,
        "warnings": [vars(warning) for warning in quality.warnings],
    }


class EvaluationQualityView(KnownQueryParameters, APIView):
    """Quality-control figures per annotator of an evaluation, live: gold accuracy,
    self-consistency, agreement with the others, seconds, ties and side bias, with
    the warnings the evaluation's thresholds raise (docs/quality-control.md)."""

    permission_classes = [permissions.IsAuthenticated, CanViewQuality]

    @extend_schema(
        operation_id="evaluation_quality", responses=EvaluationQualitySerializer
    )
    def get(self, request, evaluation_id: int):
        evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
        body = {
            "evaluation": evaluation.pk,
            "qc_pause": evaluation.qc_pause,
            "min_answers": evaluation.qc_min_answers,
            "annotators": [_row(row) for row in quality_rows(evaluation=evaluation)],
        }
        return Response(EvaluationQualitySerializer(body).data)


class GoldPairImportSerializer(ImportSerializer):
    prompt_set = None  # the evaluation says which
    evaluation = EvaluationKeyField(help_text="The evaluation's name or id.")
    file = serializers.FileField(
        help_text="JSONL or CSV: prompt_id, candidate, baseline, expected "
        "(candidate, baseline or tie), optional min_strength, id, note."
    )


class GoldPairImportView(ImportView):
    required_perm = "annotations.add_goldpair"
    serializer_class = GoldPairImportSerializer

    def call_service(self, data: dict, upload) -> object:
        return gold_pairs_import(
            evaluation=data["evaluation"], file_name=upload.name, data=upload.read()
        )

    @extend_schema(
        request={"multipart/form-data": GoldPairImportSerializer}, responses=RESPONSES
    )
    def post(self, request):
        return super().post(request)
