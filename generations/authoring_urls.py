"""Pages for prompt authoring."""

from django.urls import path

from . import authoring_views as views

app_name = "authoring"

urlpatterns = [
    path("", views.authoring_home, name="home"),
    path("sets/<int:set_pk>/write/", views.draft_new, name="draft-new"),
    path("sets/<int:pk>/", views.set_progress, name="progress"),
    path("sets/<int:pk>/prompts.jsonl", views.set_export, name="export"),
    path("drafts/<int:pk>/", views.draft_page, name="draft"),
    path("drafts/<int:pk>/turn/", views.draft_turn, name="draft-turn"),
    path("drafts/<int:pk>/reply/", views.draft_reply, name="draft-reply"),
    path("drafts/<int:pk>/withdraw/", views.draft_withdraw, name="draft-withdraw"),
    path("drafts/<int:pk>/choose/", views.draft_choose, name="draft-choose"),
    path("drafts/<int:pk>/save/", views.draft_save, name="draft-save"),
]
