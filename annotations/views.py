"""Annotator pages: rating page and its answers; evaluation progress page (the home
is ``reports.home_views``)."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import selectors
from .models import Assignment, Evaluation
from .services import assignments as services
from .services.answering import answer_submit
from .services.assignments import Action
from .services.membership import completion_for


@login_required
@require_POST
def next_pair(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    try:
        assignment = services.assignment_next(
            evaluation=evaluation, annotator=request.user
        )
    except services.QuotaDone:
        return redirect("annotations:completed", evaluation_id=evaluation.pk)
    except services.AssignmentError as error:
        messages.error(request, error.message)
        return redirect("annotations:home")
    if assignment is None:
        messages.success(
            request, "Nothing is left for you in this evaluation. Thank you!"
        )
        return redirect("annotations:home")
    return redirect("annotations:assignment", assignment_id=assignment.pk)


_ACTIONS = frozenset(action.value for action in Action)
_BARRED = (services.NotInPool, services.EvaluationClosed, services.Paused)


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@login_required
@require_GET
def assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    try:
        own = selectors.assignment_for_annotator(
            assignment_id=assignment_id, annotator=request.user
        )
    except Assignment.DoesNotExist:
        raise Http404("No such assignment.") from None
    if own.state == Assignment.State.LEASED:
        return render(
            request, "annotations/rate.html", {"pair": selectors.pair_view(own)}
        )
    messages.info(request, "That pair is finished; here is the next one.")
    note, stopped = "", None
    try:
        following = services.assignment_next(
            evaluation=own.comparison.evaluation, annotator=request.user
        )
    except services.AssignmentError as error:
        following, note, stopped = None, error.message, error
    return _next(
        request, following, note, evaluation=own.comparison.evaluation, stopped=stopped
    )


def _next(
    request: HttpRequest,
    following: Assignment | None,
    note: str,
    *,
    evaluation: Evaluation,
    stopped: services.AssignmentError | None = None,
):
    """After an answer: the next pair (a fragment for fetch(), else a redirect); an
    annotator whose quota is done goes to their completion page."""
    if isinstance(stopped, services.QuotaDone):
        completed = reverse("annotations:completed", args=[evaluation.pk])
        if not _wants_fragment(request):
            return redirect(completed)
        html = render_to_string(
            "annotations/_completed.html",
            {
                "completion": completion_for(
                    evaluation=evaluation, annotator=request.user
                ),
                "note": note,
            },
            request=request,
        )
        return JsonResponse({"html": html, "url": completed})
    if not _wants_fragment(request):
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
    pair = selectors.pair_view(following)
    html = render_to_string(
        "annotations/_pair.html",
        {"pair": pair, "note": note},
        request=request,
    )
    return JsonResponse(
        {
            "html": html,
            "url": reverse("annotations:assignment", args=[following.pk]),
        }
    )


SESSION_EXPIRED = "Your session has expired; log in again."


def _session_required(view):
    """login_required, except that fetch() is answered JSON 401 with the login page
    (returning to the pair) instead of a redirect it would follow without telling."""
    page_view = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, assignment_id: int) -> HttpResponse:
        if request.user.is_authenticated or not _wants_fragment(request):
            return page_view(request, assignment_id)
        pair = reverse("annotations:assignment", args=[assignment_id])
        login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': pair})}"
        return JsonResponse({"error": SESSION_EXPIRED, "login": login}, status=401)

    return wrapper


@_session_required
@require_POST
def answer(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """One form for the three answers (rate: choice + seconds, and the safety
    labels when asked; skip; flag), answered with the next pair: one service call
    per click."""
    action = request.POST.get("action")
    if action not in _ACTIONS:
        action = Action.RATE
    comment = request.POST.get("comment", "")
    if "\x00" in comment:  # PostgreSQL text cannot hold it
        message = "comment: contains a NUL character; nothing was stored."
        if _wants_fragment(request):
            return JsonResponse({"error": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain")
    try:
        outcome = answer_submit(
            assignment_id=assignment_id,
            annotator=request.user,
            action=action,
            choice=request.POST.get("choice"),
            seconds=request.POST.get("seconds") or None,
            comment=comment,
            safety_a=request.POST.get("safety_a"),
            safety_b=request.POST.get("safety_b"),
        )
    except Assignment.DoesNotExist:
        raise Http404("No such assignment.") from None
    except services.InvalidAnswer as error:
        if _wants_fragment(request):
            return JsonResponse({"error": error.message}, status=400)
        messages.error(request, error.message)
        return redirect("annotations:assignment", assignment_id=assignment_id)
    if isinstance(outcome.refusal, _BARRED):
        # Nothing stored and no next pair: say why, where the annotator looks.
        message = outcome.refusal.message
        if _wants_fragment(request):
            code = (
                409 if isinstance(outcome.refusal, services.EvaluationClosed) else 403
            )
            return JsonResponse({"error": message}, status=code)
        messages.error(request, message)
        return redirect("annotations:home")
    return _next(
        request,
        outcome.following,
        outcome.notice,
        evaluation=outcome.assignment.comparison.evaluation,
        stopped=outcome.stopped,
    )


@login_required
@require_GET
def completed(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    """Where an annotator whose quota is done lands: their completion code, or the
    crowd platform's completion address they are sent on to."""
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    completion = completion_for(evaluation=evaluation, annotator=request.user)
    if completion is None:
        messages.info(request, "Your share of this evaluation is not done yet.")
        return redirect("annotations:home")
    if completion.url:
        return redirect(completion.url)
    return render(request, "annotations/completed.html", {"completion": completion})


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
