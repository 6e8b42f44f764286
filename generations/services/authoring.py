"""Writing multi-turn prompts by chatting: drafts, streamed replies, choices, saving.

A draft (begun by ``authoring_start``) is stored after every turn, so a reload
restores it; replies are streamed by ``authoring_replies``. Saving turns the draft
into a ``Prompt`` with its collection method, the models that answered each turn and
the writer; best-of-both choices are ``AuthoringPreference`` rows.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from evalsite.imports.limits import MAX_TEXT_CHARS, MAX_TURNS

from ..models import (
    AuthoringPreference,
    AuthoringSetup,
    ChatModel,
    Draft,
    Prompt,
)
from ..words import count_turn_words


class DraftChanged(Exception):
    """The page that asked shows an older state of the draft (another tab wrote)."""


def writer_in_pool(draft: Draft, writer) -> bool:
    """Whether the writer is (still) in the authoring pool of the draft's set (False
    when the set's authoring setup was deleted)."""
    return AuthoringSetup.objects.filter(
        prompt_set_id=draft.prompt_set_id, writers=writer
    ).exists()


class NotYourDraft(PermissionDenied):
    """No draft of the writer's has that id: another writer's, or none."""


def open_draft(draft_id: int, writer, known_turns: int | None = None) -> Draft:
    """The writer's draft, locked, still open and still theirs to write.

    ``known_turns``, when given, is how many turns the writer's page shows; a draft
    with another count changed elsewhere (another tab) and ``DraftChanged`` is
    raised, so that nothing is done to a dialogue the writer has not seen."""
    draft = (
        Draft.objects.select_for_update(of=("self",))
        .select_related("prompt_set__authoring_setup")
        .filter(pk=draft_id, writer=writer)
        .first()
    )
    if draft is None:
        raise NotYourDraft("No such draft of yours.")
    if not writer_in_pool(draft, writer):
        raise PermissionDenied("no longer a writer of this prompt set")
    if draft.status != Draft.Status.DRAFT:
        raise ValidationError({"draft": "This dialogue is already saved."})
    if known_turns is not None and known_turns != len(draft.turns):
        raise DraftChanged(
            "This draft changed in another tab or window: reload the page."
        )
    return draft


def _user_text(content: str) -> str:
    if not isinstance(content, str) or not content.strip():
        raise ValidationError({"content": "Write the user turn first."})
    if "\x00" in content:
        raise ValidationError({"content": "Contains a NUL character (\\u0000)."})
    if len(content) > MAX_TEXT_CHARS:
        raise ValidationError({"content": f"At most {MAX_TEXT_CHARS} characters."})
    # Browsers send a textarea's line breaks as CRLF; prompts keep plain newlines.
    return content.replace("\r\n", "\n").strip()


def _check_user_turn_allowed(draft: Draft) -> None:
    if draft.pending:
        raise ValidationError({"content": "Keep one of the two replies first."})
    if draft.turns and draft.turns[-1]["role"] == "user":
        raise ValidationError({"content": "The last user turn has no reply yet."})
    if len(draft.turns) >= MAX_TURNS - 1:
        raise ValidationError({"content": "This dialogue is as long as it may be."})


def draft_user_turn_add(
    *, draft_id: int, writer, content: str, known_turns: int | None = None
) -> Draft:
    """Append the writer's next user turn (stored at once: autosave); ``known_turns``
    as for ``open_draft``."""
    text = _user_text(content)
    with transaction.atomic(durable=True):
        draft = open_draft(draft_id, writer, known_turns)
        _check_user_turn_allowed(draft)
        draft.turns = [*draft.turns, {"role": "user", "content": text}]
        draft.save(update_fields=["turns", "updated_at"])
    return draft


def draft_user_turn_withdraw(
    *, draft_id: int, writer, known_turns: int | None = None
) -> str:
    """Take back the last user turn while it has no reply (its reply keeps failing,
    e.g. it is too long for a model's context); its text is returned."""
    with transaction.atomic(durable=True):
        draft = open_draft(draft_id, writer, known_turns)
        if draft.pending or not draft.turns or draft.turns[-1]["role"] != "user":
            raise ValidationError({"draft": "No unanswered user turn to take back."})
        *draft.turns, last = draft.turns
        draft.save(update_fields=["turns", "updated_at"])
    return last["content"]


