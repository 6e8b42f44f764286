"""REST endpoints for reports: the report as JSON, and its CSV and data downloads."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.models import Evaluation

from . import exports, selectors
from .building import evaluation_report, options_from

OPTION_PARAMETERS = [
    OpenApiParameter("aggregation", str, enum=["majority", "median", "mean", "rating"]),
    OpenApiParameter("threshold", int, enum=[1, 2]),
    OpenApiParameter("seed", int),
    OpenApiParameter("resamples", int),
    OpenApiParameter("interval", str, enum=["bootstrap", "wilson"]),
    OpenApiParameter("weights", str, enum=["quadratic", "linear", "ordinal"]),
]
FILES = {
    "report.csv": "text/csv",
    "pairs.csv": "text/csv",
    "ratings.csv": "text/csv",
    "ratings.parquet": "application/vnd.apache.parquet",
}


class CanViewReports(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("annotations.view_report"))


def _options(request, evaluation):
    try:
        return options_from(request.query_params, evaluation)
    except ValueError as error:
        raise ValidationError({"detail": str(error)}) from None


class ReportView(APIView):
    """The whole report of an evaluation with its metadata."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_retrieve",
        parameters=OPTION_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        return Response(evaluation_report(evaluation, _options(request, evaluation)))


class ReportFileView(APIView):
    """A report download: report.csv, pairs.csv, ratings.csv or ratings.parquet."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_file_retrieve",
        parameters=OPTION_PARAMETERS,
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int, filename: str):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        if filename not in FILES:
            return Response({"detail": f"unknown file {filename!r}"}, status=404)
        options = _options(request, evaluation)
        if filename == "report.csv":
            content = exports.report_csv(evaluation_report(evaluation, options))
        else:
            ratings = selectors.ratings_frame([evaluation.pk])
            content = {
                "pairs.csv": lambda: exports.pairs_csv(ratings, options),
                "ratings.csv": lambda: exports.ratings_csv(ratings),
                "ratings.parquet": lambda: exports.ratings_parquet(ratings),
            }[filename]()
        response = HttpResponse(content, content_type=FILES[filename])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
