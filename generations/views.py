"""Generation job pages: list, start, live progress, cancel and resume."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors
from .forms import JobForm
from .models import GenerationJob
from .services import jobs

VIEW = "generations.view_generationjob"
ADD = "generations.add_generationjob"
CHANGE = "generations.change_generationjob"


@login_required
@permission_required(VIEW, raise_exception=True)
def job_list(request: HttpRequest) -> HttpResponse:
    rows = [(job, selectors.job_progress(job=job)) for job in selectors.job_list()[:50]]
    return render(request, "generations/job_list.html", {"rows": rows})


@login_required
@permission_required(ADD, raise_exception=True)
def job_new(request: HttpRequest) -> HttpResponse:
    # A link may preselect what to generate (the evaluation page's missing models).
    initial = {
        name: request.GET.getlist(name) for name in ("prompt_sets", "chat_models")
    }
    form = JobForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job, queued = jobs.job_create_and_launch(
                prompt_sets=form.cleaned_data["prompt_sets"],
                chat_models=form.cleaned_data["chat_models"],
                name=form.cleaned_data["name"],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except jobs.OUTAGES as exc:
            form.add_error(None, str(exc))
            return render(
                request, "generations/job_new.html", {"form": form}, status=503
            )
        else:
            messages.success(request, f"Job started: {queued} generations queued.")
            return redirect(job)
    # A refused submission is a 400, as the API's and the evaluation page's are.
    status = 400 if request.method == "POST" else 200
    return render(request, "generations/job_new.html", {"form": form}, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _detail(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
    job = get_object_or_404(selectors.job_list(), pk=pk)
    progress = selectors.job_progress(job=job)
    return render(
        request,
        "generations/job_detail.html",
        {"job": job, "progress": progress, "can_change": request.user.has_perm(CHANGE)},
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(GenerationJob, pk=pk)
    return JsonResponse(selectors.job_progress(job=job).as_dict())


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs.job_cancel(job=get_object_or_404(GenerationJob, pk=pk))
    messages.success(request, f"{job} is {job.get_status_display().lower()}.")
    return redirect(job)


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(GenerationJob, pk=pk)
    try:
        queued = jobs.job_launch(job=job)
    except jobs.OUTAGES as exc:
        messages.error(request, str(exc))
        return _detail(request, pk, status=503)
    messages.success(request, f"{job} resumed: {queued} generations queued.")
    return redirect(job)
