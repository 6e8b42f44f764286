"""REST endpoints for importing ratings and creating evaluations."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.imports.api import RESPONSES, ImportSerializer
from evalsite.imports.limits import (
    MAX_ANNOTATORS_PER_PAIR,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
)
from evalsite.serializers import KnownFields
from generations.api_imports import BackgroundImportView
from generations.models import ChatModel, PromptSet

from .models import Evaluation
from .sequential_fields import (
    MAX_ADAPTIVE_TOP,
    MAX_MIN_PAIRS,
    SEQUENTIAL_FIELDS,
    sequential_errors,
)
from .services.evaluations import EvaluationError, evaluation_create
from .services.imports import ratings_import


class RatingImportSerializer(ImportSerializer):
    evaluation = serializers.CharField(max_length=MAX_NAME_CHARS)
    scale = serializers.ChoiceField(choices=Evaluation.Scale.choices)
    candidate = serializers.CharField(max_length=MAX_NAME_CHARS, required=False)


class RatingImportView(BackgroundImportView):
    required_perm = "annotations.add_rating"
    background_kind = "ratings"
    serializer_class = RatingImportSerializer

    def call_service(self, data: dict, upload) -> object:
        return ratings_import(
            prompt_set_name=data["prompt_set"],
            evaluation_name=data["evaluation"],
            scale=data["scale"],
            candidate_name=data.get("candidate"),
            file_name=upload.name,
            data=upload.read(),
            created_by=self.request.user,
        )

    @extend_schema(
        request={"multipart/form-data": RatingImportSerializer}, responses=RESPONSES
    )
    def post(self, request):
        return super().post(request)


class NameField(serializers.SlugRelatedField):
    """An object by its name; a name no column can hold is refused, not looked up
    (PostgreSQL refuses a NUL character even in a query)."""

    default_error_messages = {
        "blank": "Give a name: this field may not be blank.",
        "not_a_name": "Expected a name (a string), got {kind}.",
    }

    def run_validation(self, data=serializers.empty):
        # DRF's related fields read "" as null ("may not be null"): say what it is.
        if data == "" and not self.allow_null:
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_name", kind=type(data).__name__)
        if "\x00" in data or len(data) > MAX_NAME_CHARS:
            self.fail("invalid")
        return super().to_internal_value(data)


class EvaluationCreateSerializer(KnownFields, serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME_CHARS)
    prompt_set = NameField(slug_field="name", queryset=PromptSet.objects.all())
    candidate = NameField(
        slug_field="name", queryset=ChatModel.objects.all(), required=False
    )
    baseline = NameField(
        slug_field="name", queryset=ChatModel.objects.all(), required=False
    )
    chat_models = NameField(
        slug_field="name", queryset=ChatModel.objects.all(), many=True, required=False
    )
    scale = serializers.ChoiceField(choices=Evaluation.Scale.choices, default="seven")
    safety_labels = serializers.BooleanField(
        default=False,
        help_text="Preference scale: each response also gets a safe / unsafe label.",
    )
    batch = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=Evaluation._meta.get_field("batch").max_length,
        help_text="The preference data's batch label; blank: the week of each rating.",
    )
    annotators_per_pair = serializers.IntegerField(
        min_value=1, max_value=MAX_ANNOTATORS_PER_PAIR, default=3
    )
    pairs_per_prompt = serializers.IntegerField(min_value=1, required=False)
    guidelines = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=MAX_TEXT_CHARS
    )
    allocation = serializers.ChoiceField(
        choices=Evaluation.Allocation.choices,
        default=Evaluation.Allocation.UNIFORM,
        help_text="Tournaments: uniform, or adaptive (docs/sequential.md).",
    )
    adaptive_top = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ADAPTIVE_TOP,
        default=10,
        help_text="Adaptive: narrow the scores of this many best models first.",
    )
    adaptive_width = serializers.FloatField(
        min_value=0,
        default=1.0,
        help_text="Adaptive: the 95 % interval width (log-score) that is narrow "
        "enough for a top model.",
    )
    stop_rule = serializers.ChoiceField(
        choices=Evaluation.StopRule.choices,
        default=Evaluation.StopRule.NONE,
        help_text="Head-to-head: stop handing out pairs when the always-valid "
        "sequence has decided (docs/sequential.md).",
    )
    stop_width = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The width rule's target width, in (0, 1].",
    )
    stop_min_pairs = serializers.IntegerField(
        min_value=0, max_value=MAX_MIN_PAIRS, default=0
    )

    def validate(self, data: dict) -> dict:
        if data.get("chat_models"):
            # A tournament's models are chat_models; a head-to-head's, candidate and
            # baseline. Both at once is a contradiction, not a tournament.
            both = [name for name in ("candidate", "baseline") if data.get(name)]
            if both:
                raise serializers.ValidationError(
                    {
                        name: "give candidate and baseline (a head-to-head) or "
                        "chat_models (a tournament), not both"
                        for name in both
                    }
                )
        kind = (
            Evaluation.Kind.TOURNAMENT
            if data.get("chat_models")
            else Evaluation.Kind.HEAD_TO_HEAD
        )
        values = {name: data.get(name) for name in SEQUENTIAL_FIELDS}
        if errors := sequential_errors(kind=kind, **values):
            raise serializers.ValidationError(errors)
        return data


class EvaluationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    comparisons = serializers.IntegerField()
    left_out = serializers.DictField(child=serializers.IntegerField())


class CanAddEvaluation(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("annotations.add_evaluation")


class EvaluationCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanAddEvaluation]

    @extend_schema(
        request=EvaluationCreateSerializer, responses={201: EvaluationCreatedSerializer}
    )
    def post(self, request):
        serializer = EvaluationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = evaluation_create(
                name=data["name"],
                prompt_set=data["prompt_set"],
                candidate=data.get("candidate"),
                baseline=data.get("baseline"),
                chat_models=data.get("chat_models") or None,
                scale=data["scale"],
                safety_labels=data["safety_labels"],
                batch=data["batch"],
                annotators_per_pair=data["annotators_per_pair"],
                pairs_per_prompt=data.get("pairs_per_prompt"),
                guidelines=data["guidelines"],
                created_by=request.user,
                **{name: data[name] for name in SEQUENTIAL_FIELDS},
            )
        except EvaluationError as exc:
            # Keyed by field, as the serializer's own errors (it was {"detail"}).
            errors = {name: [why] for name, why in exc.errors.items()}
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "id": result.evaluation.pk,
            "name": result.evaluation.name,
            "comparisons": result.created,
            "left_out": result.left_out,
        }
        return Response(body, status=status.HTTP_201_CREATED)
