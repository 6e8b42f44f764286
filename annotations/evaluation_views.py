"""Admin pages of evaluations: create one, and build its pairs once generations are
done."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from generations.selectors import generations_ready

from .evaluation_forms import EvaluationCreateForm
from .models import Evaluation
from .services.evaluation_setup import evaluation_pairs_build, evaluation_setup
from .services.evaluations import BuildResult, EvaluationError, awaits_generations


def _built(result: BuildResult) -> str:
    text = f"{result.created} pairs built"
    if result.left_out:
        reasons = "; ".join(f"{k}: {v}" for k, v in sorted(result.left_out.items()))
        text += f"; {result.left_out_total} left out ({reasons})"
        if awaits_generations(result.left_out):
            text += (
                ". Build the pairs again once their generations are done (by a "
                "generation job, or imported for a model without a server)"
            )
        else:  # over the context limit: waiting would not change it
            text += ", for good: a prompt longer than its model's context limit"
    return text + "."


def _pool_short(evaluation: Evaluation, pool: int) -> str:
    """A pool smaller than N annotators per pair completes no pair (a new-user pass
    created N = 5 with 3 and was not told)."""
    needed = evaluation.annotators_per_pair
    if pool >= needed:
        return ""
    return (
        f"Each pair needs {needed} different annotator{'s' if needed != 1 else ''} "
        f"and the pool has {pool}: no pair can complete until more join (the "
        "evaluation's pool in the admin, add_annotators, or an invitation link)."
    )


def _readiness(form: EvaluationCreateForm) -> dict | None:
    """The generations the chosen prompt set and chat models have, and the link
    that starts a job for the missing ones; None until both are chosen."""
    data = getattr(form, "cleaned_data", {})
    prompt_set, models = data.get("prompt_set"), data.get("chat_models")
    if prompt_set is None or not models:
        return None
    models = list(dict.fromkeys(models))
    rows = generations_ready(prompt_set=prompt_set, chat_models=models)
    missing = [row.chat_model.pk for row in rows if row.missing and row.can_generate]
    query = urlencode({"prompt_sets": prompt_set.pk, "chat_models": missing}, True)
    return {
        "prompt_set": prompt_set,
        "rows": rows,
        "job_url": f"{reverse('generations:job-new')}?{query}" if missing else "",
        "complete": all(not row.missing for row in rows),
        "filtered": any(row.filtered for row in rows),
    }


@login_required
@permission_required("annotations.add_evaluation", raise_exception=True)
def evaluation_new(request: HttpRequest) -> HttpResponse:
    """GET: the empty form. POST "check": what generations exist. POST "create":
    the evaluation, with the pairs its generations allow."""
    form = EvaluationCreateForm(request.POST or None)
    if request.method != "POST":
        return render(request, "annotations/evaluation_new.html", {"form": form})
    valid = form.is_valid()
    if valid and "create" in request.POST:
        try:
            result = evaluation_setup(
                evaluation=form.save(commit=False),
                chat_models=form.cleaned_data["chat_models"],
                pool=form.cleaned_data["pool"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, "; ".join(error.messages))
        except IntegrityError:  # the same name, created by someone meanwhile
            form.add_error("name", "An evaluation with this name exists.")
        else:
            messages.success(
                request,
                f"Evaluation {result.evaluation.name} created: " + _built(result),
            )
            if warning := _pool_short(
                result.evaluation, len(form.cleaned_data["pool"])
            ):
                messages.warning(request, warning)
            return redirect("home")
    context = {"form": form, "readiness": _readiness(form)}
    refused = "create" in request.POST and bool(form.errors)
    return render(
        request,
        "annotations/evaluation_new.html",
        context,
        status=400 if refused else 200,
    )


@require_POST
@login_required
@permission_required("annotations.change_evaluation", raise_exception=True)
def pairs_build(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    try:
        result = evaluation_pairs_build(evaluation=evaluation)
    except EvaluationError as error:
        return render(
            request,
            "annotations/pairs_refused.html",
            {"evaluation": evaluation, "message": str(error)},
            status=409,
        )
    messages.success(request, f"{evaluation.name}: {_built(result)}")
    return redirect("home")
