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


def _own_redis_database(name: str, offset: int) -> None:
    """Under pytest-xdist every test process but the first gets Redis databases of
    its own (broker 8 and cache 9 for gw1, 10 and 11 for gw2, up to 14 and 15 for
    gw4; Redis has 16 databases): a worker test
    flushes its broker, a report test clears its cache, and a Celery worker must only
    see its own process's tasks. Subprocesses (workers) inherit the moved URLs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get(name, "")
    if worker in ("", "gw0") or not url.startswith("redis://"):
        return
    base, _, _ = url.rpartition("/")
    os.environ[name] = f"{base}/{6 + 2 * int(worker[2:]) + offset}"


# Once per test process: its subprocesses load these settings again with the moved
# URLs and the same PYTEST_XDIST_WORKER (pytest's main process moves nothing).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("EVALSITE_TEST_REDIS_MOVED") != _worker:
    os.environ["EVALSITE_TEST_REDIS_MOVED"] = _worker
    _own_redis_database("CELERY_BROKER_URL", 0)
    _own_redis_database("CACHE_URL", 1)

from evalsite.settings import *  # noqa: E402, F403

# Counts the requests the live server serves: a test's teardown waits for them before
# the database is flushed (tests/conftest.py, ``_live_server_requests_end``).
MIDDLEWARE = ["tests.support.requests_in_flight.RequestsInFlight", *MIDDLEWARE]  # noqa: F405

# PBKDF2 spends about half a second per password on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests make many API calls a second as one user; test_security.py shows the throttle.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}

# WhiteNoise scans every static file (185 with the finders) when its middleware starts,
# and the test client starts the middleware again for each client a test makes: about
# 10 ms a client. With autorefresh it finds a file when it is asked for instead.
WHITENOISE_AUTOREFRESH = True

# After each transactional test the tables are emptied with DELETE instead of TRUNCATE
# (tests/support/postgresql/base.py): a few milliseconds instead of about 0.4 s.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "tests.support.postgresql"  # noqa: F405
