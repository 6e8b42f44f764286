"""The home page of every role: the evaluations an annotator rates, and for
researchers and admins the table of every evaluation (``home_rows``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from annotations import roles, selectors
from consistency.models import ConsistencyEvaluation
from generations.models import AuthoringSetup

from .home_rows import home_rows


# Never from a cache: the Back button after rating showed the counts from before
# (the browser's back/forward cache keeps a page without no-store; a new-user pass).
@never_cache
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {"evaluations": selectors.annotator_evaluations(annotator=user)}
    # An annotator's other work, linked from here: the nav links only for those who
    # oversee it (every annotator saw Write prompts and Consistency, and empty pages;
    # a new-user pass), so a rating page costs no query for them.
    context["writes"] = (
        not user.has_perm("generations.view_prompt")
        and AuthoringSetup.objects.filter(writers=user).exists()
    )
    context["judges"] = (
        not user.has_perm("consistency.view_consistencyevaluation")
        and ConsistencyEvaluation.objects.filter(annotators=user).exists()
    )
    if roles.is_researcher(user):
        context["rows"] = home_rows()
        context["can_create"] = user.has_perm("annotations.add_evaluation")
        context["can_build"] = user.has_perm("annotations.change_evaluation")
    return render(request, "annotations/home.html", context)
