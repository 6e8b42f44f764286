"""App configuration for reports; connects the report cache's invalidation."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from . import invalidation

        invalidation.connect()
