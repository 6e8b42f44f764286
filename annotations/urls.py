"""Annotator pages and the home page."""

from django.urls import path

from . import views

app_name = "annotations"

urlpatterns = [
    path("", views.home, name="home"),
    path("evaluations/<int:evaluation_id>/next/", views.next_pair, name="next"),
    path("evaluations/<int:evaluation_id>/progress/", views.progress, name="progress"),
    path(
        "evaluations/<int:evaluation_id>/completed/",
        views.completed,
        name="completed",
    ),
    path("assignments/<int:assignment_id>/", views.assignment, name="assignment"),
    path("assignments/<int:assignment_id>/answer/", views.answer, name="answer"),
    path("items/<str:token>/", views.item, name="item"),
    path("items/<str:token>/answer/", views.item_answer, name="item-answer"),
]
