"""WSGI entry for benchmarks/annotate.py (settings: benchmarks.annotate_settings)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.annotate_settings")
application = get_wsgi_application()
