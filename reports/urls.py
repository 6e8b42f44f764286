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
    path("prompts/<int:prompt_id>/", views.prompt, name="prompt"),
    path("<int:pk>/", views.evaluation, name="evaluation"),
    path("<int:pk>/prompts/", views.prompts, name="prompts"),
    path(
        "<int:pk>/disagreements/",
        disagreements.disagreements,
        name="disagreements",
    ),
    path("<int:pk>/preferences/", preference_pages.preferences, name="preferences"),
    path(
        "<int:pk>/preferences/download",
        preference_pages.preferences_download,
        name="preferences-download",
    ),
    path("<int:pk>/pairs/<int:comparison_id>/", disagreements.pair, name="pair"),
    path("<int:pk>/reward/", reward_views.reward, name="reward"),
    path(
        "<int:pk>/reward/figures/<slug:name>.<str:fmt>",
        reward_views.reward_figure_file,
        name="reward-figure",
    ),
    path(
        "<int:pk>/reward/<str:filename>",
        reward_views.reward_download,
        name="reward-download",
    ),
    path("<int:pk>/judges/judges.csv", judge_views.judges_download, name="judges-csv"),
    path("<int:pk>/judges/<int:judge_id>/", judge_views.judge, name="judge"),
    path(
        "<int:pk>/judges/<int:judge_id>/confusion.<str:fmt>",
        judge_views.judge_figure,
        name="judge-figure",
    ),
    path("<int:pk>/figures/<slug:name>.<str:fmt>", views.figure, name="figure"),
    path("<int:pk>/download/<str:filename>", views.download, name="download"),
]
