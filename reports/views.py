"""Report pages and downloads for researchers; each view only translates in and out."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from annotations.models import Comparison, Evaluation
from evalsite.converters import record_id
from evalsite.rendering import render_markdown, render_stored
from evalsite.responses import bad_request

from . import downloads, figures, selectors
from .annotator_filters import UnknownAnnotator
from .background import report_or_job
from .evaluation_judges import judge_reports
from .evaluation_reports import report_options_for
from .forms import ReportOptionsForm
from .likert_report import likert_download, likert_report
from .report_jobs import ReportJob
from .report_options import ReportOptions
from .report_warnings import MIN_GROUP_PROMPTS
from .values import BreakdownRow


def view_report(view):
    """Signed out: to the login page (and back); signed in without the report
    permission (an annotator): 403."""
    return login_required(
        permission_required("annotations.view_report", raise_exception=True)(view)
    )


SECTION_TITLES = {
    "category": "By category (a prompt in two categories counts in both)",
    "turns": "By number of turns",
    "turn_kind": "Single- vs multi-turn",
    "quintile": "By word-count quintile (prompt plus both responses)",
    "collection_method": "By collection method (multi-turn prompts)",
}


def _options(request: HttpRequest, item: Evaluation | None = None) -> ReportOptions:
    return report_options_for(item, request.GET)


def _job(request: HttpRequest) -> str:
    """The finished job whose report the page asks for, if any (see
    ``reports.background.report_or_job``)."""
    return request.GET.get("job", "")


def _status_url(request: HttpRequest, evaluation_id: int, job: ReportJob) -> str:
    """The JSON status of a report computed in the background (same query)."""
    params = request.GET.copy()
    params["job"] = job.id
    return f"{reverse('api-report-status', args=[evaluation_id])}?{params.urlencode()}"


def _progress(request: HttpRequest, item: Evaluation, job: ReportJob) -> HttpResponse:
    """The page shown while a worker computes the report (202), or its failure."""
    context = {
        "evaluation": item,
        "job": job,
        "status_url": _status_url(request, item.pk, job),
    }
    status = 202 if job.pending else 500
    return render(request, "reports/progress.html", context, status=status)


def _figure_download(drawing, fmt: str, filename: str) -> HttpResponse:
    content = figures.render(drawing, fmt)
    return downloads.attachment(
        downloads.Download(content, figures.FORMATS[fmt], filename)
    )


@view_report
def index(request: HttpRequest) -> HttpResponse:
    evaluations = selectors.evaluations_for_reports()
    return render(request, "reports/index.html", {"evaluations": evaluations})


@view_report
def evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        Evaluation.objects.select_related("prompt_set", "candidate", "baseline"), pk=pk
    )
    if item.kind == Evaluation.Kind.SINGLE:
        return _likert(request, item)
    try:
        options = _options(request, item)
        report = report_or_job(item, options, _job(request))
    except ValueError as error:  # UnknownAnnotator among them
        return _options_refused(request, item, str(error))
    if isinstance(report, ReportJob):
        return _progress(request, item, report)
    context = {
        "evaluation": item,
        "report": report,
        "judges": judge_reports(item, options, own=False),
        "options": options,
        "options_form": ReportOptionsForm(options, kind=item.kind, scale=item.scale),
        "query": request.GET.urlencode(),
        "figure_names": figures.names_for(report),
        "downloads": list(downloads.FILES),
        "section_titles": SECTION_TITLES,
        "min_group_prompts": MIN_GROUP_PROMPTS,
    }
    if report.is_tournament:
        return render(request, "reports/tournament.html", context)
    return render(request, "reports/evaluation.html", context)


def _options_refused(
    request: HttpRequest, item: Evaluation, error: str
) -> HttpResponse:
    """400: the report page's options form with what was sent, and the error (which
    names the option) above it, so that the researcher can correct it there."""
    context = {
        "evaluation": item,
        "error": error,
        "options_form": ReportOptionsForm(
            ReportOptions(), kind=item.kind, scale=item.scale, data=request.GET
        ),
    }
    return render(request, "reports/options_refused.html", context, status=400)


def _likert(request: HttpRequest, item: Evaluation) -> HttpResponse:
    """A single-response evaluation's page: its Likert report."""
    try:
        report = likert_report(item, request.GET)
    except ValueError as error:
        return bad_request(str(error))
    context = {
        "evaluation": item,
        "report": report,
        "query": request.GET.urlencode(),
        "downloads": list(downloads.LIKERT_FILES),
    }
    return render(request, "reports/likert.html", context)


@view_report
def figure(request: HttpRequest, pk: int, name: str, fmt: str) -> HttpResponse:
    item = get_object_or_404(Evaluation, pk=pk)
    if fmt not in figures.FORMATS:
        raise Http404("unknown figure format")
    try:
        report = report_or_job(item, _options(request, item), _job(request))
        if isinstance(report, ReportJob):
            return _progress(request, item, report)
        drawing = figures.figure(report, name)
    except ValueError as error:
        return bad_request(str(error))
    except KeyError:
        raise Http404("unknown figure") from None
    return _figure_download(
        drawing, fmt, f"{downloads.evaluation_stem(item)}-{name}.{fmt}"
    )


