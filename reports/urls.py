"""Report pages and downloads."""

from django.urls import path

from . import batch_views, disagreements, views

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
    path("<int:pk>/pairs/<int:comparison_id>/", disagreements.pair, name="pair"),
    path("<int:pk>/figures/<slug:name>.<str:fmt>", views.figure, name="figure"),
    path("<int:pk>/download/<str:filename>", views.download, name="download"),
]
