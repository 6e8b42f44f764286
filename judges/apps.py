"""App configuration for judges: LLM judges rating an evaluation's pairs."""

from django.apps import AppConfig


class JudgesConfig(AppConfig):
    name = "judges"
    verbose_name = "LLM judges"
