"""The consistency report's pages: HTML with the figure, CSV, PNG and SVG."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from evalsite.responses import CSV

from . import figures
from .forms import ReportForm, errors_text
from .models import ConsistencyEvaluation
from .report import consistency_report
from .views import VIEW


def _report(request: HttpRequest, pk: int):
    evaluation = get_object_or_404(ConsistencyEvaluation, pk=pk)
    form = ReportForm(request.GET)
    if not form.is_valid():
        return None, HttpResponse(errors_text(form), status=400)
    return consistency_report(evaluation=evaluation, **form.params()), None


@login_required
@permission_required(VIEW, raise_exception=True)
def report(request: HttpRequest, pk: int) -> HttpResponse:
    result, error = _report(request, pk)
    if error:
        return error
    return render(
        request,
        "consistency/report.html",
        {"report": result, "pk": pk, "query": request.GET.urlencode()},
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def report_figure(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    result, error = _report(request, pk)
    if error:
        return error
    body = figures.render(figures.share_by_turn_figure(result), fmt)
    return HttpResponse(body, content_type=figures.FORMATS[fmt])


CSV_FIELDS = [
    "chat_model",
    "turn",
    "replies",
    "complete",
    "respecting",
    "not_respecting",
    "not_applicable",
    "no_majority",
    "share",
    "low",
    "high",
]


@login_required
@permission_required(VIEW, raise_exception=True)
def report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    result, error = _report(request, pk)
    if error:
        return error
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for row in result.rows:
        values = [getattr(row, name) for name in CSV_FIELDS]
        writer.writerow(["" if v is None else _safe(v) for v in values])
    response = HttpResponse(out.getvalue(), content_type=CSV)
    response["Content-Disposition"] = f'attachment; filename="consistency-{pk}.csv"'
    return response


def _safe(value):
    """CSV cells escaped against formula injection (a name starting = + - @)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
