"""REST endpoints of the annotator loop: next pair; rate, skip and flag, each
answering with the next pair, so a client needs one request per click."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .models import Assignment, Evaluation
from .serializers import (
    AnswerSerializer,
    ErrorSerializer,
    FlagInSerializer,
    PairSerializer,
    RatingAnswerSerializer,
    RatingInSerializer,
    RefusalSerializer,
    pair_data,
)
from .services import assignments as services
from .services.answering import AnswerOutcome, answer_submit
from .services.membership import completion_for

_STATUS = {
    services.NotInPool: status.HTTP_403_FORBIDDEN,
    services.EvaluationClosed: status.HTTP_409_CONFLICT,
    services.LeaseLost: status.HTTP_409_CONFLICT,
    services.AssignmentEnded: status.HTTP_409_CONFLICT,
    services.InvalidAnswer: status.HTTP_400_BAD_REQUEST,
    services.PairsBusy: status.HTTP_503_SERVICE_UNAVAILABLE,
    services.Paused: status.HTTP_403_FORBIDDEN,
}
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input"),
    403: OpenApiResponse(ErrorSerializer, description="Not in the pool"),
    404: OpenApiResponse(description="Not found, or another annotator's"),
    409: OpenApiResponse(ErrorSerializer, description="Refused; see detail"),
    503: OpenApiResponse(
        ErrorSerializer,
        description="Code 'busy': every open pair is locked by other annotators' "
        "clicks right now; try again in a moment",
    ),
}
_ANSWER_ERRORS = {
    400: _ERRORS[400],
    403: OpenApiResponse(
        RefusalSerializer,
        description="You are no longer in the pool: answer refused, nothing "
        "stored, your lease released, no next pair",
    ),
    404: _ERRORS[404],
    409: OpenApiResponse(
        RefusalSerializer,
        description="Answer refused, nothing stored (lease lost, pair already "
        "skipped, flagged or rated by an import); the next pair comes all the "
        "same. Code 'closed': the evaluation is closed, your lease released, no "
        "next pair",
    ),
}
_NOT_FOUND = {"detail": "Not found."}


def _refused(error: services.AssignmentError) -> Response:
    return Response(
        {"detail": error.message, "code": error.code},
        status=_STATUS.get(type(error), status.HTTP_409_CONFLICT),
    )


def _quota_done(evaluation: Evaluation, user) -> Response:
    """409 'quota_done' with the completion code and address to hand on."""
    completion = completion_for(evaluation=evaluation, annotator=user)
    return Response(
        {
            "detail": services.QuotaDone().message,
            "code": services.QuotaDone.code,
            "completion_code": completion.code if completion else "",
            "completion_url": completion.url if completion else "",
        },
        status=status.HTTP_409_CONFLICT,
    )


def _pair(assignment: Assignment | None) -> dict | None:
    if assignment is None:
        return None
    return pair_data(selectors.pair_view(assignment, with_counts=False, render=False))


def _answered(outcome: AnswerOutcome, *, rated: bool = False) -> Response:
    """The answer as stored and the next pair, in the shape of AnswerSerializer,
    RatingAnswerSerializer or RefusalSerializer (which document it)."""
    following = _pair(outcome.following)
    if outcome.refusal is not None:
        body = {
            "detail": outcome.refusal.message,
            "code": outcome.refusal.code,
            "next": following,
        }
        return Response(
            body,
            status=_STATUS.get(type(outcome.refusal), status.HTTP_409_CONFLICT),
        )
    stopped = outcome.stopped
    completion = (
        completion_for(
            evaluation=outcome.assignment.comparison.evaluation,
            annotator=outcome.assignment.annotator,
        )
        if isinstance(stopped, services.QuotaDone)
        else None
    )
    body = {
        "assignment": outcome.assignment.pk,
        "state": outcome.assignment.state,
        "notice": outcome.notice,
        "next": following,
        "stopped": stopped.code if stopped else "",
        "completion_code": completion.code if completion else "",
        "completion_url": completion.url if completion else "",
    }
    if not rated:
        return Response(body)
    rating = outcome.rating
    body |= {
        "choice": rating.choice,
        "safety_a": rating.safety_a,
        "safety_b": rating.safety_b,
        "seconds": rating.seconds,
        "created": outcome.created,
    }
    return Response(
        body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
    )


def _answer(request: Request, assignment_id: int, **answer) -> Response:
    try:
        outcome = answer_submit(
            assignment_id=assignment_id, annotator=request.user, **answer
        )
    except Assignment.DoesNotExist:
        return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
    except services.InvalidAnswer as error:
        return _refused(error)
    return _answered(outcome, rated=answer["action"] == services.Action.RATE)


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
        except services.QuotaDone:
            return _quota_done(evaluation, request.user)
        except services.AssignmentError as error:
            return _refused(error)
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_pair(assignment))


class AssignmentView(APIView):
    @extend_schema(
        operation_id="assignment_read",
        responses={200: PairSerializer, 404: _ERRORS[404]},
        summary="One of your own assignments",
    )
    def get(self, request: Request, assignment_id: int) -> Response:
        try:
            assignment = selectors.assignment_for_annotator(
                assignment_id=assignment_id, annotator=request.user
            )
        except Assignment.DoesNotExist:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        return Response(_pair(assignment))


class RatingView(APIView):
    @extend_schema(
        operation_id="assignment_rate",
        request=RatingInSerializer,
        responses={
            201: RatingAnswerSerializer,
            200: OpenApiResponse(
                RatingAnswerSerializer, description="Already submitted"
            ),
            **_ANSWER_ERRORS,
        },
        summary="Submit the rating of a leased pair; answers with the next pair",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        data = RatingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _answer(
            request,
            assignment_id,
            action=services.Action.RATE,
            choice=data.validated_data["choice"],
            seconds=data.validated_data.get("seconds"),
            comment=data.validated_data.get("comment", ""),
            safety_a=data.validated_data.get("safety_a"),
            safety_b=data.validated_data.get("safety_b"),
        )


class SkipView(APIView):
    @extend_schema(
        operation_id="assignment_skip",
        request=None,
        responses={200: AnswerSerializer, **_ANSWER_ERRORS},
        summary="Skip a pair (it is not offered to you again); answers with the "
        "next pair",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        return _answer(request, assignment_id, action=services.Action.SKIP)


class FlagView(APIView):
    @extend_schema(
        operation_id="assignment_flag",
        request=FlagInSerializer,
        responses={200: AnswerSerializer, **_ANSWER_ERRORS},
        summary="Flag a broken response, with an optional comment; answers with "
        "the next pair",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        data = FlagInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _answer(
            request,
            assignment_id,
            action=services.Action.FLAG,
            comment=data.validated_data.get("comment", ""),
        )
