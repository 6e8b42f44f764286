"""The reward-model report's page, CSV tables and figures, for researchers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import Evaluation
from evalsite.responses import bad_request

from . import figures
from .downloads import CSV, Download, attachment, evaluation_stem
from .reward_accuracy import reward_options, reward_report
from .reward_downloads import TABLES, reward_csv
from .reward_figures import NAMES, reward_figure
from .views import view_report

# Why a section below is empty for every rating of these scales (said on the page).
SCALE_NOTES = {
    Evaluation.Scale.THREE: (
        "Three-point ratings (A / tie / B) say which response was chosen but not by "
        "how much, and nothing on this page reads them: accuracy, safety and the "
        "histograms need a preference or seven-point evaluation, the mean score per "
        "rating a single-response (Likert) one."
    ),
    Evaluation.Scale.LIKERT: (
        "A single-response (Likert) evaluation chooses no response: only the mean "
        "score per Likert rating applies to it."
    ),
}


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
        "scale_note": SCALE_NOTES.get(evaluation.scale, ""),
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
    name = f"{evaluation_stem(evaluation)}-reward-{filename}"
    return attachment(Download(reward_csv(report, filename), CSV, name))


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
    filename = f"{evaluation_stem(evaluation)}-reward-{name}.{fmt}"
    return attachment(Download(content, figures.FORMATS[fmt], filename))
