"""Report pages for researchers."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations.models import Evaluation


@permission_required("annotations.view_report", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    evaluations = Evaluation.objects.select_related(
        "prompt_set", "candidate", "baseline"
    ).order_by("name")
    return render(request, "reports/index.html", {"evaluations": evaluations})
