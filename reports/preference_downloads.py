"""The preference export as a download, for the page and the API alike.

A JSONL file as it is; a Hugging Face dataset folder, or a JSONL export with its
"about the same" file, as a zip. The export is written to a temporary folder and
handed out from an open file that no folder names any more (removed once opened),
so a large export streams from disk rather than from memory and leaves nothing
behind.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.http import FileResponse

from annotations.models import Evaluation

from .downloads import evaluation_stem
from .preference_export import (
    evaluation_keys_of,
    export_check,
    export_preferences,
    preference_evaluations,
)
from .preference_options import EXPORT_OPTIONS, ExportOptions, export_options_from

EVALUATION_PARAMETER = "evaluation"
PARAMETERS = (EVALUATION_PARAMETER, *(option.name for option in EXPORT_OPTIONS))
JSONL_TYPE = "application/jsonl"


def export_request(
    params: Mapping[str, Any], evaluation_keys: Sequence[str] | None = None
) -> tuple[list[Evaluation], ExportOptions]:
    """The evaluations and options a query asks for; ValueError naming the
    parameter (an unknown parameter too: a misspelt ``margin`` must not quietly
    give the default margin). ``evaluation_keys`` replaces the ``evaluation``
    parameter (a page of one evaluation)."""
    allowed = PARAMETERS if evaluation_keys is None else PARAMETERS[1:]
    for name in params:
        if name not in allowed:
            raise ValueError(f"{name}: unknown parameter; use {', '.join(allowed)}")
    if evaluation_keys is None:
        keys = evaluation_keys_of(params.getlist(EVALUATION_PARAMETER))
    else:
        keys = list(evaluation_keys)
    options = export_options_from(params)
    evaluations = preference_evaluations(keys)
    export_check(evaluations, options)
    return evaluations, options


def _name(evaluations: Sequence[Evaluation]) -> str:
    if len(evaluations) == 1:
        return f"{evaluation_stem(evaluations[0])}-preferences"
    return "preferences"


def _zip(folder: Path, paths: Sequence[Path], out) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in paths:
            files = [path] if path.is_file() else sorted(path.rglob("*"))
            for file in files:
                if file.is_file():
                    archive.write(file, file.relative_to(folder).as_posix())


def preference_download(
    evaluations: Sequence[Evaluation], options: ExportOptions
) -> FileResponse:
    """The export as an attachment: ``NAME.jsonl``, or ``NAME.zip`` holding the
    dataset folder ``NAME/`` (and ``NAME-about-same/``) or both JSONL files."""
    name = _name(evaluations)
    folder = Path(tempfile.mkdtemp(prefix="evalsite-preferences-"))
    try:
        output = folder / (f"{name}.jsonl" if options.format == "jsonl" else name)
        result = export_preferences(evaluations, options, output)
        if options.format == "jsonl" and len(result.paths) == 1:
            # Opened before the folder goes: the open file stays readable.
            return FileResponse(
                output.open("rb"),
                as_attachment=True,
                filename=output.name,
                content_type=JSONL_TYPE,
            )
        # Closed by the response once sent, which removes it.
        archive = tempfile.TemporaryFile()  # noqa: SIM115
        _zip(folder, result.paths, archive)
        archive.seek(0)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"{name}.zip",
            content_type="application/zip",
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
