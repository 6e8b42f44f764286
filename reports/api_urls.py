"""REST endpoints of the reports app."""

from django.urls import path

from . import api, batch_api

urlpatterns = [
    path(
        "reports/batches/",
        batch_api.BatchStatisticsView.as_view(),
        name="api-report-batches",
    ),
    path("reports/<int:pk>/", api.ReportView.as_view(), name="api-report"),
    path(
        "reports/<int:pk>/status/",
        api.ReportStatusView.as_view(),
        name="api-report-status",
    ),
    path(
        "reports/<int:pk>/<str:filename>",
        api.ReportFileView.as_view(),
        name="api-report-file",
    ),
]
