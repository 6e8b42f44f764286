"""REST endpoints of the consistency app: upload, start, judge, report."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.serializers import ErrorSerializer
from evalsite.imports.api import (
    RESPONSES,
    ImportErrorSerializer,
    file_errors,
    form_errors,
)
from evalsite.imports.reader import ImportFileError
from generations.api import ServiceUnavailable

from . import selectors, serializers
from .forms import names
from .models import ConsistencyEvaluation
from .report import consistency_report
from .services import imports, judging, runs
from .views import ADD, CHANGE, VIEW


class HasPerm(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        perm = getattr(view, "required_perm", None)
        return perm is None or request.user.has_perm(perm)


class Base(APIView):
    permission_classes = [permissions.IsAuthenticated, HasPerm]
    required_perm: str | None = VIEW

    def evaluation(self, pk: int) -> ConsistencyEvaluation:
        return get_object_or_404(ConsistencyEvaluation, pk=pk)


def _refusal(exc: Exception) -> exceptions.APIException:
    """A refusal of the annotator loop as an error body with the code the
    annotations API gives its own (``{"detail", "code"}``)."""
    if isinstance(exc, judging.NotInPool):
        return exceptions.PermissionDenied(str(exc), code="not_in_pool")
    if isinstance(exc, judging.RepliesBusy):
        return ServiceUnavailable(str(exc), code="busy")
    return exceptions.NotFound(str(exc))


class UploadView(Base):
    parser_classes = [MultiPartParser, FormParser]
    required_perm = ADD

    @extend_schema(
        request={"multipart/form-data": serializers.ConsistencyUploadSerializer},
        responses={
            201: serializers.ConsistencyImportResultSerializer,
            400: OpenApiResponse(
                ImportErrorSerializer, description="Line and field errors."
            ),
            409: RESPONSES[409],
            415: RESPONSES[415],
        },
    )
    def post(self, request):
        form = serializers.ConsistencyUploadSerializer(data=request.data)
        if not form.is_valid():
            return form_errors(form)
        data, file = form.validated_data, form.validated_data["file"]
        try:
            result = imports.instructions_import(
                evaluation_name=data["evaluation"],
                file_name=file.name,
                data=file.read(),
                chat_model_names=names(data["chat_models"]),
                annotator_names=names(data["annotators"]),
                annotators_per_reply=data.get("annotators_per_reply"),
                created_by=request.user,
            )
        except ImportFileError as exc:
            return file_errors(exc)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class EvaluationView(Base):
    @extend_schema(responses=serializers.ConsistencyEvaluationSerializer)
    def get(self, request, pk: int):
        evaluation = self.evaluation(pk)
        return Response(
            {
                "id": evaluation.pk,
                "name": evaluation.name,
                "status": evaluation.status,
                "annotators_per_reply": evaluation.annotators_per_reply,
                "instructions": evaluation.instructions.count(),
                "dialogues": selectors.dialogue_counts(evaluation=evaluation),
                **selectors.judging_progress(evaluation=evaluation),
            }
        )


class StartView(Base):
    required_perm = CHANGE

    @extend_schema(
        request=None,
        responses={
            202: serializers.ConsistencyStartedSerializer,
            503: OpenApiResponse(
                ErrorSerializer,
                description="Code 'service_unavailable': a chat model's server "
                "or the broker does not answer; nothing is queued.",
            ),
        },
    )
    def post(self, request, pk: int):
        try:
            queued = runs.evaluation_start(evaluation=self.evaluation(pk))
        except runs.UNAVAILABLE as exc:
            raise ServiceUnavailable(str(exc)) from exc
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


class NextView(Base):
    required_perm = None  # the annotator pool decides

    @extend_schema(
        request=None,
        responses={
            200: serializers.ConsistencyShownReplySerializer,
            204: OpenApiResponse(),
        },
    )
    def post(self, request, pk: int):
        # POST, not GET: it leases a reply (as POST /api/evaluations/<id>/next/ leases a pair).
        try:
            shown = judging.judgement_next(
                evaluation=self.evaluation(pk), annotator=request.user
            )
        except (judging.NotInPool, judging.RepliesBusy) as exc:
            raise _refusal(exc) from exc
        if shown is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(serializers.ConsistencyShownReplySerializer(shown).data)


class AnswerView(Base):
    required_perm = None

    @extend_schema(
        request=serializers.ConsistencyAnswerSerializer,
        responses=serializers.ConsistencyOutcomeSerializer,
    )
    def post(self, request, pk: int):
        form = serializers.ConsistencyAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            outcome = judging.judgement_answer(
                evaluation=self.evaluation(pk),
                annotator=request.user,
                judgement_id=form.validated_data["judgement"],
                answer=form.validated_data["answer"],
            )
        except (
            judging.NotInPool,
            judging.RepliesBusy,
            judging.JudgementNotFound,
        ) as exc:
            raise _refusal(exc) from exc
        return Response(serializers.ConsistencyOutcomeSerializer(outcome).data)


class ReportView(Base):
    @extend_schema(
        parameters=[serializers.ConsistencyReportQuerySerializer],
        responses=serializers.ConsistencyReportSerializer,
    )
    def get(self, request, pk: int):
        params = request.query_params.copy()
        params.pop("format", None)  # DRF's own (?format=api), not an option
        query = serializers.ConsistencyReportQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        report = consistency_report(
            evaluation=self.evaluation(pk), **query.validated_data
        )
        return Response(serializers.ConsistencyReportSerializer(report).data)
