"""Settings for benchmarks/annotate.py: the project's, plus a trivial baseline view."""

from evalsite.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.annotate_urls"

# Benchmark annotators click as fast as the server answers: above any sane API rate.
# The throttle still runs (and costs its cache round trip), it just never refuses.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute", "user": "1000000/minute"},
}
