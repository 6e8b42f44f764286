"""Reads for prompt authoring: a writer's prompt sets and drafts, a set's progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .authoring_methods import METHODS
from .models import AuthoringSetup, Draft, Prompt


@dataclass(frozen=True)
class ProgressRow:
    """One method or category: dialogues saved, target share and target count."""

    name: str
    label: str
    saved: int
    target_share: float
    target_count: float


@dataclass(frozen=True)
class AuthoringProgress:
    total: int
    open_drafts: int
    methods: list[ProgressRow]
    categories: list[ProgressRow]


def _shares(targets: dict, names: list[str]) -> dict[str, float]:
    values = {name: max(float(targets.get(name, 0) or 0), 0.0) for name in names}
    total = sum(values.values())
    if total == 0:
        return dict.fromkeys(names, 1 / len(names)) if names else {}
    return {name: value / total for name, value in values.items()}


def pool_open_drafts(prompt_set):
    """The set's open drafts whose writers are still in its authoring pool: a
    writer taken out can never finish theirs, so they count nowhere (not in the
    method mix of new drafts, not among the open drafts)."""
    return Draft.objects.filter(
        prompt_set=prompt_set,
        status=Draft.Status.DRAFT,
        writer__authoring_setups__prompt_set=prompt_set,
    )


def authoring_progress(setup: AuthoringSetup) -> AuthoringProgress:
    """Saved multi-turn prompts of the set by method and by category, against the
    targets. A prompt with two categories counts in both, so category shares are
    of category mentions."""
    prompts = setup.prompt_set.prompts.exclude(collection_method="")
    by_method = Counter(prompts.values_list("collection_method", flat=True))
    by_category: Counter = Counter()
    for categories in prompts.values_list("categories", flat=True):
        by_category.update(categories)
    total = sum(by_method.values())
    mentions = sum(by_category.values())
    labels = dict(Prompt.CollectionMethod.choices)
    method_shares = _shares(setup.method_targets, list(METHODS))
    names = setup.categories
    category_shares = _shares(setup.category_targets, names)
    return AuthoringProgress(
        total=total,
        open_drafts=pool_open_drafts(setup.prompt_set).count(),
        methods=[
            ProgressRow(
                m, labels[m], by_method[m], method_shares[m], method_shares[m] * total
            )
            for m in METHODS
        ],
        categories=[
            ProgressRow(
                c, c, by_category[c], category_shares[c], category_shares[c] * mentions
            )
            for c in names
        ],
    )


def writer_setups(user) -> list[AuthoringSetup]:
    return list(
        AuthoringSetup.objects.filter(writers=user).select_related("prompt_set")
    )


def all_setups() -> list[AuthoringSetup]:
    """Every prompt set's authoring setup, for those who oversee authoring."""
    return list(AuthoringSetup.objects.select_related("prompt_set"))


def writer_drafts(user) -> list[Draft]:
    return list(
        Draft.objects.filter(
            writer=user,
            status=Draft.Status.DRAFT,
            prompt_set__authoring_setup__writers=user,
        ).select_related("prompt_set")
    )
