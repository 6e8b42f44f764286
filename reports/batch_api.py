"""REST endpoint of the batch statistics (Table 26) of one or more evaluations."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.query_parameters import (
    FORMAT,
    FORMAT_PARAMETER,
    known_parameters,
)

from .api import CanViewReports
from .preference_batches import batch_statistics, chosen_evaluations


class BatchStatisticsView(APIView):
    """Per batch and in total: comparisons, average turns per dialogue, tokens per
    example, prompt and response, the share of each strength; the tokenizer of each
    chat model and the definitions. ``evaluation``: evaluation names or ids,
    repeated or comma-separated, as the preference export takes them (preference
    or seven-point scale)."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_batches_retrieve",
        parameters=[
            OpenApiParameter(
                "evaluation",
                str,
                many=True,
                required=True,
                description="evaluation names or ids (repeat it or separate by commas)",
            ),
            FORMAT_PARAMETER,
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        known_parameters(request, ("evaluation", FORMAT))
        try:
            evaluations = chosen_evaluations(request.query_params.getlist("evaluation"))
        except ValueError as error:
            raise ValidationError({"detail": str(error)}) from None
        statistics = batch_statistics([item.pk for item in evaluations])
        return Response(statistics.to_json())
