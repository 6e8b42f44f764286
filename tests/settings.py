"""Settings for the test suite: the project's settings with a fast password hasher.

pytest-django exports ``DJANGO_SETTINGS_MODULE=tests.settings``, so the Celery worker
and gunicorn subprocesses that tests start inherit these settings too.
"""

import os

# Set before the project's settings load (they refuse to start without a key when
# DJANGO_DEBUG is off); the test's subprocesses inherit it with the environment.
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-deployment-1c9f0e7d2a4b8e63"
)

from evalsite.settings import *  # noqa: F403

# PBKDF2 spends about half a second per password on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests make many API calls a second as one user; test_security.py shows the throttle.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}
