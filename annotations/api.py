"""REST endpoints of the annotator loop: next pair, rate, skip, flag."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .models import Assignment, Evaluation
from .serializers import (
    AssignmentStateSerializer,
    ErrorSerializer,
    FlagInSerializer,
    PairSerializer,
    RatingInSerializer,
    RatingOutSerializer,
)
from .services import assignments as services

_STATUS = {
    services.NotInPool: status.HTTP_403_FORBIDDEN,
    services.EvaluationClosed: status.HTTP_409_CONFLICT,
    services.LeaseLost: status.HTTP_409_CONFLICT,
    services.AssignmentEnded: status.HTTP_409_CONFLICT,
    services.InvalidAnswer: status.HTTP_400_BAD_REQUEST,
}
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input"),
    403: OpenApiResponse(ErrorSerializer, description="Not in the pool"),
    404: OpenApiResponse(description="Not found, or another annotator's"),
    409: OpenApiResponse(ErrorSerializer, description="Refused; see detail"),
}


def _refused(error: services.AssignmentError) -> Response:
    return Response(
        {"detail": error.message, "code": error.code},
        status=_STATUS.get(type(error), status.HTTP_409_CONFLICT),
    )


def _pair(assignment_id: int, user) -> dict:
    assignment = selectors.assignment_for_annotator(
        assignment_id=assignment_id, annotator=user
    )
    return PairSerializer(
        selectors.pair_view(assignment, with_counts=False, render=False)
    ).data


class NextPairView(APIView):
    @extend_schema(
        operation_id="evaluation_next_pair",
        request=None,
        responses={
            200: PairSerializer,
            204: OpenApiResponse(description="Nothing is left for you"),
            **_ERRORS,
        },
        summary="Lease the next pair (or get back the one you hold)",
    )
    def post(self, request: Request, evaluation_id: int) -> Response:
        evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
        try:
            assignment = services.assignment_next(
                evaluation=evaluation, annotator=request.user
            )
        except services.AssignmentError as error:
            return _refused(error)
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_pair(assignment.pk, request.user))


class AssignmentView(APIView):
    @extend_schema(
        operation_id="assignment_read",
        responses={200: PairSerializer, 404: _ERRORS[404]},
        summary="One of your own assignments",
    )
    def get(self, request: Request, assignment_id: int) -> Response:
        try:
            return Response(_pair(assignment_id, request.user))
        except Assignment.DoesNotExist:
            return Response({"detail": "Not found."}, status=404)


class RatingView(APIView):
    @extend_schema(
        operation_id="assignment_rate",
        request=RatingInSerializer,
        responses={
            201: RatingOutSerializer,
            200: OpenApiResponse(RatingOutSerializer, description="Already submitted"),
            **_ERRORS,
        },
        summary="Submit the rating of a leased pair",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        data = RatingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.rating_submit(
                assignment_id=assignment_id,
                annotator=request.user,
                choice=data.validated_data["choice"],
                seconds=data.validated_data.get("seconds"),
                comment=data.validated_data.get("comment", ""),
            )
        except Assignment.DoesNotExist:
            return Response({"detail": "Not found."}, status=404)
        except services.AssignmentError as error:
            return _refused(error)
        rating = result.rating
        body = RatingOutSerializer(
            {
                "assignment_id": assignment_id,
                "choice": rating.choice,
                "seconds": rating.seconds,
                "created": result.created,
            }
        ).data
        return Response(body, status=201 if result.created else 200)


class SkipView(APIView):
    @extend_schema(
        operation_id="assignment_skip",
        request=None,
        responses={200: AssignmentStateSerializer, **_ERRORS},
        summary="Skip a pair; it is not offered to you again",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        try:
            assignment = services.assignment_skip(
                assignment_id=assignment_id, annotator=request.user
            )
        except Assignment.DoesNotExist:
            return Response({"detail": "Not found."}, status=404)
        except services.AssignmentError as error:
            return _refused(error)
        return Response(AssignmentStateSerializer(assignment).data)


class FlagView(APIView):
    @extend_schema(
        operation_id="assignment_flag",
        request=FlagInSerializer,
        responses={200: AssignmentStateSerializer, **_ERRORS},
        summary="Flag a broken response, with an optional comment",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        data = FlagInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            assignment = services.assignment_flag(
                assignment_id=assignment_id,
                annotator=request.user,
                comment=data.validated_data.get("comment", ""),
            )
        except Assignment.DoesNotExist:
            return Response({"detail": "Not found."}, status=404)
        except services.AssignmentError as error:
            return _refused(error)
        return Response(AssignmentStateSerializer(assignment).data)
