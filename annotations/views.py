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

from evalsite.converters import record_id

from . import selectors
from .item_selectors import item_for_annotator, item_page_url, item_read, item_view
from .models import Assignment, Evaluation, QualityTask
from .sequence_selectors import evaluation_sequence
from .services import answer_changes
from .services import assignments as services
from .services.answering import AnswerOutcome, answer_submit
from .services.assignments import Action
from .services.membership import completion_for
from .services.quality_answers import CheckOutcome, check_answer_submit
from .services.quality_serving import item_next


@login_required
@require_POST
def next_pair(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    try:
        item = item_next(evaluation=evaluation, annotator=request.user)
    except services.QuotaDone:
        return redirect("annotations:completed", evaluation_id=evaluation.pk)
    except services.AssignmentError as error:
        messages.error(request, error.message)
        return redirect("annotations:home")
    if item is None:
        if waiting := _held_by_others(evaluation, request.user):
            messages.info(request, waiting)
        else:
            messages.success(
                request, "Nothing is left for you in this evaluation. Thank you!"
            )
        return redirect("annotations:home")
    return redirect(item_page_url(item))


def _held_by_others(evaluation: Evaluation, user) -> str:
    """When no pair can be leased: why, if pairs left are held by others' leases
    (some may come back); "" when nothing is left at all."""
    _, left = selectors.annotator_counts(evaluation=evaluation, annotator_id=user.pk)
    if not left:
        return ""
    pairs = "pair left is" if left == 1 else f"{left} pairs left are"
    return (
        f"Nothing is free for you right now: the {pairs} being rated by others. "
        "A pair whose rater does not finish comes back: try again in a few minutes."
    )


_ACTIONS = frozenset(action.value for action in Action)
_BARRED = (services.NotInPool, services.EvaluationClosed, services.Paused)


def wants_fragment(request: HttpRequest) -> bool:
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
    return _shown(request, own)


@login_required
@require_GET
def item(request: HttpRequest, token: str) -> HttpResponse:
    """A pair or a quality check, by its opaque token (quality_serving.py)."""
    try:
        own = item_for_annotator(token=token, annotator=request.user)
    except LookupError:
        raise Http404("No such pair.") from None
    return _shown(request, own)


def _shown(request: HttpRequest, own: Assignment | QualityTask) -> HttpResponse:
    """The item's rating page while it is leased, else the next item."""
    evaluation = own.evaluation if isinstance(own, QualityTask) else None
    evaluation = evaluation or own.comparison.evaluation
    if own.state == Assignment.State.LEASED:  # the same value on a QualityTask
        # After a skip without JavaScript: the skipped pair's id, for its Undo (the
        # service checks whose skip it is and that it is recent).
        undo = request.GET.get("undo", "")
        return render(
            request,
            "annotations/rate.html",
            pair_context(own, undo=record_id(undo)),
        )
    note, stopped = "", None
    try:
        following = item_next(evaluation=evaluation, annotator=request.user)
    except services.AssignmentError as error:  # paused, stopped, quota done...
        following, note, stopped = None, error.message, error
    if following is not None:  # else there is no next one to speak of
        messages.info(request, "That pair is finished; here is the next one.")
    return _next(request, following, note, evaluation=evaluation, stopped=stopped)


def pair_context(
    own: Assignment | QualityTask, *, undo: int | None = None, **extra
) -> dict:
    """What _pair.html shows: the pair (or a quality check, shown as a pair) and the
    skip just made (``undo``: its assignment id), which they may undo. The
    annotator's last ratings load when their panel is opened
    (``answer_change_views.ratings_recent``)."""
    return {
        "pair": item_view(own),
        "undo": undo,
        "undo_seconds": answer_changes.UNDO_SECONDS,
        "max_comment": services.MAX_COMMENT,
        **extra,
    }


# What answer_submit says of a skip or flag; the confirmation says it instead.
_SAID = {Action.SKIP: "Skipped.", Action.FLAG: "Flagged; thank you for reporting it."}


def _confirmation(outcome: AnswerOutcome, action: str) -> tuple[dict, str]:
    """The short confirmation of an answer stored by this click ("Saved: A is
    better", "Skipped" with its undo, "Flagged"), and the rest of the notice."""
    notice = outcome.notice
    if outcome.refusal is not None or not outcome.created:
        return {}, notice
    check = isinstance(outcome, CheckOutcome)
    if action == Action.RATE:
        scale, choice = (
            (outcome.evaluation.scale, outcome.task.choice)
            if check
            else (outcome.rating.scale, outcome.rating.choice)
        )
        return {"saved": f"Saved: {selectors.choice_label(scale, choice)}"}, notice
    said = _SAID[Action(action)]
    rest = notice.removeprefix(said).strip()
    if action == Action.SKIP and not check:  # a check's skip cannot be undone
        return {"undo": outcome.assignment.pk}, rest
    return {"saved": said}, rest


def _next(
    request: HttpRequest,
    following: Assignment | QualityTask | None,
    note: str,
    confirmation: dict | None = None,
    *,
    evaluation: Evaluation,
    stopped: services.AssignmentError | None = None,
):
    """After an answer: the next pair (a fragment for fetch(), else a redirect); an
    annotator whose quota is done goes to their completion page."""
    confirmation = confirmation or {}
    if isinstance(stopped, services.QuotaDone):
        completed = reverse("annotations:completed", args=[evaluation.pk])
        if not wants_fragment(request):
            if confirmation.get("saved"):
                messages.success(request, confirmation["saved"])
            return redirect(completed)
        completion = completion_for(evaluation=evaluation, annotator=request.user)
        html = render_to_string(
            "annotations/_completed.html",
            {
                "completion": completion,
                # The page's heading says it already.
                "note": note.replace(stopped.message, "").strip(),
                **confirmation,
            },
            request=request,
        )
        body = {"html": html, "url": completed}
        if completion is not None and completion.url:
            # The crowd platform's completion address: the script goes there, as
            # the completion page does without JavaScript.
            body["leave"] = completion.url
        return JsonResponse(body)
    if not wants_fragment(request):
        if confirmation.get("saved"):
            messages.success(request, confirmation["saved"])
        if note:
            messages.info(request, note)
        if following is None:
            if not note:
                if waiting := _held_by_others(evaluation, request.user):
                    messages.info(request, waiting)
                else:
                    messages.success(request, "All done here. Thank you!")
            return redirect("annotations:home")
        url = item_page_url(following)
        if confirmation.get("undo"):
            url += f"?undo={confirmation['undo']}"
        return redirect(url)
    if following is None:
        html = render_to_string(
            "annotations/_done.html",
            {
                "note": note,
                "waiting": "" if note else _held_by_others(evaluation, request.user),
                "undo_seconds": answer_changes.UNDO_SECONDS,
                "evaluation_id": evaluation.pk,
                **confirmation,
            },
            request=request,
        )
        return JsonResponse({"html": html, "url": reverse("annotations:home")})
    html = render_to_string(
        "annotations/_pair.html",
        pair_context(following, note=note, **confirmation),
        request=request,
    )
    return JsonResponse({"html": html, "url": item_page_url(following)})


SESSION_EXPIRED = "Your session has expired; log in again."


def session_required(view):
    """login_required, except that fetch() is answered JSON 401 with the login page
    (returning to the pair) instead of a redirect it would follow without telling."""
    page_view = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
        if request.user.is_authenticated or not wants_fragment(request):
            return page_view(request, **kwargs)
        if "token" in kwargs:
            pair = reverse("annotations:item", args=[kwargs["token"]])
        else:
            pair = reverse("annotations:assignment", args=[kwargs["assignment_id"]])
        login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': pair})}"
        return JsonResponse({"error": SESSION_EXPIRED, "login": login}, status=401)

    return wrapper


@session_required
@require_POST
def item_answer(request: HttpRequest, token: str) -> HttpResponse:
    """``answer`` for an item named by its token: a pair, or a quality check
    (stored on its task, never as a rating)."""
    read = item_read(token)
    if read is None:
        raise Http404("No such pair.")
    check, pk = read
    page = reverse("annotations:item", args=[token])
    if not check:
        return _answer(request, pk, page=page)
    action = request.POST.get("action")
    if action not in _ACTIONS:
        action = Action.RATE
    try:
        comment = answer_changes.comment_clean(
            request.POST.get("comment", ""), field="comment"
        )
        outcome = check_answer_submit(
            task_id=pk,
            annotator=request.user,
            action=action,
            choice=request.POST.get("choice"),
            seconds=request.POST.get("seconds") or None,
            comment=comment if action == Action.FLAG else "",
        )
    except QualityTask.DoesNotExist:
        raise Http404("No such pair.") from None
    except services.InvalidAnswer as error:
        return _invalid(request, error, page=page)
    return _after(request, outcome, evaluation=outcome.evaluation, action=action)


def _invalid(request: HttpRequest, error, *, page: str) -> HttpResponse:
    if wants_fragment(request):
        return JsonResponse({"error": error.message}, status=400)
    messages.error(request, error.message)
    return redirect(page)


@session_required
@require_POST
def answer(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """One form for the three answers (rate: choice + seconds, and the safety
    labels when asked; skip; flag), answered with the next pair: one service call
    per click."""
    return _answer(
        request,
        assignment_id,
        page=reverse("annotations:assignment", args=[assignment_id]),
    )


def _answer(request: HttpRequest, assignment_id: int, *, page: str) -> HttpResponse:
    action = request.POST.get("action")
    if action not in _ACTIONS:
        action = Action.RATE
    # A rating's rationale comes from its own box; a flag's note from the flag box.
    field = (
        "rationale"
        if action == Action.RATE and "rationale" in request.POST
        else "comment"
    )
    try:
        comment = answer_changes.comment_clean(request.POST.get(field, ""), field=field)
    except services.InvalidAnswer as error:
        message = f"{error.message}; nothing was stored."
        if wants_fragment(request):
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
        return _invalid(request, error, page=page)
    return _after(
        request,
        outcome,
        evaluation=outcome.assignment.comparison.evaluation,
        action=action,
    )


def _after(
    request: HttpRequest,
    outcome: AnswerOutcome | CheckOutcome,
    *,
    evaluation: Evaluation,
    action: str,
) -> HttpResponse:
    """The answer's outcome (a pair's or a check's), as the next item."""
    if isinstance(outcome.refusal, _BARRED):
        # Nothing stored and no next pair: say why, where the annotator looks.
        message = outcome.refusal.message
        if wants_fragment(request):
            code = (
                409 if isinstance(outcome.refusal, services.EvaluationClosed) else 403
            )
            return JsonResponse({"error": message}, status=code)
        messages.error(request, message)
        return redirect("annotations:home")
    confirmation, note = _confirmation(outcome, action)
    return _next(
        request,
        outcome.following,
        note,
        confirmation,
        evaluation=evaluation,
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
            "sequence": evaluation_sequence(evaluation=evaluation),
        },
    )
