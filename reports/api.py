"""REST endpoints for reports: the report as JSON, and its downloads."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.models import Evaluation

from . import downloads
from .annotator_filters import UnknownAnnotator
from .evaluation_reports import evaluation_report, report_options_for
from .report_options import OPTIONS, ReportOptions


def option_parameters() -> list[OpenApiParameter]:
    """The report options as query parameters, with their choices as enums."""
    return [
        OpenApiParameter(
            option.name,
            option.type,
            description=option.help,
            enum=option.values or None,
        )
        for option in OPTIONS
    ]


class CanViewReports(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("annotations.view_report"))


def _options(request, evaluation: Evaluation) -> ReportOptions:
    try:
        return report_options_for(evaluation, request.query_params)
    except ValueError as error:
        raise ValidationError({"detail": str(error)}) from None


class ReportView(APIView):
    """The whole report of an evaluation with its metadata."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_retrieve",
        parameters=option_parameters(),
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        try:
            report = evaluation_report(evaluation, _options(request, evaluation))
        except UnknownAnnotator as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(report.to_json())


class ReportFileView(APIView):
    """A report download: ratings.csv, ratings.parquet, pairs.csv, report.json or
    report.csv (as on the report page)."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_file_retrieve",
        parameters=[
            OpenApiParameter(
                "filename", str, OpenApiParameter.PATH, enum=list(downloads.FILES)
            ),
            *option_parameters(),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int, filename: str):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        if filename not in downloads.FILES:
            raise Http404(f"unknown file {filename!r}")
        options = _options(request, evaluation)
        try:
            download = downloads.evaluation_download(evaluation, filename, options)
        except UnknownAnnotator as error:
            raise ValidationError({"detail": str(error)}) from None
        return downloads.attachment(download)
