"""Report pages and downloads."""

from django.urls import path

from . import (
    batch_views,
    disagreements,
    judge_views,
    preference_pages,
    reward_views,
    views,
)

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("compare/", views.compare, name="compare"),
    path("compare/figure.<str:fmt>", views.compare_figure, name="compare-figure"),
    path("batches/", batch_views.batches, name="batches"),
    path("batches/figure.<str:fmt>", batch_views.batches_figure, name="batches-figure"),
    path("batches/batches.csv", batch_views.batches_csv, name="batches-csv"),
    path("prompts/<id:prompt_id>/", views.prompt, name="prompt"),
    path("<id:pk>/", views.evaluation, name="evaluation"),
    path("<id:pk>/prompts/", views.prompts, name="prompts"),
    path(
        "<id:pk>/disagreements/",
        disagreements.disagreements,
        name="disagreements",
    ),
    path("<id:pk>/preferences/", preference_pages.preferences, name="preferences"),
    path(
        "<id:pk>/preferences/download",
        preference_pages.preferences_download,
        name="preferences-download",
    ),
    path("<id:pk>/pairs/<id:comparison_id>/", disagreements.pair, name="pair"),
    path("<id:pk>/reward/", reward_views.reward, name="reward"),
    path(
        "<id:pk>/reward/figures/<slug:name>.<str:fmt>",
        reward_views.reward_figure_file,
        name="reward-figure",
    ),
    path(
        "<id:pk>/reward/<str:filename>",
        reward_views.reward_download,
        name="reward-download",
    ),
    path("<id:pk>/judges/judges.csv", judge_views.judges_download, name="judges-csv"),
    path("<id:pk>/judges/<id:judge_id>/", judge_views.judge, name="judge"),
    path(
        "<id:pk>/judges/<id:judge_id>/confusion.<str:fmt>",
        judge_views.judge_figure,
        name="judge-figure",
    ),
    path("<id:pk>/figures/<slug:name>.<str:fmt>", views.figure, name="figure"),
    path("<id:pk>/download/<str:filename>", views.download, name="download"),
]
