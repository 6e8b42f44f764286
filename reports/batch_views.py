"""The batch statistics page (Table 26, Figure 25) and its CSV, PNG and SVG, for one
or more evaluations named by ``?evaluation=ID`` (repeated or comma-separated)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from annotations.scales import STRENGTH_LABELS
from evalsite.responses import bad_request

from . import downloads, figures
from .batch_figures import strength_figure
from .preference_batches import (
    CSV_SHARES,
    batch_rows,
    batch_statistics,
    chosen_evaluations,
)
from .values.batches import BatchStatistics
from .views import view_report

CSV_NAME = "batches.csv"


def _statistics(request: HttpRequest) -> BatchStatistics:
    """ValueError (a 400) names a bad ``evaluation`` parameter."""
    evaluations = chosen_evaluations(request.GET.getlist("evaluation"))
    return batch_statistics([item.pk for item in evaluations])


def _filename(statistics: BatchStatistics, suffix: str) -> str:
    stems = (downloads.file_stem(name, "") for name in statistics.evaluations)
    names = "-".join(stems)[:80]
    return f"{names or 'evaluations'}-batches{suffix}"


@view_report
def batches(request: HttpRequest) -> HttpResponse:
    try:
        statistics = _statistics(request)
    except ValueError as error:
        return bad_request(str(error))
    context = {
        "statistics": statistics,
        "evaluation_links": zip(
            statistics.evaluation_ids, statistics.evaluations, strict=True
        ),
        "rows": [*statistics.rows, statistics.total],
        "strength_labels": [(v, STRENGTH_LABELS[v].capitalize()) for v in CSV_SHARES],
        "definitions": statistics.definitions.to_json().items(),
        "query": request.GET.urlencode(),
        "csv_name": CSV_NAME,
    }
    return render(request, "reports/batches.html", context)


@view_report
def batches_figure(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in figures.FORMATS:
        raise Http404("unknown figure format")
    try:
        statistics = _statistics(request)
    except ValueError as error:
        return bad_request(str(error))
    content = figures.render(strength_figure(statistics), fmt)
    return downloads.attachment(downloads.Download(
        content, figures.FORMATS[fmt], _filename(statistics, f"-strengths.{fmt}")
    ))  # fmt: skip


@view_report
def batches_csv(request: HttpRequest) -> HttpResponse:
    try:
        statistics = _statistics(request)
    except ValueError as error:
        return bad_request(str(error))
    # As every CSV download: no cell can start a formula; CRLF rows (RFC 4180).
    content = downloads.csv_bytes(batch_rows(statistics))
    return downloads.attachment(
        downloads.Download(content, downloads.CSV, _filename(statistics, ".csv"))
    )
