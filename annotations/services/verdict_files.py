"""Judge verdicts in a ratings file, read for the judges app, and the seam through
which ``import_ratings --judge NAME`` hands them over.

A verdict file has the ratings file's formats and is read and checked by the same
code (rating_rows.py, rating_references.py), so its errors name the line and field
as a ratings import's do. Each line is resolved to a comparison the evaluation
already has: verdicts never create an evaluation or a pair (a pair made for them
would be offered to annotators). Nothing is stored here.

annotations never imports judges (the app graph runs one way): the judges app
registers the service that stores verdicts with ``verdicts_importer_register`` in
its ``AppConfig.ready``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from evalsite.imports.lines import Source
from evalsite.imports.options import name_option
from evalsite.imports.reader import (
    ImportFileError,
    ImportResult,
    LineError,
    iter_records,
)

from ..models import Comparison, Evaluation
from .imports import import_targets, scale_check
from .rating_references import (
    References,
    model_names,
    references_check,
    references_load,
)
from .rating_rows import FIELDS, VERDICT_COLUMNS, Checked, checked_batches


@dataclass(frozen=True)
class PairVerdict:
    """One line's verdict on one comparison: ``choice`` as shown (positive prefers
    Model A, ``model_a``), the candidate on the left or not; the line's
    ``created_at`` and ``comment`` if it has them."""

    line: int
    comparison_id: int
    candidate_on_left: bool
    choice: int
    created_at: datetime | None
    comment: str


@dataclass(frozen=True)
class VerdictFile:
    evaluation: Evaluation
    verdicts: list[PairVerdict]


def verdicts_read(
    *,
    prompt_set_name: str,
    evaluation_name: str,
    scale: str,
    file_name: str,
    data: Source,
    progress: Callable[[int], None] | None = None,
) -> VerdictFile:
    """Read a file of judge verdicts on the pairs of the evaluation named (which
    must exist, on that prompt set and scale). Raise ImportFileError naming the
    line and field of every bad line; the file is held in memory.

    Columns as a ratings file's (README, Importing data) less ``annotator``, which
    is not read; ``candidate``, ``pair_id`` and ``seconds`` are checked but not
    used (the pair is found by prompt and models); safety labels are refused."""
    scale_check(scale)
    prompt_set_name = name_option(prompt_set_name, "prompt_set")
    evaluation_name = name_option(evaluation_name, "evaluation")
    records = iter_records(
        file_name=file_name,
        source=data,
        csv_columns=VERDICT_COLUMNS,
        csv_known=FIELDS,
    )
    checked = [
        pair
        for batch in checked_batches(records, scale, progress, judged=True)
        for pair in batch
    ]
    prompt_set, evaluation = import_targets(
        prompt_set_name=prompt_set_name, evaluation_name=evaluation_name, scale=scale
    )
    if evaluation is None:
        message = (
            f"no evaluation named {evaluation_name!r}: a judge's verdicts go to the "
            "pairs of an evaluation that exists"
        )
        raise ImportFileError([LineError(None, "evaluation", message)])
    references = references_load(prompt_set, model_names([r for _, r in checked]))
    references_check(checked, references, prompt_set_name)
    return VerdictFile(evaluation, _verdicts(evaluation, checked, references))


def _verdicts(
    evaluation: Evaluation, checked: Checked, references: References
) -> list[PairVerdict]:
    """Each line's comparison (the first made, if the evaluation has two of one
    pair) and which side its candidate was shown on."""
    pairs: dict[tuple[int, frozenset[int]], tuple[int, int]] = {}
    for pk, prompt_id, one, two, candidate_model in (
        Comparison.objects.filter(evaluation=evaluation)
        .order_by("pk")
        .values_list(
            "pk",
            "prompt_id",
            "candidate_generation_id",
            "baseline_generation_id",
            "candidate_generation__chat_model_id",
        )
    ):
        pairs.setdefault((prompt_id, frozenset((one, two))), (pk, candidate_model))
    verdicts, errors = [], []
    for record, row in checked:
        prompt_id = references.prompts[row.prompt_id]
        model_a, model_b = (references.models[n] for n in (row.model_a, row.model_b))
        generations = frozenset(
            references.generations[(prompt_id, model.pk)][0]
            for model in (model_a, model_b)
        )
        found = pairs.get((prompt_id, generations))
        if found is None:
            message = (
                f"evaluation {evaluation.name!r} has no pair of {row.model_a!r} and "
                f"{row.model_b!r} on prompt {row.prompt_id!r}"
            )
            errors.append(LineError(record.line, "model_a", message))
            continue
        comparison_id, candidate_model = found
        verdicts.append(
            PairVerdict(
                line=record.line,
                comparison_id=comparison_id,
                candidate_on_left=model_a.pk == candidate_model,
                choice=row.choice,
                created_at=row.created_at,
                comment=row.comment,
            )
        )
    if errors:
        raise ImportFileError(errors[:50])
    return verdicts


class VerdictImporter(Protocol):
    """The judges app's service that stores a judge's verdicts."""

    def __call__(
        self,
        *,
        judge_name: str,
        prompt_set_name: str,
        evaluation_name: str,
        scale: str,
        file_name: str,
        data: Source,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult: ...


_IMPORTERS: dict[str, VerdictImporter] = {}


def verdicts_importer_register(importer: VerdictImporter) -> None:
    """Called from the judges app's ``ready``: judge verdicts go to ``importer``."""
    _IMPORTERS["judge"] = importer


def judge_verdicts_import(*, judge_name: str, **target) -> ImportResult:
    """Import ``judge_name``'s verdicts (``VerdictImporter``'s arguments) with the
    registered importer; ImportFileError when no app registered one."""
    importer = _IMPORTERS.get("judge")
    if importer is None:
        message = "importing a judge's verdicts needs the judges app"
        raise ImportFileError([LineError(None, "judge", message)])
    return importer(judge_name=judge_name, **target)
