"""The test suite's PostgreSQL backend: a flush deletes instead of truncating."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from annotations import roles
from annotations.models import Rating

from .factories import RatingFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres_backend():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


def _rows() -> dict[str, int]:
    return {
        model._meta.db_table: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
    }


def test_the_flush_deletes_and_keeps_the_sequences(postgres_backend):
    tables = ["annotations_rating", "annotations_assignment"]
    statements = connection.ops.sql_flush(no_style(), tables)
    assert statements == [
        'DELETE FROM "annotations_rating";',
        'DELETE FROM "annotations_assignment";',
    ]
    # Resetting the sequences is left to Django's own flush.
    (reset,) = connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    assert reset.startswith("TRUNCATE")
    assert "RESTART IDENTITY" in reset


def test_a_flush_empties_rows_linked_by_foreign_keys_in_any_order(postgres_backend):
    rating = RatingFactory()  # a rating, its assignment, comparison, evaluation, ...
    before = _rows()
    assert before["annotations_rating"] == 1
    assert before["generations_chatmodel"] >= 1

    # As a transactional test's teardown flushes (TransactionTestCase).
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    after = _rows()
    # Emptied but for what migrate's signal makes again: the roles and their rights.
    remade = {"auth_group", "auth_permission", "django_content_type",
              "auth_group_permissions"}  # fmt: skip
    assert {table for table, n in after.items() if n} == remade
    assert roles.group_for(roles.ANNOTATOR).permissions.exists()
    # The sequences go on: the next rating does not reuse the deleted one's id.
    again = RatingFactory()
    assert again.pk > rating.pk
    assert Rating.objects.count() == 1

    # The flush command's default resets them: Django's TRUNCATE ... RESTART IDENTITY.
    call_command("flush", interactive=False, verbosity=0)
    assert RatingFactory().pk == 1
