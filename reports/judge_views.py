"""The judge pages of a report: one judge against the humans, its figure and CSV."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import Evaluation
from evalsite.responses import bad_request

from . import downloads, figures
from .annotator_filters import UnknownAnnotator
from .evaluation_judges import judge_reports, report_options_for
from .judge_downloads import judges_csv
from .judge_figures import confusion_figure
from .values import JudgeReports
from .views import SECTION_TITLES, view_report


def _reports(request: HttpRequest, pk: int) -> tuple[Evaluation, JudgeReports]:
    """The evaluation and its judges' reports; ValueError for bad options, Http404
    when no judge has judged it."""
    item = get_object_or_404(
        Evaluation.objects.select_related("prompt_set", "candidate", "baseline"), pk=pk
    )
    try:
        reports = judge_reports(item, report_options_for(item, request.GET))
    except UnknownAnnotator as error:
        raise ValueError(str(error)) from None
    if reports is None:
        raise Http404("no judge has judged this evaluation")
    return item, reports


@view_report
def judge(request: HttpRequest, pk: int, judge_id: int) -> HttpResponse:
    try:
        item, reports = _reports(request, pk)
    except ValueError as error:
        return bad_request(str(error))
    try:
        report = reports.judge(judge_id)
    except KeyError:
        raise Http404("this judge has not judged this evaluation") from None
    context = {
        "evaluation": item,
        "reports": reports,
        "report": report,
        "query": request.GET.urlencode(),
        "section_titles": SECTION_TITLES,
    }
    return render(request, "reports/judge.html", context)


@view_report
def judge_figure(request: HttpRequest, pk: int, judge_id: int, fmt: str):
    if fmt not in figures.FORMATS:
        raise Http404("unknown figure format")
    try:
        item, reports = _reports(request, pk)
        report = reports.judge(judge_id)
    except ValueError as error:
        return bad_request(str(error))
    except KeyError:
        raise Http404("this judge has not judged this evaluation") from None
    drawing = confusion_figure(report, item.name, reports.human_rule)
    judge = downloads.file_stem(report.judge.name, f"judge-{report.judge.id}")
    name = f"{downloads.evaluation_stem(item)}-{judge}-confusion.{fmt}"
    return downloads.attachment(
        downloads.Download(figures.render(drawing, fmt), figures.FORMATS[fmt], name)
    )


@view_report
def judges_download(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item, reports = _reports(request, pk)
    except ValueError as error:
        return bad_request(str(error))
    return downloads.attachment(
        downloads.Download(
            judges_csv(reports),
            downloads.CSV,
            f"{downloads.evaluation_stem(item)}-judges.csv",
        )
    )
