"""Reports of evaluations, built from the database and cached until a rating changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from django.core.cache import cache

from annotations.models import Evaluation

from . import selectors
from .assemble import ReportOptions, assemble

CACHE_SECONDS = 7 * 24 * 3600


def cache_key(evaluation_id: int, options: ReportOptions) -> str:
    """Key of a cached report: the options and the ratings' fingerprint.

    Any new or removed rating changes the fingerprint, so a stale report is never
    read again (it simply expires).
    """
    fingerprint = selectors.ratings_fingerprint(evaluation_id)
    spec = json.dumps([evaluation_id, asdict(options), fingerprint], sort_keys=True)
    return "evalsite:report:v1:" + hashlib.sha256(spec.encode()).hexdigest()


def evaluation_report(
    evaluation: Evaluation, options: ReportOptions | None = None, *, use_cache=True
) -> dict:
    """The report of one evaluation (see ``reports.assemble.assemble``)."""
    options = options or ReportOptions(aggregation=default_aggregation(evaluation))
    key = cache_key(evaluation.pk, options) if use_cache else None
    if key and (cached := cache.get(key)) is not None:
        return cached
    ratings = selectors.ratings_frame([evaluation.pk], full=False)
    report = assemble(ratings, selectors.evaluation_meta(evaluation), options)
    if key:
        cache.set(key, report, CACHE_SECONDS)
    return report


def default_aggregation(evaluation: Evaluation) -> str:
    """Tournaments count every vote as a match (as Bradley-Terry fits usually do)."""
    return "rating" if evaluation.kind == Evaluation.Kind.TOURNAMENT else "majority"


def options_from(params, evaluation: Evaluation | None = None) -> ReportOptions:
    """Report options from query parameters; ValueError names the bad parameter."""
    values: dict = {}
    if evaluation is not None:
        values["aggregation"] = default_aggregation(evaluation)
    for name in ("aggregation", "interval", "weights"):
        if params.get(name):
            values[name] = params.get(name)
    for name in ("threshold", "seed", "resamples"):
        raw = params.get(name)
        if raw not in (None, ""):
            try:
                values[name] = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: expected an integer, got {raw!r}") from None
    return ReportOptions(**values)
