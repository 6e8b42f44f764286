"""Annotator pages: home, rating page and its answers; evaluation progress page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import roles, selectors
from .models import Assignment, Evaluation
from .services import assignments as services


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {"evaluations": selectors.annotator_evaluations(annotator=user)}
    if roles.is_researcher(user):
        context["watched"] = Evaluation.objects.order_by("name").only("pk", "name")
    return render(request, "annotations/home.html", context)


def _lease_next(request: HttpRequest, evaluation: Evaluation) -> Assignment | None:
    return services.assignment_next(evaluation=evaluation, annotator=request.user)


@login_required
@require_POST
def next_pair(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    try:
        assignment = _lease_next(request, evaluation)
    except services.AssignmentError as error:
        messages.error(request, error.message)
        return redirect("annotations:home")
    if assignment is None:
        messages.success(
            request, "Nothing is left for you in this evaluation. Thank you!"
        )
        return redirect("annotations:home")
    return redirect("annotations:assignment", assignment_id=assignment.pk)


def _own(request: HttpRequest, assignment_id: int) -> Assignment:
    try:
        return selectors.assignment_for_annotator(
            assignment_id=assignment_id, annotator=request.user
        )
    except Assignment.DoesNotExist:
        raise Http404("No such assignment.") from None


@login_required
@require_GET
def assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    own = _own(request, assignment_id)
    if own.state != Assignment.State.LEASED:
        messages.info(request, "That pair is finished; here is the next one.")
        return _continue(request, own.comparison.evaluation)
    return render(request, "annotations/rate.html", {"pair": selectors.pair_view(own)})


def _continue(request: HttpRequest, evaluation: Evaluation, note: str = ""):
    """After an answer: the next pair (a fragment for fetch(), else a redirect)."""
    wants_fragment = request.headers.get("X-Requested-With") == "fetch"
    try:
        following = _lease_next(request, evaluation)
    except services.AssignmentError as error:
        following, note = None, f"{note} {error.message}".strip()
    if not wants_fragment:
        if note:
            messages.info(request, note)
        if following is None:
            if not note:
                messages.success(request, "All done here. Thank you!")
            return redirect("annotations:home")
        return redirect("annotations:assignment", assignment_id=following.pk)
    if following is None:
        html = render_to_string(
            "annotations/_done.html", {"note": note}, request=request
        )
        return JsonResponse({"html": html, "url": reverse("annotations:home")})
    own = _own(request, following.pk)
    html = render_to_string(
        "annotations/_pair.html",
        {"pair": selectors.pair_view(own), "note": note},
        request=request,
    )
    return JsonResponse(
        {
            "html": html,
            "url": reverse("annotations:assignment", args=[following.pk]),
        }
    )


@login_required
@require_POST
def answer(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """One form for the three answers: rate (choice + seconds), skip, flag."""
    own = _own(request, assignment_id)
    action = request.POST.get("action", "rate")
    note = ""
    try:
        if action == "skip":
            services.assignment_skip(assignment_id=own.pk, annotator=request.user)
            note = "Skipped."
        elif action == "flag":
            services.assignment_flag(
                assignment_id=own.pk,
                annotator=request.user,
                comment=request.POST.get("comment", ""),
            )
            note = "Flagged; thank you for reporting it."
        else:
            result = services.rating_submit(
                assignment_id=own.pk,
                annotator=request.user,
                choice=request.POST.get("choice"),
                seconds=request.POST.get("seconds") or None,
                comment=request.POST.get("comment", ""),
            )
            if not result.created:
                note = "That pair was already submitted; your first answer stands."
    except services.InvalidAnswer as error:
        if request.headers.get("X-Requested-With") == "fetch":
            return JsonResponse({"error": error.message}, status=400)
        messages.error(request, error.message)
        return redirect("annotations:assignment", assignment_id=own.pk)
    except services.AssignmentError as error:
        note = error.message
    return _continue(request, own.comparison.evaluation, note)


@login_required
@permission_required("annotations.view_report", raise_exception=True)
@require_GET
def progress(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(
        Evaluation.objects.select_related("candidate", "baseline"), pk=evaluation_id
    )
    return render(
        request,
        "annotations/progress.html",
        {
            "evaluation": evaluation,
            "progress": selectors.evaluation_progress(evaluation=evaluation),
        },
    )
