"""Invitation links: the admin's page that makes and revokes them, and the join page."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from evalsite.rendering import render_markdown

from . import selectors
from .models import Evaluation, Invitation
from .services import assignments
from .services import invitations as services

ADD = "annotations.add_invitation"
CHANGE = "annotations.change_invitation"
# Joining signs the visitor in without a password; two backends are configured.
_BACKEND = "django.contrib.auth.backends.ModelBackend"


class InvitationForm(forms.ModelForm):
    completion_url = forms.URLField(
        label="Completion URL",
        required=False,
        assume_scheme="https",
        help_text="Where a person whose quota is done is sent (Prolific's completion "
        "URL).",
    )

    class Meta:
        model = Invitation
        fields = [
            "label",
            "max_uses",
            "expires_at",
            "quota",
            "completion_code",
        ]  # and completion_url, declared above
        widgets = {
            "expires_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        labels = {"expires_at": "Expires (UTC)", "quota": "Pairs per person"}


@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_object_or_404(Evaluation, pk=evaluation_id)
    now = timezone.now()
    initial = {"expires_at": now + timedelta(days=7), "max_uses": 10}
    form = InvitationForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    evaluation=evaluation, created_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Link created: {_link(request, invitation)}")
                return redirect("annotations:invitations", evaluation_id=evaluation.pk)
        status = 400
    rows = [
        (invitation, _link(request, invitation))
        for invitation in evaluation.invitations.order_by("-created_at")
    ]
    context = {"evaluation": evaluation, "form": form, "rows": rows, "now": now}
    return render(request, "annotations/invitations.html", context, status=status)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def invitation_revoke(
    request: HttpRequest, evaluation_id: int, invitation_id: int
) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, evaluation_id=evaluation_id
    )
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"Link {invitation.label or invitation.pk} revoked.")
    return redirect("annotations:invitations", evaluation_id=evaluation_id)


def _link(request: HttpRequest, invitation: Invitation) -> str:
    return request.build_absolute_uri(
        reverse("annotations:join", args=[invitation.token])
    )


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a welcome with the guidelines and a Start button (nothing is created).
    POST: join the pool, sign in and go to the first pair. The crowd ids travel in
    the query string of both."""
    invitation = (
        Invitation.objects.select_related("evaluation").filter(token=token).first()
    )
    if invitation is None:
        raise Http404("No such invitation link.")
    try:
        crowd = services.crowd_ids_clean(request.GET)
    except services.InvalidCrowdId as error:
        return _refused(request, error.message, status=400)
    signed_in = request.user if request.user.is_authenticated else None
    if request.method == "GET":
        return _welcome(request, invitation, signed_in, crowd)
    try:
        joined = services.invitation_join(token=token, user=signed_in, crowd=crowd)
    except services.InvitationRefused as error:
        return _refused(request, error.message, status=410)
    if joined.user != signed_in:
        login(request, joined.user, backend=_BACKEND)
    return _first_pair(request, invitation.evaluation, joined)


def _welcome(
    request: HttpRequest,
    invitation: Invitation,
    signed_in: AbstractBaseUser | None,
    crowd: services.CrowdIds,
) -> HttpResponse:
    evaluation = invitation.evaluation
    refusal = services.invitation_refusal(invitation, now=timezone.now())
    returning = services.pool_member_returning(
        evaluation=evaluation, user=signed_in, crowd=crowd
    )
    if refusal in ("full", "no_work") and returning:
        refusal = None  # its own members still come back (to their completion)
    if refusal is not None:
        return _refused(request, services.REFUSALS[refusal], status=410)
    context = {
        "title": selectors.annotator_title(evaluation),
        "guidelines_html": render_markdown(evaluation.guidelines),
        # Someone already in the pool (by another link, say) keeps their own quota.
        "quota": (
            (returning.quota or evaluation.quota)
            if returning
            else (invitation.quota or evaluation.quota)
        ),
        "returning": returning is not None,
        # A single-response evaluation rates one answer at a time, not pairs.
        "single": evaluation.kind == Evaluation.Kind.SINGLE,
        "done": returning is not None and returning.completed_at is not None,
        "action": request.get_full_path(),
        # Staff previewing a link would become raters who know the models.
        "sees_reports": signed_in is not None
        and signed_in.has_perm("annotations.view_report"),
    }
    return render(request, "annotations/join.html", context)


def _refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(
        request, "annotations/join_refused.html", {"message": message}, status=status
    )


def _first_pair(
    request: HttpRequest, evaluation: Evaluation, joined: services.Joined
) -> HttpResponse:
    try:
        assignment = assignments.assignment_next(
            evaluation=evaluation, annotator=joined.user
        )
    except assignments.QuotaDone:  # a participant back after finishing their share
        return redirect("annotations:completed", evaluation_id=evaluation.pk)
    except assignments.AssignmentError as error:
        messages.error(request, error.message)
        return redirect("annotations:home")
    if assignment is None:
        messages.success(request, "Nothing is left to rate here. Thank you!")
        return redirect("annotations:home")
    return redirect("annotations:assignment", assignment_id=assignment.pk)