@view_report
def download(request: HttpRequest, pk: int, filename: str) -> HttpResponse:
    item = get_object_or_404(Evaluation, pk=pk)
    if filename not in downloads.FILES:
        raise Http404("unknown download")
    if item.kind == Evaluation.Kind.SINGLE:
        try:
            return downloads.attachment(likert_download(item, filename, request.GET))
        except ValueError as error:
            return bad_request(str(error))
    try:
        options = _options(request, item)
    except ValueError as error:
        return bad_request(str(error))
    try:
        if filename in downloads.REPORT_FILES:
            report = report_or_job(item, options, _job(request))
            if isinstance(report, ReportJob):
                return _progress(request, item, report)
        download = downloads.evaluation_download(item, filename, options)
    except ValueError as error:  # UnknownAnnotator, a malformed job
        return bad_request(str(error))
    return downloads.attachment(download)


def _compared(request: HttpRequest):
    """The chosen head-to-head evaluations, their reports (or jobs) and the options;
    ValueError naming every ``evaluation`` value that is not one's id."""
    values = request.GET.getlist("evaluation")
    ids = {pk for value in values if (pk := record_id(value)) is not None}
    items = list(
        Evaluation.objects.filter(pk__in=ids, kind=Evaluation.Kind.HEAD_TO_HEAD)
        .select_related("prompt_set", "candidate", "baseline")
        .order_by("name")
    )
    found = {item.pk for item in items}
    unknown = [value for value in values if record_id(value) not in found]
    if unknown:
        raise ValueError(
            f"evaluation: {', '.join(map(repr, unknown))} "
            f"{'is not the id' if len(unknown) == 1 else 'are not ids'} of "
            "a head-to-head evaluation"
        )
    options = _options(request)
    reports = []
    for item in items:
        try:
            reports.append(report_or_job(item, options, _job(request)))
        except UnknownAnnotator as error:  # "this evaluation": which, of several
            raise ValueError(f"{error}: {item.name}") from None
    return items, reports, options


def _pending(request, items, reports) -> HttpResponse | None:
    """The progress page of the first compared report still computing, if any."""
    for item, report in zip(items, reports, strict=True):
        if isinstance(report, ReportJob):
            return _progress(request, item, report)
    return None


def _by_category(
    tables: list[tuple[BreakdownRow, ...]],
) -> list[tuple[str, list[BreakdownRow | None]]]:
    """Per category, its row in each evaluation's table (None where it has none)."""
    rows = [{row.group: row for row in table} for table in tables]
    categories = sorted({group for by_group in rows for group in by_group})
    return [(category, [by_group.get(category) for by_group in rows])
            for category in categories]  # fmt: skip


@view_report
def compare(request: HttpRequest) -> HttpResponse:
    try:
        items, reports, options = _compared(request)
    except ValueError as error:
        return bad_request(str(error))
    if pending := _pending(request, items, reports):
        return pending
    by_category = _by_category([report.breakdowns.category for report in reports])
    context = {
        "pairs": list(zip(items, reports, strict=True)),
        "by_category": by_category,
        "options": options,
        "query": request.GET.urlencode(),
        "enough": len(items) >= 2,
        "min_group_prompts": MIN_GROUP_PROMPTS,
    }
    return render(request, "reports/compare.html", context)


@view_report
def compare_figure(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in figures.FORMATS:
        raise Http404("unknown figure format")
    try:
        items, reports, _ = _compared(request)
    except ValueError as error:
        return bad_request(str(error))
    if pending := _pending(request, items, reports):
        return pending
    if not reports:
        raise Http404("no head-to-head evaluation chosen")
    drawing = figures.compare_figure(reports)
    return _figure_download(drawing, fmt, f"compare.{fmt}")


@view_report
def prompts(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Evaluation, pk=pk)
    # By prompt id as people read them: 2 before 10 (a database sorts them as text).
    ids = Comparison.objects.filter(evaluation=item).values_list(
        "id", "prompt__external_id"
    )
    ordered = [pk for pk, _ in sorted(ids, key=lambda row: (_natural(row[1]), row[0]))]
    page = Paginator(ordered, 50).get_page(request.GET.get("page"))
    shown = Comparison.objects.select_related(
        "prompt", "candidate_generation__chat_model", "baseline_generation__chat_model"
    ).in_bulk(page.object_list)
    page.object_list = [shown[pk] for pk in page.object_list]
    return render(request, "reports/prompts.html", {"evaluation": item, "page": page})


def _natural(text: str) -> list:
    """A sort key: the digits in ``text`` as numbers ("p2" before "p10")."""
    parts = re.split(r"(\d+)", text)
    return [int(part) if index % 2 else part for index, part in enumerate(parts)]


def _tally_by_generation(comparisons) -> dict[int, dict[str, int]]:
    """Ratings each response received, from its own side: preferred, tie, not."""
    tally: dict[int, dict[str, int]] = {}
    for comparison in comparisons:
        for rating in comparison.rating_list:
            for generation_id, score in (
                (comparison.candidate_generation_id, rating.score),
                (comparison.baseline_generation_id, -rating.score),
            ):
                counts = tally.setdefault(
                    generation_id, {"preferred": 0, "tie": 0, "other": 0}
                )
                key = "preferred" if score > 0 else "other" if score < 0 else "tie"
                counts[key] += 1
    return tally


@view_report
def prompt(request: HttpRequest, prompt_id: int) -> HttpResponse:
    try:
        context = selectors.prompt_explorer(prompt_id)
    except selectors.Prompt.DoesNotExist:
        raise Http404("no such prompt") from None
    context["turns"] = [
        {"role": turn.get("role", ""), "html": render_markdown(turn.get("content", ""))}
        for turn in context["prompt"].turns
    ]
    tally = _tally_by_generation(context["comparisons"])
    context["responses"] = [
        (
            generation,
            render_stored(generation.text, generation.html, generation.html_version),
            tally.get(generation.pk),
        )
        for generation in context["generations"]
    ]
    return render(request, "reports/prompt.html", context)
