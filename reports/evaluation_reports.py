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
from collections.abc import Callable, Sequence
from dataclasses import asdict

from django.core.cache import cache

from annotations.models import Evaluation

from . import selectors
from .report_builder import build_report
from .report_options import ReportOptions, default_aggregation, options_from
from .values import Report

logger = logging.getLogger(__name__)

CACHE_SECONDS = 7 * 24 * 3600
# The cache holds ``values.Report`` objects: change the version with their shape,
# or when what they hold changes for the same data (v8: Wilson bounds exactly 0
# and 1 at the ends; an imported evaluation's few-ratings warning).
CACHE_VERSION = "v8"

__all__ = ["evaluation_report", "report_options_for"]

PAIRWISE_ONLY = (
    "this is a single-response (Likert) evaluation: it has the Likert report "
    "(its page, report.json, report.csv, ratings.csv, ratings.parquet), not this one"
)


def cache_key(evaluation_id: int, options: ReportOptions) -> str:
    """Key of a cached report: the options and the version of the report's data."""
    return cache_key_and_size(evaluation_id, options)[0]


def cache_key_and_size(evaluation_id: int, options: ReportOptions) -> tuple[str, int]:
    """``cache_key`` and the evaluation's number of ratings, in one query."""
    version, size = selectors.report_version_and_size(evaluation_id)
    return _key(evaluation_id, options, version), size


def _key(evaluation_id: int, options: ReportOptions, version: str) -> str:
    spec = json.dumps([evaluation_id, asdict(options), version], sort_keys=True)
    return report_key_of(hashlib.sha256(spec.encode()).hexdigest())


def cache_keys(evaluations: Sequence[Evaluation]) -> dict[int, str]:
    """The keys of the pairwise reports the evaluations' pages show by default
    (no query parameters), in one query; single-response evaluations have none."""
    pairwise = [item for item in evaluations if item.kind != Evaluation.Kind.SINGLE]
    versions = selectors.report_versions_and_sizes([item.pk for item in pairwise])
    keys = {}
    for item in pairwise:
        if item.pk not in versions:
            continue
        options = report_options_for(item, {})
        keys[item.pk] = _key(item.pk, options, versions[item.pk][0])
    return keys


def cached_reports(evaluations: Sequence[Evaluation]) -> dict[int, Report]:
    """The default reports of the evaluations that are cached now, by evaluation
    id: one query and one cache read, nothing computed. Empty when the cache fails."""
    keys = cache_keys(evaluations)
    try:
        found = cache.get_many(list(keys.values()))
    except Exception as error:
        logger.warning("report cache unavailable: %r", error)
        return {}
    return {pk: found[key] for pk, key in keys.items() if key in found}


def report_key_of(digest: str) -> str:
    """The cache key of the report whose options and data version hash to ``digest``."""
    return f"evalsite:report:{CACHE_VERSION}:{digest}"


def report_options_for(evaluation: Evaluation | None, params) -> ReportOptions:
    """Options from query parameters, defaulting by the evaluation's kind.

    ValueError names the bad parameter, or says that a single-response evaluation
    has no pairwise report (``likert_report`` is its report).
    """
    if evaluation is not None and evaluation.kind == Evaluation.Kind.SINGLE:
        raise ValueError(PAIRWISE_ONLY)
    if evaluation is None:
        return options_from(params)
    return options_from(params, kind=evaluation.kind, scale=evaluation.scale)


def cached_report(key: str) -> Report | None:
    """The report stored under ``key``; None when there is none or the cache fails."""
    try:
        return cache.get(key)
    except Exception as error:  # any cache failure: compute the report instead
        logger.warning("report cache unavailable, computing the report: %r", error)
        return None


def is_cached(key: str) -> bool:
    """Whether a report is stored under ``key`` (without reading it)."""
    try:
        return cache.has_key(key)
    except Exception as error:
        logger.warning("report cache unavailable: %r", error)
        return False


def _store(key: str, report: Report) -> None:
    try:
        cache.set(key, report, CACHE_SECONDS)
    except Exception as error:
        logger.warning("report cache unavailable, report not stored: %r", error)


def evaluation_report(
    evaluation: Evaluation,
    options: ReportOptions | None = None,
    *,
    use_cache=True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The report of one evaluation (see ``reports.report_builder.build_report``).

    The key is read before the data, so a report stored under a key is never older
    than the data that key stands for. ``progress`` is told each stage as it starts.
    """
    options = options or ReportOptions(aggregation=default_aggregation(evaluation.kind))
    key = cache_key(evaluation.pk, options) if use_cache else None
    if key and (cached := cached_report(key)) is not None:
        return cached
    return built_report(evaluation.pk, options, key, progress=progress)


def built_report(
    evaluation_id: int,
    options: ReportOptions,
    key: str | None,
    *,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The report built from the data as it is now, stored under ``key`` if given.

    ``key`` must have been read before this call (see ``evaluation_report``).
    """
    if progress:
        progress("reading")
    ratings = selectors.ratings_frame([evaluation_id], full=False)
    summary = selectors.evaluation_summary(evaluation_id)
    report = build_report(
        ratings,
        summary,
        options,
        progress=progress,
        flag_reviews=selectors.flag_reviews(evaluation_id),
    )
    if key:
        _store(key, report)
    return report
