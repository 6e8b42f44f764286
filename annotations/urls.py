"""Annotator pages and the home page; invitation links."""

from django.urls import path

from . import invitation_views, views

app_name = "annotations"

urlpatterns = [
    path("", views.home, name="home"),
    path("evaluations/<int:evaluation_id>/next/", views.next_pair, name="next"),
    path("evaluations/<int:evaluation_id>/progress/", views.progress, name="progress"),
    path(
        "evaluations/<int:evaluation_id>/invitations/",
        invitation_views.invitation_list,
        name="invitations",
    ),
    path(
        "evaluations/<int:evaluation_id>/invitations/<int:invitation_id>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("join/<str:token>/", invitation_views.join, name="join"),
    path("assignments/<int:assignment_id>/", views.assignment, name="assignment"),
    path("assignments/<int:assignment_id>/answer/", views.answer, name="answer"),
]
