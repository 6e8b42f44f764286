"""Annotator pages and the home page."""

from django.urls import path

from . import flag_views, views

app_name = "annotations"

urlpatterns = [
    path("", views.home, name="home"),
    path("evaluations/<int:evaluation_id>/next/", views.next_pair, name="next"),
    path("evaluations/<int:evaluation_id>/progress/", views.progress, name="progress"),
    path(
        "evaluations/<int:evaluation_id>/flags/",
        flag_views.evaluation_flags,
        name="evaluation-flags",
    ),
    path("flags/", flag_views.all_flags, name="flags"),
    path("flags/<int:comparison_id>/review/", flag_views.review, name="flag-review"),
    path("assignments/<int:assignment_id>/", views.assignment, name="assignment"),
    path("assignments/<int:assignment_id>/answer/", views.answer, name="answer"),
]
