"""The report of an evaluation: read from the database, built, and cached.

Reports change no state. The cache needs no invalidation, so nothing here runs on
commit: a report's key holds the ratings' fingerprint, which any new or removed
rating changes, so a stale report is never read again (it simply expires).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from django.core.cache import cache

from annotations.models import Evaluation

from . import selectors
from .report_builder import build_report
from .report_options import ReportOptions, default_aggregation, options_from
from .values import Report

CACHE_SECONDS = 7 * 24 * 3600
# The cache holds ``values.Report`` objects: change the version with their shape.
CACHE_VERSION = "v2"

__all__ = ["evaluation_report", "report_options_for"]


def cache_key(evaluation_id: int, options: ReportOptions) -> str:
    """Key of a cached report: the options and the ratings' fingerprint."""
    fingerprint = selectors.ratings_fingerprint(evaluation_id)
    spec = json.dumps([evaluation_id, asdict(options), fingerprint], sort_keys=True)
    digest = hashlib.sha256(spec.encode()).hexdigest()
    return f"evalsite:report:{CACHE_VERSION}:{digest}"


def report_options_for(evaluation: Evaluation | None, params) -> ReportOptions:
    """Options from query parameters, defaulting by the evaluation's kind.

    ValueError names the bad parameter.
    """
    return options_from(params, kind=evaluation.kind if evaluation else "")


def evaluation_report(
    evaluation: Evaluation, options: ReportOptions | None = None, *, use_cache=True
) -> Report:
    """The report of one evaluation (see ``reports.report_builder.build_report``)."""
    options = options or ReportOptions(aggregation=default_aggregation(evaluation.kind))
    key = cache_key(evaluation.pk, options) if use_cache else None
    if key and (cached := cache.get(key)) is not None:
        return cached
    ratings = selectors.ratings_frame([evaluation.pk], full=False)
    report = build_report(ratings, selectors.evaluation_summary(evaluation), options)
    if key:
        cache.set(key, report, CACHE_SECONDS)
    return report