def draft_choice_store(
    *, draft_id: int, writer, side: str, strength: int | None = None
) -> Draft:
    """Best of both: keep one of the two pending replies; the choice is stored as
    an ``AuthoringPreference`` (strength 1-4, optional)."""
    if side not in ("a", "b"):
        raise ValidationError({"side": "Keep reply A or B."})
    if strength is not None and not 1 <= strength <= 4:
        raise ValidationError({"strength": "Strength is 1 to 4, or none."})
    with transaction.atomic(durable=True):
        draft = open_draft(draft_id, writer)
        if draft.method != Prompt.CollectionMethod.BEST_OF_BOTH:
            # No page offers it: a crafted request was told about another tab.
            raise ValidationError({"side": (
                "This draft's method keeps every reply: there is none to choose."
            )})  # fmt: skip
        if not draft.pending:
            # The page showed two replies: another tab or window chose meanwhile.
            raise DraftChanged(
                "A reply was kept in another tab or window: reload the page."
            )
        other = "b" if side == "a" else "a"
        chosen, rejected = draft.pending[side], draft.pending[other]
        models = {
            m.name: m
            for m in ChatModel.objects.filter(
                name__in=[chosen["model"], rejected["model"]]
            )
        }
        draft.turns = [*draft.turns, {"role": "assistant", **chosen}]
        draft.pending = {}
        draft.save(update_fields=["turns", "pending", "updated_at"])
        AuthoringPreference.objects.create(
            draft=draft,
            turn_index=len(draft.turns) - 1,
            chosen_model=models[chosen["model"]],
            rejected_model=models[rejected["model"]],
            chosen_text=chosen["content"],
            rejected_text=rejected["content"],
            strength=strength,
        )
    return draft


def _categories(setup: AuthoringSetup, categories: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not 1 <= len(chosen) <= 2:
        raise ValidationError({"categories": "Pick one or two categories."})
    unknown = [c for c in chosen if c not in setup.categories]
    if unknown:
        raise ValidationError({"categories": f"Unknown category {unknown[0]!r}."})
    return chosen


def draft_save(
    *,
    draft_id: int,
    writer,
    categories: list[str],
    final_turn: str = "",
    known_turns: int | None = None,
) -> Prompt:
    """End the dialogue on a user turn (``final_turn``, when given, is appended)
    and save it into the prompt set as a multi-turn prompt; ``known_turns`` as for
    ``open_draft``: a page that missed another tab's turns saves nothing."""
    with transaction.atomic(durable=True):
        draft = open_draft(draft_id, writer, known_turns)
        setup = draft.prompt_set.authoring_setup
        chosen = _categories(setup, categories)
        turns = list(draft.turns)
        if final_turn.strip():
            _check_user_turn_allowed(draft)
            turns.append({"role": "user", "content": _user_text(final_turn)})
        if draft.pending:
            raise ValidationError({"draft": "Keep one of the two replies first."})
        if not turns or turns[-1]["role"] != "user":
            raise ValidationError({"content": "A dialogue ends on a user turn."})
        user_turns = sum(1 for turn in turns if turn["role"] == "user")
        if user_turns < 2:
            raise ValidationError(
                {"content": "A written dialogue has at least two user turns."}
            )
        plain = [{"role": t["role"], "content": t["content"]} for t in turns]
        prompt = Prompt(
            prompt_set=draft.prompt_set,
            external_id=f"authored-{draft.pk}",
            turns=plain,
            categories=chosen,
            collection_method=draft.method,
            metadata={
                "models": [t["model"] for t in turns if t["role"] == "assistant"],
                "writer": writer.get_username(),
                "draft": draft.pk,
            },
            num_turns=user_turns,
            word_count=count_turn_words(plain),
        )
        prompt.full_clean()
        prompt.save()
        draft.turns, draft.categories = turns, chosen
        draft.status, draft.prompt = Draft.Status.SAVED, prompt
        draft.save(
            update_fields=["turns", "categories", "status", "prompt", "updated_at"]
        )
        draft.preferences.update(prompt=prompt)
    return prompt
