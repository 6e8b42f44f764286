"""App configuration for consistency: how well chat models keep a system instruction."""

from django.apps import AppConfig


class ConsistencyConfig(AppConfig):
    name = "consistency"
    verbose_name = "System-instruction consistency"
