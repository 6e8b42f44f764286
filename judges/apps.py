"""App configuration for judges: LLM judges rating an evaluation's pairs."""

from django.apps import AppConfig


class JudgesConfig(AppConfig):
    name = "judges"
    verbose_name = "LLM judges"

    def ready(self) -> None:
        from annotations.services.verdict_files import verdicts_importer_register

        from .services.verdict_imports import verdicts_import

        # ``import_ratings --judge`` lives in annotations, which never imports judges.
        verdicts_importer_register(verdicts_import)
