"""Pages of the consistency app."""

from django.urls import path

from . import report_views, views

app_name = "consistency"

urlpatterns = [
    path("", views.evaluation_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/judge/", views.judge, name="judge"),
    path("<int:pk>/report/", report_views.report, name="report"),
    path("<int:pk>/report.csv", report_views.report_csv, name="report-csv"),
    path(
        "<int:pk>/report.svg",
        report_views.report_figure,
        {"fmt": "svg"},
        name="report-svg",
    ),
    path(
        "<int:pk>/report.png",
        report_views.report_figure,
        {"fmt": "png"},
        name="report-png",
    ),
]
