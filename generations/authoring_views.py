"""Pages for writing multi-turn prompts by chatting, and the set's progress."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import authoring_selectors
from .exports import prompt_lines
from .models import AuthoringSetup, Draft, PromptSet
from .services import authoring, authoring_replies, authoring_start

NOT_A_WRITER = (
    "You are no longer a writer of this prompt set: an admin took you out of its "
    "authoring pool (or removed its authoring setup)."
)


STALE_SAVE = (
    "This draft changed in another tab or window: it is shown below as it is now, "
    "with your turn and categories kept. Save again to end it there."
)


def _known_turns(request: HttpRequest) -> int | None:
    """How many turns the page shows (``turns``, optional); ValueError if not a count."""
    raw = request.POST.get("turns", "")
    return int(raw) if raw else None


def _message(exc: ValidationError) -> str:
    return "; ".join(
        f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
    )


@login_required
def authoring_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "generations/authoring_home.html",
        {
            "setups": authoring_selectors.writer_setups(request.user),
            "drafts": authoring_selectors.writer_drafts(request.user),
            "overseen": (
                authoring_selectors.all_setups() if _may_oversee(request.user) else []
            ),
        },
    )


@login_required
@require_POST
def draft_new(request: HttpRequest, set_pk: int) -> HttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=set_pk)
    draft = authoring_start.draft_start(prompt_set=prompt_set, writer=request.user)
    return redirect("authoring:draft", pk=draft.pk)


@login_required
def draft_page(
    request: HttpRequest, pk: int, status: int = 200, typed: dict | None = None
) -> HttpResponse:
    """The chat page; ``typed``: what a refused save sent (the final turn and the
    categories), shown again with the categories open."""
    draft = get_object_or_404(
        Draft.objects.select_related("prompt_set__authoring_setup"),
        pk=pk,
        writer=request.user,
    )
    if not authoring.writer_in_pool(draft, request.user):
        raise PermissionDenied(NOT_A_WRITER)
    setup = draft.prompt_set.authoring_setup
    return render(
        request,
        "generations/authoring_draft.html",
        {
            "draft": draft,
            "setup": setup,
            "awaits_reply": bool(draft.turns)
            and draft.turns[-1]["role"] == "user"
            and not draft.pending,
            "typed": typed or {},
        },
        status=status,
    )


def _turn_change(request: HttpRequest, change, **fields) -> JsonResponse:
    """Run a change of the draft's turns. ``turns``: how many turns the page shows
    (optional); 409 if the draft has another count, changed in another tab."""
    try:
        known_turns = _known_turns(request)
    except ValueError:
        return JsonResponse({"error": "turns: a count of turns."}, status=400)
    try:
        result = change(writer=request.user, known_turns=known_turns, **fields)
    except ValidationError as exc:
        return JsonResponse({"error": _message(exc)}, status=400)
    except authoring.DraftChanged as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except authoring.NotYourDraft as exc:
        # Another writer's draft, or none (a 403, as its reply, choice and save).
        return JsonResponse({"error": str(exc)}, status=403)
    except PermissionDenied:
        # Taken out of the pool while the page was open: say so in the page.
        return JsonResponse({"error": NOT_A_WRITER}, status=403)
    # A taken-back turn's text goes back into the writer's box.
    text = {"content": result} if isinstance(result, str) else {}
    return JsonResponse({"ok": True, **text})


@login_required
@require_POST
def draft_turn(request: HttpRequest, pk: int) -> JsonResponse:
    content = request.POST.get("content", "")
    return _turn_change(
        request, authoring.draft_user_turn_add, draft_id=pk, content=content
    )


@login_required
@require_POST
def draft_withdraw(request: HttpRequest, pk: int) -> JsonResponse:
    """Take back the unanswered last user turn: ``{"ok", "content"}``."""
    return _turn_change(request, authoring.draft_user_turn_withdraw, draft_id=pk)


def _sse(events: Iterator[authoring_replies.ReplyEvent]) -> Iterator[str]:
    for event in events:
        data = json.dumps({"side": event.side, "text": event.text})
        yield f"event: {event.kind}\ndata: {data}\n\n"


@login_required
@require_POST
def draft_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Server-sent events: ``chunk`` (side, text) as generated, then ``done`` or
    ``error``."""
    events = authoring_replies.reply_stream(draft_id=pk, writer=request.user)
    try:
        first = next(events)
    except ValidationError as exc:
        return JsonResponse({"error": _message(exc)}, status=400)
    except StopIteration:
        return JsonResponse({"error": "no reply"}, status=400)

    def stream() -> Iterator[str]:
        yield from _sse(iter([first]))
        yield from _sse(events)

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
@require_POST
def draft_choose(request: HttpRequest, pk: int) -> HttpResponse:
    raw = request.POST.get("strength", "")
    try:
        strength = int(raw) if raw else None
    except ValueError:
        strength = 0  # refused by the service, naming the field
    try:
        authoring.draft_choice_store(
            draft_id=pk,
            writer=request.user,
            side=request.POST.get("side", ""),
            strength=strength,
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return draft_page(request, pk, status=400)
    except authoring.DraftChanged as exc:
        messages.error(request, str(exc))
        return draft_page(request, pk, status=409)
    return redirect("authoring:draft", pk=pk)


@login_required
@require_POST
def draft_save(request: HttpRequest, pk: int) -> HttpResponse:
    typed = {
        "content": request.POST.get("content", ""),
        "categories": request.POST.getlist("categories"),
    }
    try:
        known_turns = _known_turns(request)
    except ValueError:
        messages.error(request, "turns: a count of turns.")
        return draft_page(request, pk, status=400, typed=typed)
    try:
        prompt = authoring.draft_save(
            draft_id=pk,
            writer=request.user,
            categories=typed["categories"],
            final_turn=typed["content"],
            known_turns=known_turns,
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return draft_page(request, pk, status=400, typed=typed)
    except authoring.DraftChanged:
        # The typed turn is kept and the page shows the turns they missed: reloading
        # this answer to a POST would only send the stale form again.
        messages.error(request, STALE_SAVE)
        return draft_page(request, pk, status=409, typed=typed)
    messages.success(request, f"Saved as {prompt.external_id} in {prompt.prompt_set}.")
    return redirect("authoring:home")


def _may_oversee(user) -> bool:
    return user.is_staff or user.has_perm("generations.view_prompt")


@login_required
def set_progress(request: HttpRequest, pk: int) -> HttpResponse:
    setup = get_object_or_404(
        AuthoringSetup.objects.select_related("prompt_set"), prompt_set_id=pk
    )
    if not _may_oversee(request.user):
        raise PermissionDenied
    return render(
        request,
        "generations/authoring_progress.html",
        {"setup": setup, "progress": authoring_selectors.authoring_progress(setup)},
    )


@login_required
@permission_required("generations.view_prompt", raise_exception=True)
def set_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    prompt_set = get_object_or_404(PromptSet, pk=pk)
    response = StreamingHttpResponse(
        prompt_lines(prompt_set), content_type="application/jsonl; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="prompt-set-{pk}.jsonl"'
    return response
