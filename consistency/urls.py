"""Pages of the consistency app."""

from django.urls import path

from . import report_views, views

app_name = "consistency"

urlpatterns = [
    path("", views.evaluation_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/start/", views.start, name="start"),
    path("<id:pk>/judge/", views.judge, name="judge"),
    path("<id:pk>/report/", report_views.report, name="report"),
    path("<id:pk>/report.csv", report_views.report_csv, name="report-csv"),
    path(
        "<id:pk>/report.svg",
        report_views.report_figure,
        {"fmt": "svg"},
        name="report-svg",
    ),
    path(
        "<id:pk>/report.png",
        report_views.report_figure,
        {"fmt": "png"},
        name="report-png",
    ),
]
