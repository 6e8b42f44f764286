"""The quality-control page of an evaluation: one row per annotator with their
figures and warnings; admins pause and resume annotators from it."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .models import Evaluation, PoolMember
from .quality import AnnotatorQuality, QualityWarning, Share
from .quality_selectors import quality_rows, thresholds_of
from .services.membership import annotator_pause, annotator_resume

PAUSE_PERMISSION = "annotations.change_poolmember"
DEFAULT_PAUSE_MESSAGE = "Paused by an admin."
MAX_MESSAGE_CHARS = 2_000


# The figures' columns: the warning's figure name and the heading.
COLUMNS = [
    ("gold_accuracy", "Gold accuracy"),
    ("self_consistency", "Self-consistency"),
    ("agreement", "Agreement"),
    ("median_seconds", "Median seconds"),
    ("fast_share", "Too fast"),
    ("tie_share", "Ties"),
    ("side_bias", "Side bias"),
]


NONE = "\N{EN DASH}"


_MAXIMA = {"fast_share", "tie_share", "side_bias"}


def _short(warning: QualityWarning) -> str:
    """A warning in a few words for the table (its message is the cell's title)."""
    label = dict(COLUMNS)[warning.figure].lower()
    bound = ">" if warning.figure in _MAXIMA else "<"
    return f"{label} {warning.value:.2f} {bound} {warning.threshold:.2f}"


def _share(share: Share) -> tuple[str, str]:
    if not share.count:
        return NONE, ""
    return f"{share.value:.2f}", f"{share.hits}/{share.count}"


def _cells(quality: AnnotatorQuality) -> list[tuple[str, str, str, bool]]:
    """(figure, value, detail, warned) per column."""
    warned = {w.figure for w in quality.warnings}
    bias = quality.side_bias
    values = {
        "gold_accuracy": _share(quality.gold),
        "self_consistency": _share(quality.repeats),
        "agreement": _share(quality.agreement),
        "median_seconds": (
            NONE if quality.median_seconds is None else f"{quality.median_seconds:.1f}",
            "",
        ),
        "fast_share": _share(quality.fast),
        "tie_share": _share(quality.ties),
        "side_bias": (
            NONE if bias is None else f"{bias:+.2f}",
            f"{quality.a_answers} A, {quality.b_answers} B" if bias is not None else "",
        ),
    }
    return [(f, *values[f], f in warned) for f, _ in COLUMNS]


@login_required
@permission_required("annotations.view_report", raise_exception=True)
@require_GET
def quality(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    rows = quality_rows(evaluation=evaluation)
    return render(
        request,
        "annotations/quality.html",
        {
            "evaluation": evaluation,
            "thresholds": thresholds_of(evaluation),
            "columns": [label for _, label in COLUMNS],
            "rows": [
                (
                    row,
                    _cells(row.quality),
                    [(w, _short(w)) for w in row.quality.warnings],
                )
                for row in rows
            ],
            "can_pause": request.user.has_perm(PAUSE_PERMISSION),
        },
    )


@login_required
@permission_required(PAUSE_PERMISSION, raise_exception=True)
@require_POST
def pause(request: HttpRequest, evaluation_id: int, annotator_id: int) -> HttpResponse:
    """POST ``action`` (pause or resume) and, to pause, an optional ``message``
    shown to the annotator."""
    member = get_object_or_404(
        PoolMember.objects.select_related("evaluation"),
        evaluation_id=evaluation_id,
        user_id=annotator_id,
    )
    annotator = get_object_or_404(get_user_model(), pk=annotator_id)
    action = request.POST.get("action")
    if action == "pause":
        message = request.POST.get("message", "").strip()[:MAX_MESSAGE_CHARS]
        if "\x00" in message:  # PostgreSQL text cannot hold it
            return HttpResponse(
                "message: contains a NUL character; nothing was changed.", status=400
            )
        annotator_pause(
            evaluation=member.evaluation,
            annotator=annotator,
            message=message or DEFAULT_PAUSE_MESSAGE,
        )
        messages.success(request, f"{annotator} is paused.")
    elif action == "resume":
        annotator_resume(evaluation=member.evaluation, annotator=annotator)
        messages.success(request, f"{annotator} may rate again.")
    else:
        return HttpResponse("action: expected pause or resume", status=400)
    return redirect("annotations:quality", evaluation_id)
