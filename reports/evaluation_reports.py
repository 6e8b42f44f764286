"""The report of an evaluation: read from the database, built, and cached.

Reports change no state. A report's key holds the options and the version of the
data behind it (``selectors.report_version``): new and removed ratings change it,
and ``reports.invalidation`` gives it a fresh token whenever anything else the
report shows changes (an edited rating, a renamed evaluation or chat model, a
prompt's categories, a generation's words), in the admin or through a service. A
stale report is never read again; it simply expires.

The cache is an accelerator only: when it fails (Redis down), the report is
computed without it and a warning logged, and pages and the API answer as usual.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict

from django.core.cache import cache

from annotations.models import Evaluation

from . import selectors
from .report_builder import build_report
from .report_options import ReportOptions, default_aggregation, options_from
from .values import Report

logger = logging.getLogger(__name__)

CACHE_SECONDS = 7 * 24 * 3600
# The cache holds ``values.Report`` objects: change the version with their shape.
CACHE_VERSION = "v4-abcd"

__all__ = ["evaluation_report", "report_options_for"]


def cache_key(evaluation_id: int, options: ReportOptions) -> str:
    """Key of a cached report: the options and the version of the report's data."""
    version = selectors.report_version(evaluation_id)
    spec = json.dumps([evaluation_id, asdict(options), version], sort_keys=True)
    digest = hashlib.sha256(spec.encode()).hexdigest()
    return f"evalsite:report:{CACHE_VERSION}:{digest}"


def report_options_for(evaluation: Evaluation | None, params) -> ReportOptions:
    """Options from query parameters, defaulting by the evaluation's kind.

    ValueError names the bad parameter.
    """
    return options_from(params, kind=evaluation.kind if evaluation else "")


def _cached(key: str) -> Report | None:
    try:
        return cache.get(key)
    except Exception as error:  # any cache failure: compute the report instead
        logger.warning("report cache unavailable, computing the report: %r", error)
        return None


def _store(key: str, report: Report) -> None:
    try:
        cache.set(key, report, CACHE_SECONDS)
    except Exception as error:
        logger.warning("report cache unavailable, report not stored: %r", error)


def evaluation_report(
    evaluation: Evaluation, options: ReportOptions | None = None, *, use_cache=True
) -> Report:
    """The report of one evaluation (see ``reports.report_builder.build_report``).

    The key is read before the data, so a report stored under a key is never older
    than the data that key stands for.
    """
    options = options or ReportOptions(aggregation=default_aggregation(evaluation.kind))
    key = cache_key(evaluation.pk, options) if use_cache else None
    if key and (cached := _cached(key)) is not None:
        return cached
    ratings = selectors.ratings_frame([evaluation.pk], full=False)
    report = build_report(ratings, selectors.evaluation_summary(evaluation.pk), options)
    if key:
        _store(key, report)
    return report
