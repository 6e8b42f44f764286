"""REST endpoints of the consistency app."""

from django.urls import path

from . import api

urlpatterns: list = [
    path(
        "consistency/imports/",
        api.UploadView.as_view(),
        name="api-consistency-import",
    ),
    path(
        "consistency/evaluations/<id:pk>/",
        api.EvaluationView.as_view(),
        name="api-consistency-evaluation",
    ),
    path(
        "consistency/evaluations/<id:pk>/start/",
        api.StartView.as_view(),
        name="api-consistency-start",
    ),
    path(
        "consistency/evaluations/<id:pk>/next/",
        api.NextView.as_view(),
        name="api-consistency-next",
    ),
    path(
        "consistency/evaluations/<id:pk>/answers/",
        api.AnswerView.as_view(),
        name="api-consistency-answer",
    ),
    path(
        "consistency/evaluations/<id:pk>/report/",
        api.ReportView.as_view(),
        name="api-consistency-report",
    ),
]
