"""REST endpoints of evaluations: the list a client picks one from (an annotator's:
those of their pools, blind to the chat models), one evaluation, and creating one
with its annotator pool."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.query_parameters import KnownQueryParameters

from .evaluation_selectors import evaluations_visible
from .evaluation_serializers import (
    EvaluationCreatedSerializer,
    EvaluationCreateSerializer,
    EvaluationSerializer,
    evaluations_data,
)
from .sequential_fields import SEQUENTIAL_FIELDS
from .serializers import NOT_FOUND, ErrorSerializer
from .services.evaluations import EvaluationError, evaluation_create


class CanAddEvaluation(permissions.BasePermission):
    """Whoever is signed in reads the evaluations they may see; creating one needs
    the add permission (admins)."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or request.user.has_perm(
            "annotations.add_evaluation"
        )


class EvaluationsView(KnownQueryParameters, generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, CanAddEvaluation]
    serializer_class = EvaluationSerializer

    def get_queryset(self):
        return evaluations_visible(user=self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(evaluations_data(page, user=request.user))

    @extend_schema(
        operation_id="evaluations_list",
        responses={
            200: EvaluationSerializer(many=True),
            400: OpenApiResponse(
                ErrorSerializer,
                description="An unknown query parameter (the list takes none but "
                "page); detail names it",
            ),
        },
        summary="The evaluations you may see, newest first: every one for "
        "researchers and admins, an annotator's those whose pool they are in",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="evaluations_create",
        request=EvaluationCreateSerializer,
        responses={201: EvaluationCreatedSerializer},
        summary="Create an evaluation (head-to-head or tournament) and its pairs, "
        "with an optional annotator pool (admins)",
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
                pool=data.get("pool", []),
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


class EvaluationView(KnownQueryParameters, APIView):
    @extend_schema(
        operation_id="evaluation_read",
        responses={
            200: EvaluationSerializer,
            404: OpenApiResponse(
                ErrorSerializer,
                description="No such evaluation, or (an annotator) not in its pool",
            ),
        },
        summary="One evaluation you may see",
    )
    def get(self, request: Request, evaluation_id: int) -> Response:
        evaluation = (
            evaluations_visible(user=request.user).filter(pk=evaluation_id).first()
        )
        if evaluation is None:
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        return Response(evaluations_data([evaluation], user=request.user)[0])
