"""REST API of the judges app: judge runs (start or resume, cancel) and judgements."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evalsite.query_parameters import KnownQueryParameters
from generations.api import ModelPermissions, ServiceUnavailable, drf_error

from . import selectors
from .serializers import (
    JudgementSerializer,
    JudgeRunSerializer,
    JudgeRunStartSerializer,
)
from .services import runs


class JudgeRunViewSet(
    KnownQueryParameters,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Judge runs: POST starts one (or resumes the judge's run on the evaluation);
    ``cancel`` and ``resume`` act on it; ``judgements`` lists its verdicts."""

    queryset = selectors.run_list()
    serializer_class = JudgeRunSerializer
    permission_classes = [ModelPermissions]

    @extend_schema(
        request=JudgeRunStartSerializer,
        responses={201: JudgeRunSerializer, 202: JudgeRunSerializer},
    )
    def create(self, request: Request) -> Response:
        start = JudgeRunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        data = start.validated_data
        started = self._start(
            evaluation=data["evaluation"],
            judge=data["judge"],
            both_orders=data.get("both_orders", False),
            created_by=request.user,
        )
        return Response(
            self.get_serializer(started.run).data,
            status=status.HTTP_201_CREATED
            if started.created
            else status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = runs.run_cancel(run=self.get_object())
        return Response(self.get_serializer(selectors.run_list().get(pk=run.pk)).data)

    @extend_schema(request=None, responses={202: JudgeRunSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        started = self._start(evaluation=run.evaluation, judge=run.judge)
        return Response(
            self.get_serializer(started.run).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(responses=JudgementSerializer(many=True))
    @action(detail=True, methods=["get"])
    def judgements(self, request: Request, pk: str | None = None) -> Response:
        items = selectors.run_judgements(run=self.get_object())
        page = self.paginate_queryset(items)
        return self.get_paginated_response(JudgementSerializer(page, many=True).data)

    def _start(self, **arguments) -> runs.Started:
        try:
            started = runs.run_start(**arguments)
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc
        except runs.OUTAGES as exc:
            raise ServiceUnavailable(str(exc)) from exc
        return started._replace(run=selectors.run_list().get(pk=started.run.pk))
