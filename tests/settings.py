"""Settings for the test suite: the project's settings with a fast password hasher.

pytest-django exports ``DJANGO_SETTINGS_MODULE=tests.settings``, so the Celery worker
and gunicorn subprocesses that tests start inherit these settings too.
"""

from evalsite.settings import *  # noqa: F403

# PBKDF2 spends about half a second per password on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
