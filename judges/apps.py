"""App configuration for judges: LLM judges rating an evaluation's pairs."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class JudgesConfig(AppConfig):
    name = "judges"
    verbose_name = "LLM judges"

    def ready(self) -> None:
        from annotations import roles
        from annotations.services.verdict_files import verdicts_importer_register

        from .services.verdict_imports import verdicts_import

        # ``import_ratings --judge`` lives in annotations, which never imports judges.
        verdicts_importer_register(verdicts_import)
        # The role groups hold this app's permissions too (annotations/roles.py);
        # they exist only once this app has migrated, after annotations.
        post_migrate.connect(roles.ensure_groups_after_migrate, sender=self)
