"""REST endpoint of the judges' reports: every judge of an evaluation against its
humans, as JSON."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.models import Evaluation
from evalsite.query_parameters import (
    FORMAT,
    FORMAT_PARAMETER,
    known_parameters,
)

from .annotator_filters import UnknownAnnotator
from .api import OPTION_NAMES, CanViewReports, option_parameters
from .evaluation_judges import judge_reports, report_options_for
from .selectors import evaluation_summary


class JudgeReportsView(APIView):
    """Every judge with judgements on the evaluation against its human verdicts:
    agreement with the human majority (percent with and without ties, Cohen's
    kappa; overall and by category, turns and word-count quintile) and with the
    individual annotators, each with a bootstrap interval over prompts; position
    consistency and bias; tie rates; the confusion matrix of judge verdict
    against human verdict; the judge's own win/tie/loss (or leaderboard); and the
    definitions used. The report's options apply (aggregation, threshold,
    annotator filters, resamples, seed). ``judges`` is empty when no judge has
    judged the evaluation."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_judges_retrieve",
        parameters=[*option_parameters(), FORMAT_PARAMETER],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        known_parameters(request, (*OPTION_NAMES, FORMAT))
        try:
            options = report_options_for(evaluation, request.query_params)
            reports = judge_reports(evaluation, options)
        except (ValueError, UnknownAnnotator) as error:
            raise ValidationError({"detail": str(error)}) from None
        if reports is None:  # the same shape: the evaluation, and no judge
            summary = evaluation_summary(evaluation.pk)
            return Response({"evaluation": summary.to_json(), "judges": []})
        return Response(reports.to_json())
