"""App configuration for generations; registers its background import kinds."""

from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"
    verbose_name = "Prompts and generations"

    def ready(self) -> None:
        from .services import import_runners
        from .services.import_jobs import import_kind_register

        import_kind_register("prompts", import_runners.prompts_run)
        import_kind_register("generations", import_runners.generations_run)
