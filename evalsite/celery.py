"""The Celery application; tasks live in the apps and are found by autodiscovery."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")

app = Celery("evalsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def commit_asynchronously(**kwargs) -> None:
    """With EVALSITE_WORKER_ASYNC_COMMIT (off by default), workers' PostgreSQL sessions
    commit without waiting for the WAL flush.

    Generation tasks write a few rows each, thousands a minute, so on a slow disk the
    flushes can bound a job's pace. A database crash can lose the last fraction of a
    second of commits, in order and never half of one: those generations are pending
    or running again and a resume redoes them.
    """
    from django.conf import settings
    from django.db.backends.signals import connection_created

    if settings.EVALSITE_WORKER_ASYNC_COMMIT:
        connection_created.connect(_async_commit_session, weak=False)


def _async_commit_session(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


def ensure_queue_folders() -> None:
    """Create the filesystem broker's folders, which kombu expects to exist."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


ensure_queue_folders()
