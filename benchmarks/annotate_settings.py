"""Settings for benchmarks/annotate.py: the project's, plus a trivial baseline view."""

from evalsite.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.annotate_urls"
