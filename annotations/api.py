"""REST endpoints of the annotator loop: next pair; rate, skip and flag, each
answering with the next pair, so a client needs one request per click."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.query_parameters import KnownQueryParameters

from . import selectors
from .item_selectors import AS_PAIR, item_for_annotator, item_read, item_view
from .models import Assignment, Evaluation, QualityTask
from .serializers import (
    NOT_FOUND,
    AnswerSerializer,
    ErrorSerializer,
    FlagInSerializer,
    ItemAnswerInSerializer,
    ItemAnswerSerializer,
    ItemRatingAnswerSerializer,
    PairSerializer,
    RatingAnswerSerializer,
    RatingInSerializer,
    RefusalSerializer,
    invalid_body,
    pair_data,
    refusal_body,
)
from .services import assignments as services
from .services.answering import AnswerOutcome, answer_submit
from .services.membership import completion_for
from .services.quality_answers import CheckOutcome, check_answer_submit
from .services.quality_serving import item_next

_STATUS = {
    services.NotInPool: status.HTTP_403_FORBIDDEN,
    services.EvaluationClosed: status.HTTP_409_CONFLICT,
    services.EvaluationStopped: status.HTTP_409_CONFLICT,
    services.LeaseLost: status.HTTP_409_CONFLICT,
    services.AssignmentEnded: status.HTTP_409_CONFLICT,
    services.InvalidAnswer: status.HTTP_400_BAD_REQUEST,
    services.PairsBusy: status.HTTP_503_SERVICE_UNAVAILABLE,
    services.Paused: status.HTTP_403_FORBIDDEN,
}
_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input"),
    401: OpenApiResponse(description="No credentials, or a bad token"),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Code 'not_in_pool': you are not in the evaluation's pool; "
        "'paused': your work on it is paused (detail says why)",
    ),
    404: OpenApiResponse(
        ErrorSerializer, description="Not found, or another annotator's"
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="Refused; see detail. Code 'closed': the evaluation is "
        "closed; 'stopped': its stopping rule was met (docs/sequential.md); "
        "'quota_done': your quota is done (with completion_code and "
        "completion_url)",
    ),
    503: OpenApiResponse(
        ErrorSerializer,
        description="Code 'busy': every open pair is locked by other annotators' "
        "clicks right now; try again in a moment",
    ),
}
_ANSWER_ERRORS = {
    400: _ERRORS[400],
    401: _ERRORS[401],
    403: OpenApiResponse(
        RefusalSerializer,
        description="Answer refused, nothing stored, your lease released, no "
        "next pair. Code 'not_in_pool': you are no longer in the pool; 'paused': "
        "your work on the evaluation is paused (detail says why)",
    ),
    404: _ERRORS[404],
    409: OpenApiResponse(
        RefusalSerializer,
        description="Answer refused, nothing stored (lease lost, pair already "
        "skipped or flagged, or rated by an import from someone else); the next "
        "pair comes all the same. Code 'closed': the evaluation is closed, your "
        "lease released, no next pair. (A rating of yours imported meanwhile "
        "answers 200: it stands, with a notice.)",
    ),
}
_NOT_FOUND = NOT_FOUND


def _refused(error: services.AssignmentError) -> Response:
    return Response(
        refusal_body(error),
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


def _pair(item: Assignment | QualityTask | None) -> dict | None:
    if item is None:
        return None
    return pair_data(item_view(item, with_counts=False, render=False))


def _check_answered(outcome: CheckOutcome, *, action: str, user) -> Response:
    """A check's answer in the shape of a pair's (``_answered``)."""
    task = outcome.task
    state = AS_PAIR[task.state]
    if action == services.Action.FLAG and state == Assignment.State.SKIPPED:
        state = Assignment.State.FLAGGED  # stored as skipped (docs)
    pair = AnswerOutcome(
        assignment=Assignment(pk=None, state=state),
        rating=None,
        created=outcome.created,
        refusal=outcome.refusal,
        following=outcome.following,
        notice=outcome.notice,
        stopped=outcome.stopped,
    )
    response = _answered(pair, evaluation=outcome.evaluation, user=user)
    if action != services.Action.RATE or outcome.refusal is not None:
        return response
    response.data |= {
        "choice": task.choice,
        "safety_a": "",
        "safety_b": "",
        "seconds": task.seconds,
        "created": outcome.created,
    }
    if outcome.created:
        response.status_code = status.HTTP_201_CREATED
    return response


def _answered(
    outcome: AnswerOutcome, *, rated: bool = False, evaluation=None, user=None
) -> Response:
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
            evaluation=evaluation or outcome.assignment.comparison.evaluation,
            annotator=user or outcome.assignment.annotator,
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


def _validated(serializer_class, request: Request, assignment_id: int):
    """The answer's validated data, or the response refusing it: 404 when the
    assignment is not the caller's, whatever the body says (checked only when the
    body is invalid: a valid answer's service call checks it with its lock), else
    400 naming the fields."""
    data = serializer_class(data=request.data)
    if data.is_valid():
        return data.validated_data
    mine = selectors.assignment_is_annotators(
        assignment_id=assignment_id, annotator=request.user
    )
    if not mine:
        return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
    return Response(invalid_body(data.errors), status=status.HTTP_400_BAD_REQUEST)


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
        summary="Lease the next pair (or get back the one you hold); it may be a "
        "quality check, answered at its ``answer_url`` like any pair",
    )
    def post(self, request: Request, evaluation_id: int) -> Response:
        evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
        try:
            assignment = item_next(evaluation=evaluation, annotator=request.user)
        except services.QuotaDone:
            return _quota_done(evaluation, request.user)
        except services.AssignmentError as error:
            return _refused(error)
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_pair(assignment))


class AssignmentView(KnownQueryParameters, APIView):
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
        data = _validated(RatingInSerializer, request, assignment_id)
        if isinstance(data, Response):
            return data
        return _answer(
            request,
            assignment_id,
            action=services.Action.RATE,
            choice=data["choice"],
            seconds=data.get("seconds"),
            comment=data.get("comment", ""),
            safety_a=data.get("safety_a"),
            safety_b=data.get("safety_b"),
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
        data = _validated(FlagInSerializer, request, assignment_id)
        if isinstance(data, Response):
            return data
        return _answer(
            request,
            assignment_id,
            action=services.Action.FLAG,
            comment=data.get("comment", ""),
        )


class ItemView(KnownQueryParameters, APIView):
    @extend_schema(
        operation_id="item_read",
        responses={200: PairSerializer, 404: _ERRORS[404]},
        summary="One of your own items (a pair or a check), by its ``item`` name",
    )
    def get(self, request: Request, token: str) -> Response:
        try:
            item = item_for_annotator(token=token, annotator=request.user)
        except LookupError:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        return Response(_pair(item))


class ItemAnswerView(APIView):
    @extend_schema(
        operation_id="item_answer",
        request=ItemAnswerInSerializer,
        responses={
            201: ItemRatingAnswerSerializer,
            200: ItemAnswerSerializer,
            **_ANSWER_ERRORS,
        },
        summary="Answer an item (rate, skip or flag); answers with the next item",
    )
    def post(self, request: Request, token: str) -> Response:
        data = ItemAnswerInSerializer(data=request.data)
        if not data.is_valid():
            # Someone else's (or no) item is a 404 whatever the body says.
            try:
                item_for_annotator(token=token, annotator=request.user)
            except LookupError:
                return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
            return Response(
                invalid_body(data.errors), status=status.HTTP_400_BAD_REQUEST
            )
        read = item_read(token)
        if read is None:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        check, pk = read
        answer = data.validated_data
        action = answer["action"]
        if not check:
            response = _answer(
                request,
                pk,
                action=services.Action(action),
                choice=answer.get("choice"),
                seconds=answer.get("seconds"),
                comment=answer.get("comment", ""),
                safety_a=answer.get("safety_a"),
                safety_b=answer.get("safety_b"),
            )
            return _named(response, token)
        try:
            outcome = check_answer_submit(
                task_id=pk,
                annotator=request.user,
                action=action,
                choice=answer.get("choice"),
                seconds=answer.get("seconds"),
                comment=answer.get("comment", "") if action == "flag" else "",
            )
        except QualityTask.DoesNotExist:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        except services.InvalidAnswer as error:
            return _refused(error)
        return _named(_check_answered(outcome, action=action, user=request.user), token)


def _named(response: Response, token: str) -> Response:
    """The reply to an item's answer names the item answered, whatever its kind."""
    if isinstance(response.data, dict) and "state" in response.data:
        response.data = {"item": token, **response.data}
        response.data["assignment"] = None
    return response
