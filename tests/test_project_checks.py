"""Django's system checks and the migrations, in the suite's own process (a
``manage.py`` run of each costs a Django start)."""

import io

import pytest
from django.core.management import call_command


def test_system_checks_find_no_error():
    call_command("check", stdout=io.StringIO())  # raises SystemCheckError


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exit_:  # --check exits non-zero when a migration is missing
        pytest.fail(f"missing migrations (exit {exit_.code}):\n{out.getvalue()}")
