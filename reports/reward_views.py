"""The reward-model report's page, CSV tables and figures, for researchers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify

from annotations.models import Evaluation
from evalsite.responses import bad_request

from . import figures
from .downloads import Download, attachment
from .reward_accuracy import reward_options, reward_report
from .reward_downloads import TABLES, reward_csv
from .reward_figures import NAMES, reward_figure
from .views import view_report


def _report(request: HttpRequest, pk: int):
    """The evaluation and its report; ValueError for bad options."""
    evaluation = get_object_or_404(Evaluation, pk=pk)
    return evaluation, reward_report(evaluation, reward_options(request.GET))


@view_report
def reward(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        evaluation, report = _report(request, pk)
    except ValueError as error:
        return bad_request(str(error))
    context = {
        "evaluation": evaluation,
        "report": report,
        "query": request.GET.urlencode(),
        "figure_names": NAMES,
        "tables": list(TABLES),
    }
    return render(request, "reports/reward.html", context)


@view_report
def reward_download(request: HttpRequest, pk: int, filename: str) -> HttpResponse:
    if filename not in TABLES:
        raise Http404("unknown download")
    try:
        evaluation, report = _report(request, pk)
    except ValueError as error:
        return bad_request(str(error))
    name = f"{slugify(evaluation.name)}-reward-{filename}"
    return attachment(Download(reward_csv(report, filename), "text/csv", name))


@view_report
def reward_figure_file(
    request: HttpRequest, pk: int, name: str, fmt: str
) -> HttpResponse:
    if fmt not in figures.FORMATS or name not in NAMES:
        raise Http404("unknown figure")
    try:
        evaluation, report = _report(request, pk)
    except ValueError as error:
        return bad_request(str(error))
    content = figures.render(reward_figure(report, name), fmt)
    filename = f"{slugify(evaluation.name)}-reward-{name}.{fmt}"
    return attachment(Download(content, figures.FORMATS[fmt], filename))
