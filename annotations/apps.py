"""App configuration for annotations; makes sure the role groups exist after migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Evaluations and ratings"

    def ready(self) -> None:
        from evalsite import authentication

        from . import roles

        authentication.connect()
        post_migrate.connect(roles.ensure_groups_after_migrate, sender=self)
