"""REST endpoints of the judges app."""

from django.urls import path

from . import api

urlpatterns: list = [
    path(
        "judge-runs/",
        api.JudgeRunViewSet.as_view({"get": "list", "post": "create"}),
        name="api-judge-run-list",
    ),
    path(
        "judge-runs/<id:pk>/",
        api.JudgeRunViewSet.as_view({"get": "retrieve"}),
        name="api-judge-run-detail",
    ),
    path(
        "judge-runs/<id:pk>/cancel/",
        api.JudgeRunViewSet.as_view({"post": "cancel"}),
        name="api-judge-run-cancel",
    ),
    path(
        "judge-runs/<id:pk>/resume/",
        api.JudgeRunViewSet.as_view({"post": "resume"}),
        name="api-judge-run-resume",
    ),
    path(
        "judge-runs/<id:pk>/judgements/",
        api.JudgeRunViewSet.as_view({"get": "judgements"}),
        name="api-judge-run-judgements",
    ),
]
