"""WSGI entry for benchmarks/annotate.py (settings: benchmarks.annotate_settings)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.annotate_settings")
# Benchmarks run without DEBUG; the settings refuse to start without a key.
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")
application = get_wsgi_application()
