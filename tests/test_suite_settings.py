"""The test suite's settings reach this process and the subprocesses tests start."""

import os
import subprocess
import sys

from django.conf import settings

from tests.support.worker import PROJECT_ROOT

FAST = "django.contrib.auth.hashers.MD5PasswordHasher"


def test_passwords_use_the_fast_hasher_here_and_in_subprocesses():
    assert settings.PASSWORD_HASHERS == [FAST]
    # A Celery worker or gunicorn started by a test inherits DJANGO_SETTINGS_MODULE.
    child = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; "
         "print(s.PASSWORD_HASHERS[0])"],
        cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert child.stdout.strip() == FAST
