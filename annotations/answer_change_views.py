"""The annotator's controls over answers already given: undo a skip just made, and
the page that changes one of their last ratings."""

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from evalsite.converters import record_id

from . import selectors
from .item_selectors import item_for_annotator, item_page_url
from .models import Assignment, Evaluation, Rating
from .services import answer_changes
from .services import assignments as services
from .views import pair_context, session_required, wants_fragment


@session_required
@require_POST
def skip_undo(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Take back a skip made seconds ago: the pair comes back (a fragment for
    fetch(), else the pair's page)."""
    try:
        assignment = answer_changes.skip_undo(
            assignment_id=assignment_id, annotator=request.user
        )
    except Assignment.DoesNotExist:
        raise Http404("No such assignment.") from None
    except services.AssignmentError as error:
        if wants_fragment(request):
            return JsonResponse({"error": error.message}, status=409)
        messages.error(request, error.message)
        return redirect("annotations:home")
    if not wants_fragment(request):
        messages.info(request, "Skip undone; here is the pair again.")
        return redirect("annotations:assignment", assignment_id=assignment.pk)
    html = render_to_string(
        "annotations/_pair.html",
        pair_context(assignment, note="Skip undone; here is the pair again."),
        request=request,
    )
    return JsonResponse(
        {
            "html": html,
            "url": item_page_url(assignment),
        }
    )


def _back(request: HttpRequest) -> tuple[str, str | None]:
    """The pair the annotator came from (``from``: an assignment id, or the item's
    token once the evaluation mixes in checks, where a pair has no id on the page)
    and its page's URL, when it is one of theirs; ("", None) otherwise (the links
    then lead to the annotator's home)."""
    value = request.GET.get("from", "")
    pk = record_id(value)
    if pk is not None:
        mine = selectors.assignment_is_annotators(
            assignment_id=pk, annotator=request.user
        )
        return (
            (value, reverse("annotations:assignment", args=[pk]))
            if mine
            else ("", None)
        )
    try:
        item = item_for_annotator(token=value, annotator=request.user)
    except LookupError:
        return "", None
    return value, item_page_url(item)


@login_required
@require_GET
def ratings_recent(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    """The annotator's last ratings in the evaluation, each with its Change link
    while its pair is open: the panel of the rating page (a fragment for fetch())
    or a page of its own."""
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    back, back_url = _back(request)
    context = {
        "recent": selectors.ratings_recent(
            evaluation=evaluation, annotator_id=request.user.pk
        ),
        "back": back,
        "back_url": back_url,
    }
    if wants_fragment(request):
        return render(request, "annotations/_recent.html", context)
    return render(request, "annotations/ratings_recent.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rating_edit(request: HttpRequest, rating_id: int) -> HttpResponse:
    """Change one of the annotator's last ratings: the pair as it was shown (same
    sides) with the answer given selected; saved, back to the pair they hold."""
    rating = get_object_or_404(
        Rating.objects.select_related("assignment"),
        pk=rating_id,
        annotator=request.user,
        source=Rating.Source.NATIVE,
        assignment__isnull=False,
    )
    back, back_url = _back(request)
    back_url = back_url or reverse("annotations:home")
    error, code = "", 200
    if request.method == "POST":
        try:
            revision = answer_changes.rating_revise(
                rating_id=rating.pk,
                annotator=request.user,
                choice=request.POST.get("choice", answer_changes.UNCHANGED),
                comment=request.POST.get("rationale", answer_changes.UNCHANGED),
                safety_a=request.POST.get("safety_a", answer_changes.UNCHANGED),
                safety_b=request.POST.get("safety_b", answer_changes.UNCHANGED),
            )
        except services.AssignmentError as error_:
            error = error_.message
            code = 400 if isinstance(error_, services.InvalidAnswer) else 409
        else:
            stored = revision.rating
            label = selectors.choice_label(stored.scale, stored.choice)
            messages.success(
                request,
                f"Saved: {label} (changed)" if revision.changes else "Nothing changed.",
            )
            return redirect(back_url)
        rating.refresh_from_db()
    own = selectors.assignment_for_annotator(
        assignment_id=rating.assignment_id, annotator=request.user
    )
    editable = any(
        recent.rating_id == rating.pk and recent.editable
        for recent in selectors.ratings_recent(
            evaluation=own.comparison.evaluation, annotator_id=request.user.pk
        )
    )
    pair = selectors.pair_view(own, with_counts=False)
    context = {
        "pair": pair,
        # The labels given, checked (the sides as shown, as the rating keeps them).
        "safety": [
            dataclasses.replace(question, selected=getattr(rating, question.field))
            for question in pair.safety
        ],
        "rating": rating,
        "editable": editable,
        "error": error,
        "back_url": back_url,
        "back": back,
        "max_comment": services.MAX_COMMENT,
        "window": own.comparison.evaluation.edit_window,
    }
    return render(request, "annotations/rating_edit.html", context, status=code)
