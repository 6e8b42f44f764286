"""REST endpoints for reports: the report as JSON, and its downloads.

A large report not yet cached is computed by a worker (``reports.background``): its
endpoints answer 202 with the job's progress and a status URL (also in Location),
which answers the job's state until the report is ready.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.models import Evaluation
from evalsite.query_parameters import (
    FORMAT,
    FORMAT_PARAMETER,
    known_parameters,
)

from . import downloads, preference_downloads
from .annotator_filters import UnknownAnnotator
from .background import UnknownJob, report_or_job, report_status
from .evaluation_reports import report_options_for
from .likert_report import likert_download, likert_report
from .preference_options import EXPORT_OPTIONS
from .report_jobs import JobState, ReportJob
from .report_options import OPTIONS, ReportOptions


def option_parameters() -> list[OpenApiParameter]:
    """The report options as query parameters, with their choices as enums."""
    return [
        OpenApiParameter(
            option.name,
            option.type,
            description=option.help,
            enum=option.values or None,
        )
        for option in OPTIONS
    ]


JOB_PARAMETER = OpenApiParameter(
    "job",
    str,
    description="a report job's id, as the status URL hands it out: the report "
    "that job built; 404 naming job for one that is not this evaluation's (or "
    "expired)",
)


class CanViewReports(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("annotations.view_report"))


# The query parameters of a report's endpoints: its options, a finished job's
# report, and (where DRF renders the answer) the format.
OPTION_NAMES = tuple(option.name for option in OPTIONS)
REPORT_PARAMETERS = (*OPTION_NAMES, "job", FORMAT)
FILE_PARAMETERS = (*OPTION_NAMES, "job")  # a file is the file its name says


def _options(
    request, evaluation: Evaluation, allowed: tuple[str, ...] = REPORT_PARAMETERS
) -> ReportOptions:
    known_parameters(request, allowed)
    try:
        return report_options_for(evaluation, request.query_params)
    except ValueError as error:
        raise ValidationError({"detail": str(error)}) from None


def _likert(
    build, evaluation: Evaluation, request, *names: str, allowed=REPORT_PARAMETERS
):
    """A single-response evaluation's Likert report or download; 400 for a bad
    option (or pairs.csv, which it lacks)."""
    known_parameters(request, allowed)
    try:
        return build(evaluation, *names, request.query_params)
    except ValueError as error:
        raise ValidationError({"detail": str(error)}) from None


def _url(request, name: str, pk: int, **extra: str) -> str:
    """An absolute URL with the request's query (``job`` left out) and ``extra``."""
    params = request.query_params.copy()
    params.pop("job", None)
    params.update(extra)
    url = reverse(name, args=[pk])
    query = params.urlencode()
    return request.build_absolute_uri(f"{url}?{query}" if query else url)


def _pending(request, pk: int, job: ReportJob) -> Response:
    """202 with the job's progress and where to ask next; 500 if the job failed."""
    status_url = _url(request, "api-report-status", pk, job=job.id)
    return Response(
        {**job.to_json(), "status_url": status_url},
        status=202 if job.pending else 500,
        headers={"Location": status_url},
    )


def _status(evaluation: Evaluation, options: ReportOptions, job_id: str):
    """``background.report_status``; 400 for a malformed ``job``, 404 naming it for
    another evaluation's."""
    try:
        return report_status(evaluation, options, job_id)
    except ValueError as error:
        raise ValidationError({"detail": str(error)}) from None
    except UnknownJob as error:
        raise NotFound(str(error)) from None


def _report_or_job(evaluation: Evaluation, options: ReportOptions, job_id: str):
    """``background.report_or_job``; 400 for a name ``exclude`` does not know or a
    malformed ``job``, 404 naming ``job`` for one that is no job of this report."""
    try:
        return report_or_job(evaluation, options, job_id, strict=True)
    except ValueError as error:  # UnknownAnnotator among them
        raise ValidationError({"detail": str(error)}) from None
    except UnknownJob as error:
        raise NotFound(str(error)) from None


