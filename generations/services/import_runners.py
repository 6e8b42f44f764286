"""Background import runners for prompts and generations (see import_jobs.py)."""

from collections.abc import Callable
from typing import Any, BinaryIO

from evalsite.imports.reader import ImportResult

from .imports import generations_import, prompts_import


def prompts_run(
    *,
    options: dict[str, Any],
    file_name: str,
    file: BinaryIO,
    uploaded_by,
    progress: Callable[[int], None],
) -> ImportResult:
    return prompts_import(
        prompt_set_name=options["prompt_set"],
        file_name=file_name,
        data=file,
        progress=progress,
        uploaded_by=uploaded_by,
    )


def generations_run(
    *,
    options: dict[str, Any],
    file_name: str,
    file: BinaryIO,
    uploaded_by,
    progress: Callable[[int], None],
) -> ImportResult:
    return generations_import(
        prompt_set_name=options["prompt_set"],
        file_name=file_name,
        data=file,
        progress=progress,
    )
