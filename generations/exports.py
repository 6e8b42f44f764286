"""A prompt set's prompts as JSONL in the import format (``import_prompts``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .models import PromptSet


def prompt_lines(prompt_set: PromptSet) -> Iterator[str]:
    """One JSON line per prompt: id, turns, categories, collection_method (when
    set) and metadata, so that importing the file gives the same prompts."""
    for prompt in prompt_set.prompts.order_by("id").iterator(chunk_size=1000):
        record = {
            "id": prompt.external_id,
            "turns": prompt.turns,
            "categories": prompt.categories,
        }
        if prompt.collection_method:
            record["collection_method"] = prompt.collection_method
        if prompt.metadata:
            record["metadata"] = prompt.metadata
        yield json.dumps(record, ensure_ascii=False) + "\n"