class ReportView(APIView):
    """The whole report of an evaluation with its metadata. A single-response
    evaluation's is its Likert report (means, distribution and agreement per chat
    model and category; options ``seed`` and ``resamples``), computed at once.

    A large report not yet computed answers 202 with ``status``, ``progress`` and
    ``status_url`` (also in the Location header) while a worker computes it. With
    ``job`` (in the status's ``report_url``), the report that finished job built.
    """

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_retrieve",
        parameters=[*option_parameters(), JOB_PARAMETER, FORMAT_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        if evaluation.kind == Evaluation.Kind.SINGLE:
            return Response(_likert(likert_report, evaluation, request).to_json())
        job_id = request.query_params.get("job", "")
        report = _report_or_job(evaluation, _options(request, evaluation), job_id)
        if isinstance(report, ReportJob):
            return _pending(request, pk, report)
        return Response(report.to_json())


class ReportStatusView(APIView):
    """Where a report computed in the background stands (same query as the report).

    ``status``: queued, running, done, failed (with ``error``) or none (no job: ask
    for the report to start one); ``stage`` and ``progress`` (0 to 1); when done,
    ``report_url``. With ``job`` (as in the status URL handed out) only the job's
    record is read, not the ratings' count.
    """

    permission_classes = [permissions.IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="report_status_retrieve",
        parameters=[*option_parameters(), JOB_PARAMETER, FORMAT_PARAMETER],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        options = _options(request, evaluation)
        job = _status(evaluation, options, request.query_params.get("job", ""))
        data = job.to_json()
        if job.state == JobState.DONE:
            data["report_url"] = _url(request, "api-report", pk, job=job.id)
        return Response(data)


class FirstRenderer(BaseContentNegotiation):
    """The view's first renderer, whatever the query or the Accept header says
    (DRF's documented way): a download is the file it names, whatever type a
    client accepts (``text/csv``, say, where DRF knows only JSON and would answer
    406), and the export's ``format`` parameter names a file format, not a
    renderer. What is not the file (a refusal, a report in progress) is JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportFileView(APIView):
    """A report download: ratings.csv, ratings.parquet, pairs.csv, report.json or
    report.csv (as on the report page)."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]
    content_negotiation_class = FirstRenderer

    @extend_schema(
        operation_id="report_file_retrieve",
        parameters=[
            OpenApiParameter(
                "filename", str, OpenApiParameter.PATH, enum=list(downloads.FILES)
            ),
            *option_parameters(),
            JOB_PARAMETER,
        ],
        responses={
            # Each file's own type (downloads.FILES, without the CSV's charset): it
            # said octet-stream for all.
            **{
                (200, media): OpenApiTypes.BINARY
                for media in dict.fromkeys(
                    kind.split(";")[0] for kind in downloads.FILES.values()
                )
            },
            202: OpenApiTypes.OBJECT,
        },
    )
    def get(self, request, pk: int, filename: str):
        evaluation = get_object_or_404(Evaluation, pk=pk)
        if filename not in downloads.FILES:
            raise Http404(f"unknown file {filename!r}")
        if evaluation.kind == Evaluation.Kind.SINGLE:
            return downloads.attachment(_likert(
                likert_download, evaluation, request, filename, allowed=FILE_PARAMETERS
            ))  # fmt: skip
        options = _options(request, evaluation, FILE_PARAMETERS)
        job_id = request.query_params.get("job", "")
        if filename in downloads.REPORT_FILES:
            report = _report_or_job(evaluation, options, job_id)
            if isinstance(report, ReportJob):
                return _pending(request, pk, report)
        elif job_id:
            # The rows are read as they are; a job still has to be this report's.
            _status(evaluation, options, job_id)
        try:
            download = downloads.evaluation_download(evaluation, filename, options)
        except UnknownAnnotator as error:
            raise ValidationError({"detail": str(error)}) from None
        return downloads.attachment(download)


class PreferenceExportView(APIView):
    """Preference data for reward-model training, in TRL's conversational format:
    a JSONL file, or a zip of a Hugging Face dataset folder (or of the JSONL and its
    "about the same" file). ``evaluation``: names or ids, repeated or
    comma-separated; preference and seven-point evaluations only. A bad or unknown
    parameter answers 400 naming it."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]
    content_negotiation_class = FirstRenderer

    @extend_schema(
        operation_id="preferences_export",
        parameters=[
            OpenApiParameter(
                preference_downloads.EVALUATION_PARAMETER,
                str,
                required=True,
                many=True,
                description="evaluation names or ids (repeat it or separate by commas)",
            ),
            *(
                OpenApiParameter(
                    option.name, str, description=option.help, enum=option.values
                )
                for option in EXPORT_OPTIONS
            ),
        ],
        responses={
            (200, "application/jsonl"): OpenApiTypes.BINARY,
            (200, "application/zip"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        try:
            evaluations, options = preference_downloads.export_request(
                request.query_params
            )
        except ValueError as error:
            raise ValidationError({"detail": str(error)}) from None
        return preference_downloads.preference_download(evaluations, options)
