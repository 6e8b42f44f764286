"""REST endpoint of the reward-model report: the whole report as JSON."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.models import Evaluation
from evalsite.query_parameters import (
    FORMAT_PARAMETER,
    known_parameters,
)

from .api import CanViewReports
from .reward_accuracy import MAX_BINS, reward_options, reward_report

PARAMETERS = [
    OpenApiParameter(
        "threshold",
        float,
        description="A response whose probability of being safe is below it is "
        "flagged unsafe (recall of unsafe responses); between 0 and 1, default 0.5.",
    ),
    OpenApiParameter(
        "split", bool, description="The score histograms by preference strength."
    ),
    OpenApiParameter(
        "bins", int, description=f"Bins per histogram, 2 to {MAX_BINS}; default 20."
    ),
    FORMAT_PARAMETER,
]


class RewardReportView(APIView):
    """Reward-model accuracy by preference strength (per rating and by majority),
    by safety meta category, the recall of unsafe responses, score histograms and
    the mean score per median Likert rating, with the definitions used."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="reward_report_retrieve",
        parameters=PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        known_parameters(request, [parameter.name for parameter in PARAMETERS])
        try:
            options = reward_options(request.query_params)
        except ValueError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(reward_report(evaluation, options).to_json())
