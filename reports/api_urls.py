"""REST endpoints of the reports app."""

from django.urls import path

from . import api, api_judges, api_reward, batch_api

urlpatterns = [
    path(
        "reports/preferences/",
        api.PreferenceExportView.as_view(),
        name="api-preferences",
    ),
    path(
        "reports/batches/",
        batch_api.BatchStatisticsView.as_view(),
        name="api-report-batches",
    ),
    path("reports/<id:pk>/", api.ReportView.as_view(), name="api-report"),
    path(
        "reports/<id:pk>/reward/",
        api_reward.RewardReportView.as_view(),
        name="api-reward-report",
    ),
    path(
        "reports/<id:pk>/judges/",
        api_judges.JudgeReportsView.as_view(),
        name="api-report-judges",
    ),
    path(
        "reports/<id:pk>/status/",
        api.ReportStatusView.as_view(),
        name="api-report-status",
    ),
    path(
        "reports/<id:pk>/<str:filename>",
        api.ReportFileView.as_view(),
        name="api-report-file",
    ),
]
