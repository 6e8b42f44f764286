"""The judges' reports of an evaluation: read from the database, built, and cached.

Cached as the report is (``evaluation_reports``): the key holds the options, the
report's data version (``selectors.report_version``) and a version of the
judgements (``selectors.judges_on``), so a new rating, a changed evaluation or a
judgement added, parsed or edited gives a new key; stale entries expire. An
evaluation without judgements costs one query and has no judges' report.
Computed in the request: on the LLMFAO crowd (2,139 pairs, 8,931 ratings) the
agreement figures take a fraction of a second at the default 1,000 resamples;
a tournament judge's own Bradley-Terry leaderboard takes seconds, so only its
detail page, the API and the CSV compute it (see docs/judge-reports.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict

from django.core.cache import cache

from annotations.models import Evaluation

from . import selectors
from .evaluation_reports import CACHE_SECONDS, cached_report, report_options_for
from .judge_report import build_judge_reports
from .report_options import ReportOptions, default_aggregation
from .values import JudgeReports

logger = logging.getLogger(__name__)

# The cache holds ``values.JudgeReports``: change the version with their shape, or
# when what they hold changes for the same data (v3: no interval for a group of
# fewer than two prompts).
CACHE_VERSION = "v3"

__all__ = ["judge_reports", "report_options_for"]


def judges_key(
    evaluation_id: int, options: ReportOptions, judges_version: str, own: bool
) -> str:
    """The cache key of an evaluation's judges' reports (``own``: with the judges'
    own results)."""
    spec = json.dumps(
        [evaluation_id, asdict(options), selectors.report_version(evaluation_id),
         judges_version, own],
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(spec.encode()).hexdigest()
    return f"evalsite:judges:{CACHE_VERSION}:{digest}"


def _store(key: str, value: JudgeReports) -> None:
    try:
        cache.set(key, value, CACHE_SECONDS)
    except Exception as error:  # an accelerator only (see evaluation_reports)
        logger.warning("report cache unavailable, judges not stored: %r", error)


def judge_reports(
    evaluation: Evaluation,
    options: ReportOptions | None = None,
    *,
    own: bool = True,
    use_cache: bool = True,
) -> JudgeReports | None:
    """Every judge's report on the evaluation; None when no judge has judged it.

    ``own``: with each judge's own win/tie/loss or leaderboard (the report page's
    section leaves them out: a tournament's fit takes seconds). The keys are read
    before the data, as ``evaluation_reports`` does.
    """
    options = options or ReportOptions(aggregation=default_aggregation(evaluation.kind))
    judges, version = selectors.judges_on(evaluation.pk)
    if not judges:
        return None
    key = judges_key(evaluation.pk, options, version, own) if use_cache else None
    if key and (cached := cached_report(key)) is not None:
        return cached
    reports = build_judge_reports(
        selectors.ratings_frame([evaluation.pk], full=False),
        selectors.comparisons_frame([evaluation.pk], full=False) if own else None,
        selectors.judgements_frame(evaluation.pk),
        judges,
        selectors.evaluation_summary(evaluation.pk),
        options,
    )
    if key:
        _store(key, reports)
    return reports
