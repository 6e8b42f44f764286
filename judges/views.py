"""Judge run pages: list and start, live progress, cancel and resume, judgements."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors
from .forms import RunForm
from .models import JudgeRun
from .services import runs

VIEW = "judges.view_judgerun"
ADD = "judges.add_judgerun"
CHANGE = "judges.change_judgerun"
PER_PAGE = 100


@login_required
@permission_required(VIEW, raise_exception=True)
def run_list(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm(ADD):
            # The site's "Not allowed" page (403.html), as every other refusal.
            raise PermissionDenied("You may not start judge runs.")
        if form.is_valid():
            try:
                run, queued, _ = runs.run_start(
                    evaluation=form.cleaned_data["evaluation"],
                    judge=form.cleaned_data["judge"],
                    both_orders=form.cleaned_data["both_orders"],
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except runs.OUTAGES as exc:
                form.add_error(None, str(exc))
                status = 503
            else:
                # An unticked box cannot take an order away from a run (as the
                # API's refusal says): say that the resume kept both.
                kept = run.both_orders and not form.cleaned_data["both_orders"]
                note = " It judges both orders, which a resume keeps." if kept else ""
                messages.success(request, f"{run}: {queued} judgements queued.{note}")
                return redirect(run)
        if status == 200:
            status = 400
    rows = [
        (run, selectors.run_progress(run=run, errors=0))
        for run in selectors.run_list()[:50]
    ]
    return render(
        request,
        "judges/run_list.html",
        {"rows": rows, "form": form, "can_add": request.user.has_perm(ADD)},
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _detail(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
    run = get_object_or_404(selectors.run_list(), pk=pk)
    page = Paginator(selectors.run_judgements(run=run), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "judges/run_detail.html",
        {
            "run": run,
            "chat_model": selectors.run_chat_model(run=run),
            "progress": selectors.run_progress(run=run),
            "templates_used": selectors.run_templates(run=run),
            "page": page,
            "can_change": request.user.has_perm(CHANGE),
        },
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(JudgeRun, pk=pk)
    return JsonResponse(selectors.run_progress(run=run).as_dict())


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = runs.run_cancel(run=get_object_or_404(JudgeRun, pk=pk))
    messages.success(request, f"{run} is {run.get_status_display().lower()}.")
    return redirect(run)


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(JudgeRun, pk=pk)
    try:
        queued = runs.run_start(evaluation=run.evaluation, judge=run.judge).queued
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, pk, status=400)
    except runs.OUTAGES as exc:
        messages.error(request, str(exc))
        return _detail(request, pk, status=503)
    messages.success(request, f"{run} resumed: {queued} judgements queued.")
    return redirect(run)
