"""Annotator pages and the home page."""

from django.urls import path

from . import quality_views, views

app_name = "annotations"

urlpatterns = [
    path("", views.home, name="home"),
    path("evaluations/<int:evaluation_id>/next/", views.next_pair, name="next"),
    path("evaluations/<int:evaluation_id>/progress/", views.progress, name="progress"),
    path(
        "evaluations/<int:evaluation_id>/quality/",
        quality_views.quality,
        name="quality",
    ),
    path(
        "evaluations/<int:evaluation_id>/quality/<int:annotator_id>/pause/",
        quality_views.pause,
        name="quality-pause",
    ),
    path("assignments/<int:assignment_id>/", views.assignment, name="assignment"),
    path("assignments/<int:assignment_id>/answer/", views.answer, name="answer"),
]
