"""App configuration for annotations; makes sure the role groups exist after migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Evaluations and ratings"

    def ready(self) -> None:
        from evalsite import authentication
        from generations.services.import_jobs import import_kind_register

        from . import roles
        from .services import import_runners

        authentication.connect()
        post_migrate.connect(roles.ensure_groups_after_migrate)
        import_kind_register("ratings", import_runners.ratings_run)
