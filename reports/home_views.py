"""The home page of every role: the evaluations an annotator rates, and for
researchers and admins the table of every evaluation (``home_rows``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from annotations import roles, selectors

from .home_rows import home_rows


# Never from a cache: the Back button after rating showed the counts from before
# (the browser's back/forward cache keeps a page without no-store; a new-user pass).
@never_cache
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {"evaluations": selectors.annotator_evaluations(annotator=user)}
    if roles.is_researcher(user):
        context["rows"] = home_rows()
        context["can_create"] = user.has_perm("annotations.add_evaluation")
        context["can_build"] = user.has_perm("annotations.change_evaluation")
    return render(request, "annotations/home.html", context)
