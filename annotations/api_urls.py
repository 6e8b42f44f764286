"""REST endpoints of the annotations app."""

from django.urls import path

from . import api, api_controls, api_evaluations, api_imports, api_quality, flag_api

urlpatterns: list = [
    path(
        "evaluations/<id:evaluation_id>/flags/",
        flag_api.EvaluationFlagsView.as_view(),
        name="api-evaluation-flags",
    ),
    path("flags/", flag_api.FlagsView.as_view(), name="api-flags"),
    path(
        "comparisons/<id:comparison_id>/flag-reviews/",
        flag_api.FlagReviewView.as_view(),
        name="api-comparison-flag-reviews",
    ),
    path(
        "imports/ratings/",
        api_imports.RatingImportView.as_view(),
        name="api-import-ratings",
    ),
    path(
        "evaluations/",
        api_evaluations.EvaluationsView.as_view(),
        name="api-evaluations",
    ),
    path(
        "evaluations/<id:evaluation_id>/",
        api_evaluations.EvaluationView.as_view(),
        name="api-evaluation",
    ),
    path(
        "imports/gold-pairs/",
        api_quality.GoldPairImportView.as_view(),
        name="api-import-gold-pairs",
    ),
    path(
        "evaluations/<id:evaluation_id>/quality/",
        api_quality.EvaluationQualityView.as_view(),
        name="api-evaluation-quality",
    ),
    path(
        "evaluations/<id:evaluation_id>/next/",
        api.NextPairView.as_view(),
        name="api-evaluation-next",
    ),
    path(
        "assignments/<id:assignment_id>/",
        api.AssignmentView.as_view(),
        name="api-assignment",
    ),
    path(
        "assignments/<id:assignment_id>/rating/",
        api.RatingView.as_view(),
        name="api-assignment-rating",
    ),
    path(
        "assignments/<id:assignment_id>/skip/",
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
        "assignments/<id:assignment_id>/flag/",
        api.FlagView.as_view(),
        name="api-assignment-flag",
    ),
    path(
        "assignments/<id:assignment_id>/undo-skip/",
        api_controls.SkipUndoView.as_view(),
        name="api-assignment-undo-skip",
    ),
    path(
        "evaluations/<id:evaluation_id>/ratings/recent/",
        api_controls.RecentRatingsView.as_view(),
        name="api-evaluation-recent-ratings",
    ),
    path(
        "ratings/<id:rating_id>/",
        api_controls.RatingChangeView.as_view(),
        name="api-rating",
    ),
]
