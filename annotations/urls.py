"""Annotator pages and the home page; invitation links."""

from django.urls import path
from django.views.generic import RedirectView

from . import (
    answer_change_views,
    evaluation_views,
    flag_views,
    invitation_views,
    quality_views,
    views,
)

app_name = "annotations"

urlpatterns = [
    # The name only: the root URLconf serves "/" first, with the home of every role
    # (reports.home_views, whose table reads cached reports). Reversing
    # "annotations:home" still gives "/".
    path("", RedirectView.as_view(pattern_name="home"), name="home"),
    path("evaluations/new/", evaluation_views.evaluation_new, name="evaluation-new"),
    path(
        "evaluations/<id:evaluation_id>/build-pairs/",
        evaluation_views.pairs_build,
        name="pairs-build",
    ),
    path("evaluations/<id:evaluation_id>/next/", views.next_pair, name="next"),
    path("evaluations/<id:evaluation_id>/progress/", views.progress, name="progress"),
    path(
        "evaluations/<id:evaluation_id>/invitations/",
        invitation_views.invitation_list,
        name="invitations",
    ),
    path(
        "evaluations/<id:evaluation_id>/invitations/<id:invitation_id>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation-revoke",
    ),
    # A link's token is secrets.token_urlsafe's (read-only in the admin): letters,
    # digits, "-" and "_", a slug; anything else (a NUL PostgreSQL refuses) is a 404.
    path("join/<slug:token>/", invitation_views.join, name="join"),
    path(
        "evaluations/<id:evaluation_id>/completed/",
        views.completed,
        name="completed",
    ),
    path(
        "evaluations/<id:evaluation_id>/quality/",
        quality_views.quality,
        name="quality",
    ),
    path(
        "evaluations/<id:evaluation_id>/quality/<id:annotator_id>/pause/",
        quality_views.pause,
        name="quality-pause",
    ),
    path(
        "evaluations/<id:evaluation_id>/flags/",
        flag_views.evaluation_flags,
        name="evaluation-flags",
    ),
    path("flags/", flag_views.all_flags, name="flags"),
    path("flags/<id:comparison_id>/review/", flag_views.review, name="flag-review"),
    path("assignments/<id:assignment_id>/", views.assignment, name="assignment"),
    path("assignments/<id:assignment_id>/answer/", views.answer, name="answer"),
    path(
        "assignments/<id:assignment_id>/undo-skip/",
        answer_change_views.skip_undo,
        name="undo-skip",
    ),
    path(
        "evaluations/<id:evaluation_id>/ratings/recent/",
        answer_change_views.ratings_recent,
        name="ratings-recent",
    ),
    path(
        "ratings/<id:rating_id>/edit/",
        answer_change_views.rating_edit,
        name="rating-edit",
    ),
    path("items/<str:token>/", views.item, name="item"),
    path("items/<str:token>/answer/", views.item_answer, name="item-answer"),
]
