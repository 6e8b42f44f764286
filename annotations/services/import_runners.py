"""The background import runner for ratings (see generations/services/import_jobs.py)."""

from collections.abc import Callable
from typing import Any, BinaryIO

from evalsite.imports.reader import ImportResult

from .imports import ratings_import


def ratings_run(
    *,
    options: dict[str, Any],
    file_name: str,
    file: BinaryIO,
    uploaded_by,
    progress: Callable[[int], None],
) -> ImportResult:
    return ratings_import(
        prompt_set_name=options["prompt_set"],
        evaluation_name=options["evaluation"],
        scale=options["scale"],
        candidate_name=options.get("candidate") or None,
        file_name=file_name,
        data=file,
        progress=progress,
        created_by=uploaded_by,
    )
