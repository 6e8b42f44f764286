"""Annotator pages and the home page."""

from django.urls import path

from . import answer_change_views, views

app_name = "annotations"

urlpatterns = [
    path("", views.home, name="home"),
    path("evaluations/<int:evaluation_id>/next/", views.next_pair, name="next"),
    path("evaluations/<int:evaluation_id>/progress/", views.progress, name="progress"),
    path("assignments/<int:assignment_id>/", views.assignment, name="assignment"),
    path("assignments/<int:assignment_id>/answer/", views.answer, name="answer"),
    path(
        "assignments/<int:assignment_id>/undo-skip/",
        answer_change_views.skip_undo,
        name="undo-skip",
    ),
    path(
        "ratings/<int:rating_id>/edit/",
        answer_change_views.rating_edit,
        name="rating-edit",
    ),
]
