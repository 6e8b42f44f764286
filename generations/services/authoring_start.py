"""Starting a dialogue: the collection method furthest behind its target share.

Every pool writer's open drafts count, so writers starting at once get different methods.
"""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import PermissionDenied
from django.db import transaction

from ..authoring_methods import method_assign
from ..authoring_selectors import pool_open_drafts
from ..models import AuthoringSetup, Draft, PromptSet


def method_counts(*, prompt_set: PromptSet) -> Counter:
    """Dialogues per method: the set's prompts plus the open drafts of every writer
    still in the set's pool."""
    counts = Counter(
        prompt_set.prompts.exclude(collection_method="").values_list(
            "collection_method", flat=True
        )
    )
    counts.update(pool_open_drafts(prompt_set).values_list("method", flat=True))
    return counts


def draft_start(*, prompt_set: PromptSet, writer) -> Draft:
    """A new draft for a writer of the set's pool, with the method furthest behind;
    the writer's untouched draft of the set (no turn yet) when there is one, so that
    starting again (a second click, the back button) piles up no empty drafts,
    which would count toward the method mix."""
    with transaction.atomic(durable=True):
        # One assignment at a time per set, so two writers see each other's drafts.
        setup = (
            AuthoringSetup.objects.select_for_update()
            .filter(prompt_set=prompt_set)
            .first()
        )
        if setup is None or not setup.writers.filter(pk=writer.pk).exists():
            raise PermissionDenied("not a writer of this prompt set")
        untouched = Draft.objects.filter(
            prompt_set=prompt_set, writer=writer, status=Draft.Status.DRAFT, turns=[]
        ).first()
        if untouched is not None:
            return untouched
        method = method_assign(
            targets=setup.method_targets,
            counts=method_counts(prompt_set=prompt_set),
        )
        return Draft.objects.create(prompt_set=prompt_set, writer=writer, method=method)
