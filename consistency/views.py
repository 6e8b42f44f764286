"""Pages of the consistency app: evaluations, upload, start, judging and the report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from evalsite.imports.reader import ImportFileError
from evalsite.rendering import render_markdown

from . import selectors
from .forms import UploadForm, names
from .models import Answer, ConsistencyEvaluation, Dialogue
from .services import imports, judging, runs

VIEW = "consistency.view_consistencyevaluation"
ADD = "consistency.add_consistencyevaluation"
CHANGE = "consistency.change_consistencyevaluation"
KEYS = (("y", Answer.YES), ("n", Answer.NO), ("a", Answer.NOT_APPLICABLE))


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    evaluations = ConsistencyEvaluation.objects.all()
    if not user.has_perm(VIEW):
        evaluations = evaluations.filter(annotators=user)
    # Only a pool's annotators judge: a researcher outside it gets a link to the
    # report, not one to a page that refuses them.
    judging = set(
        ConsistencyEvaluation.objects.filter(annotators=user).values_list(
            "pk", flat=True
        )
    )
    return render(
        request,
        "consistency/list.html",
        {
            "evaluations": evaluations,
            "can_view": user.has_perm(VIEW),
            "judging": judging,
        },
    )


@login_required
@permission_required(ADD, raise_exception=True)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data, file = form.cleaned_data, form.cleaned_data["file"]
            try:
                result = imports.instructions_import(
                    evaluation_name=data["evaluation"],
                    file_name=file.name,
                    data=file.read(),
                    chat_model_names=names(data["chat_models"]),
                    annotator_names=names(data["annotators"]),
                    annotators_per_reply=data["annotators_per_reply"],
                    created_by=request.user,
                )
            except ImportFileError as exc:
                for error in exc.listed:
                    form.add_error("file", str(error))
            else:
                messages.success(
                    request,
                    f"{file.name}: {result.created} created, "
                    f"{result.unchanged} unchanged.",
                )
                return redirect("consistency:detail", result.details["evaluation_id"])
    return render(request, "consistency/upload.html", {"form": form}, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_object_or_404(ConsistencyEvaluation, pk=pk)
    return render(
        request,
        "consistency/detail.html",
        {
            "evaluation": evaluation,
            "counts": _labelled(selectors.dialogue_counts(evaluation=evaluation)),
            "progress": selectors.judging_progress(evaluation=evaluation),
            "stopped": selectors.stopped_dialogues(evaluation=evaluation),
            "retrying": selectors.retrying_dialogues(evaluation=evaluation),
            "instructions": evaluation.instructions.count(),
            "can_change": request.user.has_perm(CHANGE),
            "judges": evaluation.annotators.filter(pk=request.user.pk).exists(),
        },
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_object_or_404(ConsistencyEvaluation, pk=pk)
    try:
        queued = runs.evaluation_start(evaluation=evaluation)
    except runs.UNAVAILABLE as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{queued} dialogues queued.")
    return redirect(evaluation)


@login_required
def judge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the annotator's next reply; POST: store the answer, show the next."""
    evaluation = get_object_or_404(ConsistencyEvaluation, pk=pk)
    note = ""
    try:
        if request.method == "POST":
            try:
                judgement_id = _judgement_id(request.POST.get("judgement", ""))
                outcome = judging.judgement_answer(
                    evaluation=evaluation,
                    annotator=request.user,
                    judgement_id=judgement_id,
                    answer=request.POST.get("answer", ""),
                )
            except (ValueError, OverflowError) as exc:
                return HttpResponse(f"Bad answer: {exc}", status=400)
            except judging.JudgementNotFound as exc:
                raise Http404(str(exc)) from None
            shown = outcome.next
            note = outcome.notice
        else:
            shown = judging.judgement_next(
                evaluation=evaluation, annotator=request.user
            )
    except judging.NotInPool as exc:  # the site's "Not allowed" page, with why
        raise PermissionDenied(str(exc)) from None
    except judging.RepliesBusy as exc:
        return HttpResponse(str(exc), status=503, headers={"Retry-After": "1"})
    context = {"evaluation": evaluation, "shown": shown, "note": note, "keys": KEYS}
    if shown is not None:
        context["reply_html"] = mark_safe(render_markdown(shown.reply_text))
    else:  # nothing to judge: none left, or no dialogue started yet
        context["started"] = evaluation.dialogues.exists()
    return render(request, "consistency/judge.html", context)


def _judgement_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError("judgement: a whole number is required") from None


def _labelled(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The page says "Stopped at the context limit", not the API's status code."""
    return {
        model: {Dialogue.Status(status).label: n for status, n in statuses.items()}
        for model, statuses in counts.items()
    }
