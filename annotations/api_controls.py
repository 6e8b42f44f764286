"""REST endpoints of the annotator's own controls: list and change their last
ratings, undo a skip just made."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.query_parameters import KnownQueryParameters

from . import selectors
from .item_selectors import item_view
from .models import Assignment, Evaluation, Rating
from .serializers import (
    NOT_FOUND,
    ErrorSerializer,
    OwnRatingSerializer,
    PairSerializer,
    RatingChangedSerializer,
    RatingChangeInSerializer,
    invalid_body,
    pair_data,
    refusal_body,
)
from .services import answer_changes
from .services.assignment_errors import (
    AssignmentError,
    EvaluationClosed,
    InvalidAnswer,
    NotInPool,
    Paused,
)

_STATUS = {
    InvalidAnswer: status.HTTP_400_BAD_REQUEST,
    NotInPool: status.HTTP_403_FORBIDDEN,
    Paused: status.HTTP_403_FORBIDDEN,
    EvaluationClosed: status.HTTP_409_CONFLICT,
}
_NOT_FOUND = NOT_FOUND
_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Bad input; the detail (or the key) names the field",
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Code 'not_in_pool': you are no longer in the evaluation's "
        "pool; 'paused': your work on it is paused (detail says why)",
    ),
    404: OpenApiResponse(
        ErrorSerializer, description="Not found, or another annotator's"
    ),
}


def _refused(error: AssignmentError) -> Response:
    return Response(
        refusal_body(error),
        status=_STATUS.get(type(error), status.HTTP_409_CONFLICT),
    )


def _own(rating: Rating) -> selectors.RecentRating:
    """The rating as the annotator sees it, and whether it can still change."""
    for recent in selectors.ratings_recent(
        evaluation=rating.comparison.evaluation, annotator_id=rating.annotator_id
    ):
        if recent.rating_id == rating.pk:
            return recent
    return selectors.RecentRating(
        rating_id=rating.pk,
        assignment_id=rating.assignment_id,
        choice=rating.choice,
        label=selectors.choice_label(rating.scale, rating.choice),
        comment=rating.comment,
        prompt_preview="",
        created_at=rating.created_at,
        editable=False,
        safety_a=rating.safety_a,
        safety_b=rating.safety_b,
    )


class RecentRatingsView(KnownQueryParameters, APIView):
    @extend_schema(
        operation_id="evaluation_recent_ratings",
        responses={200: OwnRatingSerializer(many=True), 404: _ERRORS[404]},
        summary="Your last ratings in an evaluation (its edit window), newest first",
    )
    def get(self, request: Request, evaluation_id: int) -> Response:
        evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
        recent = selectors.ratings_recent(
            evaluation=evaluation, annotator_id=request.user.pk
        )
        return Response(OwnRatingSerializer(recent, many=True).data)


class RatingChangeView(KnownQueryParameters, APIView):
    @extend_schema(
        operation_id="rating_read",
        responses={200: OwnRatingSerializer, 404: _ERRORS[404]},
        summary="One of your own ratings",
    )
    def get(self, request: Request, rating_id: int) -> Response:
        rating = self._rating(request, rating_id)
        if rating is None:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        return Response(OwnRatingSerializer(_own(rating)).data)

    @extend_schema(
        operation_id="rating_change",
        request=RatingChangeInSerializer,
        responses={
            200: RatingChangedSerializer,
            **_ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Code 'not_editable': older than your last ratings "
                "(the evaluation's edit window) or the pair is complete; code "
                "'closed': the evaluation is closed. Nothing changed",
            ),
        },
        summary="Change the choice, rationale or safety labels of one of your last "
        "ratings while its pair is not complete; each change is kept in its history",
    )
    def patch(self, request: Request, rating_id: int) -> Response:
        data = RatingChangeInSerializer(data=request.data)
        if not data.is_valid():
            # Another annotator's rating is not found, whatever the body says (as
            # the answer endpoints): a 400 would tell that it exists.
            if self._rating(request, rating_id) is None:
                return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
            return Response(
                invalid_body(data.errors), status=status.HTTP_400_BAD_REQUEST
            )
        try:
            revision = answer_changes.rating_revise(
                rating_id=rating_id, annotator=request.user, **data.validated_data
            )
        except Rating.DoesNotExist:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        except AssignmentError as error:
            return _refused(error)
        rating = self._rating(request, rating_id)
        body = {"rating": _own(rating), "changes": revision.changes}
        return Response(RatingChangedSerializer(body).data)

    def _rating(self, request: Request, rating_id: int) -> Rating | None:
        return (
            Rating.objects.select_related("comparison__evaluation")
            .filter(pk=rating_id, annotator=request.user)
            .first()
        )


class SkipUndoView(APIView):
    @extend_schema(
        operation_id="assignment_undo_skip",
        request=None,
        responses={
            200: PairSerializer,
            403: _ERRORS[403],
            404: _ERRORS[404],
            409: OpenApiResponse(
                ErrorSerializer,
                description="Code 'undo_refused': too late (a skip can be undone "
                f"for {answer_changes.UNDO_SECONDS} seconds), not skipped, or the "
                "pair was filled meanwhile; nothing changed",
            ),
        },
        summary="Undo a skip made seconds ago: the pair is leased to you again "
        "(the lease you got next is released)",
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        try:
            assignment = answer_changes.skip_undo(
                assignment_id=assignment_id, annotator=request.user
            )
        except Assignment.DoesNotExist:
            return Response(_NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        except AssignmentError as error:
            return _refused(error)
        # With its item name and answer address, as every pair the API hands out.
        view = item_view(assignment, with_counts=False, render=False)
        return Response(pair_data(view))
