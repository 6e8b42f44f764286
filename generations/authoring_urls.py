"""Pages for prompt authoring."""

from django.urls import path

from . import authoring_views as views

app_name = "authoring"

urlpatterns = [
    path("", views.authoring_home, name="home"),
    path("sets/<id:set_pk>/write/", views.draft_new, name="draft-new"),
    path("sets/<id:pk>/", views.set_progress, name="progress"),
    path("sets/<id:pk>/prompts.jsonl", views.set_export, name="export"),
    path("drafts/<id:pk>/", views.draft_page, name="draft"),
    path("drafts/<id:pk>/turn/", views.draft_turn, name="draft-turn"),
    path("drafts/<id:pk>/reply/", views.draft_reply, name="draft-reply"),
    path("drafts/<id:pk>/withdraw/", views.draft_withdraw, name="draft-withdraw"),
    path("drafts/<id:pk>/choose/", views.draft_choose, name="draft-choose"),
    path("drafts/<id:pk>/save/", views.draft_save, name="draft-save"),
]
