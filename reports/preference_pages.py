"""The preference export page of an evaluation and its download; thin views over
``preference_downloads``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import Evaluation
from evalsite.responses import bad_request

from .forms import PreferenceExportForm
from .preference_downloads import export_request, preference_download
from .preference_export import PREFERENCE_SCALES
from .views import view_report


@view_report
def preferences(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=pk)
    context = {
        "evaluation": evaluation,
        "form": PreferenceExportForm(),
        "exportable": evaluation.scale in PREFERENCE_SCALES,
    }
    return render(request, "reports/preferences.html", context)


@view_report
def preferences_download(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=pk)
    try:
        evaluations, options = export_request(request.GET, [str(evaluation.pk)])
    except ValueError as error:
        return bad_request(str(error))
    return preference_download(evaluations, options)
