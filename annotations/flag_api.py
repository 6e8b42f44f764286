"""REST endpoints of the flag review queue, for admins: the flagged pairs waiting
for review, and a review (exclude, keep, reopen) of one pair."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.query_parameters import KnownQueryParameters
from evalsite.serializers import KnownFields

from . import flag_queue
from .evaluation_selectors import evaluation_by_key
from .models import Comparison, Evaluation, FlagReview
from .serializers import NOT_FOUND, ErrorSerializer
from .services.flag_reviews import MAX_NOTE, FlagReviewRefused, flag_review_record


class CanReviewFlags(permissions.BasePermission):
    """Admins: whoever may add flag reviews."""

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("annotations.add_flagreview")


class FlagSerializer(serializers.Serializer):
    annotator = serializers.CharField()
    comment = serializers.CharField()
    flagged_at = serializers.DateTimeField()
    reviewed = serializers.BooleanField(
        help_text="A review of the pair is newer than this flag."
    )
    candidate_shown_as = serializers.ChoiceField(
        choices=["A", "B"],
        help_text="The side (Model A or B) the annotator saw the candidate on.",
    )


class FlagReviewSerializer(serializers.ModelSerializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username")

    class Meta:
        model = FlagReview
        fields = ["id", "comparison", "action", "note", "reviewed_by", "reviewed_at"]


class PromptTurnSerializer(serializers.Serializer):
    role = serializers.CharField()
    content = serializers.CharField()


class PairResponseSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="Candidate or Baseline (Model x or y).")
    chat_model = serializers.CharField()
    text = serializers.CharField()


class FlaggedPairSerializer(serializers.Serializer):
    comparison_id = serializers.IntegerField()
    evaluation_id = serializers.IntegerField()
    evaluation_name = serializers.CharField()
    prompt_external_id = serializers.CharField()
    turns = PromptTurnSerializer(many=True)
    responses = PairResponseSerializer(many=True)
    flags = FlagSerializer(many=True)
    reviews = FlagReviewSerializer(
        many=True, help_text="Earlier reviews, newest first."
    )
    ratings = serializers.IntegerField()
    per_pair = serializers.IntegerField()
    excluded = serializers.BooleanField()


class FlagReviewInSerializer(KnownFields, serializers.Serializer):
    action = serializers.ChoiceField(choices=FlagReview.Action.choices)
    note = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default=""
    )


_FIELD_ERROR = OpenApiResponse(
    description="Bad input: the body names the field at fault, as "
    '{"action": ["..."]}; "comparison" when no annotator flagged the pair'
)


class _Queue(KnownQueryParameters, ListAPIView):
    permission_classes = [permissions.IsAuthenticated, CanReviewFlags]
    serializer_class = FlaggedPairSerializer

    def evaluation_id(self) -> int | None:
        return None

    def get_queryset(self):
        return flag_queue.pending_pairs(evaluation_id=self.evaluation_id())

    def list(self, request: Request, *args, **kwargs) -> Response:
        ids = self.get_queryset().values_list("pk", flat=True)
        page = self.paginate_queryset(ids)
        pairs = flag_queue.flagged_pairs(list(page))
        return self.get_paginated_response(self.get_serializer(pairs, many=True).data)


class EvaluationFlagsView(_Queue):
    def evaluation_id(self) -> int:
        return get_object_or_404(Evaluation, pk=self.kwargs["evaluation_id"]).pk

    @extend_schema(
        operation_id="evaluation_flags",
        responses={
            200: FlaggedPairSerializer(many=True),
            400: OpenApiResponse(
                ErrorSerializer,
                description="An unknown query parameter (it takes none but page); "
                "detail names it",
            ),
        },
        summary="The evaluation's flagged pairs with a flag not yet reviewed, the "
        "longest waiting first (admins)",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class FlagsView(_Queue):
    query_parameters = ("evaluation",)

    def evaluation_id(self) -> int | None:
        key = self.request.query_params.get("evaluation")
        if key is None:
            return None
        evaluation = evaluation_by_key(key)
        if evaluation is None:
            raise ValidationError(
                {"detail": f"evaluation: no evaluation named or numbered {key[:40]!r}"}
            )
        return evaluation.pk

    @extend_schema(
        operation_id="flags",
        parameters=[
            OpenApiParameter(
                "evaluation",
                str,
                description="Only this evaluation's pairs: its name or id (400 for "
                "none such).",
            )
        ],
        responses={
            200: FlaggedPairSerializer(many=True),
            400: OpenApiResponse(
                ErrorSerializer,
                description="An unknown query parameter, or no such evaluation; "
                "detail names it",
            ),
        },
        summary="Flagged pairs with a flag not yet reviewed, in every evaluation or "
        "one (admins)",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class FlagReviewView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReviewFlags]

    @extend_schema(
        operation_id="comparison_flag_reviews",
        responses={200: FlagReviewSerializer(many=True)},
        summary="Every review of a pair, newest first (admins)",
    )
    def get(self, request: Request, comparison_id: int) -> Response:
        comparison = get_object_or_404(Comparison, pk=comparison_id)
        reviews = comparison.flag_reviews.select_related("reviewed_by")
        return Response(FlagReviewSerializer(reviews, many=True).data)

    @extend_schema(
        operation_id="comparison_flag_review",
        request=FlagReviewInSerializer,
        responses={
            201: FlagReviewSerializer,
            200: OpenApiResponse(
                FlagReviewSerializer,
                description="Your repeat of the pair's latest decision (same action "
                "and note): nothing new stored; that decision",
            ),
            400: _FIELD_ERROR,
            404: OpenApiResponse(
                ErrorSerializer, description="No such pair (code not_found)"
            ),
        },
        summary="Review a flagged pair: exclude it from reports, keep it, or reopen "
        "it for rating; the latest review decides (admins)",
    )
    def post(self, request: Request, comparison_id: int) -> Response:
        given = FlagReviewInSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            decision = flag_review_record(
                comparison_id=comparison_id,
                reviewer=request.user,
                **given.validated_data,
            )
        except Comparison.DoesNotExist:
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        except FlagReviewRefused as error:
            return Response(
                {error.field: [error.message]}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(
            FlagReviewSerializer(decision.review).data,
            status=status.HTTP_201_CREATED if decision.created else status.HTTP_200_OK,
        )
