"""The version of the data behind each evaluation's report, for the report cache."""

import uuid

from django.db import models

from annotations.models import Evaluation


class DataVersion(models.Model):
    """A fresh token whenever data that an evaluation's report shows changes in place.

    A random token rather than a counter, so that a version never repeats: not after
    a database is restored from a backup, nor when a test database is rebuilt while
    the cache (Redis) keeps its keys. New and removed ratings need no token: the
    report's key also counts the ratings (see ``reports.selectors.report_version``).
    """

    evaluation = models.OneToOneField(
        Evaluation,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="report_data_version",
    )
    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.token}"
