"""The flag review queue for admins: flagged pairs, and the review of one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import flag_queue
from .models import Comparison, Evaluation, FlagReview
from .services.flag_reviews import FlagReviewRefused, flag_review_record

PER_PAGE = 20
RECENT = 20
REVIEW_PERMISSION = "annotations.add_flagreview"


def _queue(request: HttpRequest, evaluation: Evaluation | None) -> HttpResponse:
    pending = flag_queue.pending_pairs(
        evaluation_id=evaluation.pk if evaluation else None
    ).values_list("pk", flat=True)
    page = Paginator(pending, PER_PAGE).get_page(request.GET.get("page"))
    recent = FlagReview.objects.select_related(
        "comparison__evaluation", "comparison__prompt", "reviewed_by"
    ).order_by("-reviewed_at", "-id")
    if evaluation is not None:
        recent = recent.filter(comparison__evaluation=evaluation)
    context = {
        "evaluation": evaluation,
        "page": page,
        "pairs": flag_queue.flagged_pairs(list(page.object_list)),
        "actions": FlagReview.Action.choices,
        # The last decisions, each of which may be changed (a mistaken exclusion).
        "recent": recent[:RECENT],
    }
    return render(request, "annotations/flags.html", context)


@login_required
@permission_required(REVIEW_PERMISSION, raise_exception=True)
@require_GET
def evaluation_flags(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _queue(request, get_object_or_404(Evaluation, pk=evaluation_id))


@login_required
@permission_required(REVIEW_PERMISSION, raise_exception=True)
@require_GET
def all_flags(request: HttpRequest) -> HttpResponse:
    return _queue(request, None)


@login_required
@permission_required(REVIEW_PERMISSION, raise_exception=True)
@require_POST
def review(request: HttpRequest, comparison_id: int) -> HttpResponse:
    try:
        done = flag_review_record(
            comparison_id=comparison_id,
            action=request.POST.get("action"),
            note=request.POST.get("note", ""),
            reviewer=request.user,
        )
    except Comparison.DoesNotExist:
        raise Http404("no such pair") from None
    except FlagReviewRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Pair {comparison_id}: {done.review.get_action_display().lower()}.",
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return redirect(back)
    return redirect("annotations:flags")
