"""REST endpoints of the annotations app."""

from django.urls import path

from . import api, api_imports

urlpatterns: list = [
    path(
        "imports/ratings/",
        api_imports.RatingImportView.as_view(),
        name="api-import-ratings",
    ),
    path(
        "evaluations/",
        api_imports.EvaluationCreateView.as_view(),
        name="api-evaluation-create",
    ),
    path(
        "evaluations/<int:evaluation_id>/next/",
        api.NextPairView.as_view(),
        name="api-evaluation-next",
    ),
    path(
        "assignments/<int:assignment_id>/",
        api.AssignmentView.as_view(),
        name="api-assignment",
    ),
    path(
        "assignments/<int:assignment_id>/rating/",
        api.RatingView.as_view(),
        name="api-assignment-rating",
    ),
    path(
        "assignments/<int:assignment_id>/skip/",
        api.SkipView.as_view(),
        name="api-assignment-skip",
    ),
    path("items/<str:token>/", api.ItemView.as_view(), name="api-item"),
    path(
        "items/<str:token>/answer/",
        api.ItemAnswerView.as_view(),
        name="api-item-answer",
    ),
    path(
        "assignments/<int:assignment_id>/flag/",
        api.FlagView.as_view(),
        name="api-assignment-flag",
    ),
]
