"""REST endpoints of the generations app."""

from django.urls import path

from . import api, api_imports, api_reward_scores

urlpatterns: list = [
    path(
        "imports/prompts/",
        api_imports.PromptImportView.as_view(),
        name="api-import-prompts",
    ),
    path(
        "imports/generations/",
        api_imports.GenerationImportView.as_view(),
        name="api-import-generations",
    ),
    path(
        "imports/reward-scores/",
        api_reward_scores.RewardScoreImportView.as_view(),
        name="api-import-reward-scores",
    ),
    path(
        "imports/jobs/<id:pk>/",
        api_imports.ImportJobStatusView.as_view(),
        name="api-import-job",
    ),
    path(
        "chat-models/",
        api.ChatModelViewSet.as_view({"get": "list", "post": "create"}),
        name="api-chat-model-list",
    ),
    path(
        "chat-models/<id:pk>/",
        api.ChatModelViewSet.as_view({"get": "retrieve"}),
        name="api-chat-model-detail",
    ),
    path(
        "jobs/",
        api.GenerationJobViewSet.as_view({"get": "list", "post": "create"}),
        name="api-job-list",
    ),
    path(
        "jobs/<id:pk>/",
        api.GenerationJobViewSet.as_view({"get": "retrieve"}),
        name="api-job-detail",
    ),
    path(
        "jobs/<id:pk>/cancel/",
        api.GenerationJobViewSet.as_view({"post": "cancel"}),
        name="api-job-cancel",
    ),
    path(
        "jobs/<id:pk>/resume/",
        api.GenerationJobViewSet.as_view({"post": "resume"}),
        name="api-job-resume",
    ),
]
