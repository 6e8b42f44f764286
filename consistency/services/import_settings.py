"""A later upload of instructions to an existing evaluation: the settings it gives
must be the stored ones (docs/consistency.md)."""

from __future__ import annotations

from evalsite.imports.reader import ImportFileError, LineError

from ..models import ConsistencyEvaluation


def settings_check(
    evaluation: ConsistencyEvaluation,
    *,
    chat_model_names: list[str] | None,
    annotator_names: list[str] | None,
    annotators_per_reply: int | None,
) -> None:
    """A later upload only adds instructions: settings given that differ from the
    stored ones are an error (they would be ignored), naming the field."""
    errors = []
    stored_models = sorted(evaluation.chat_models.values_list("name", flat=True))
    if chat_model_names and sorted(set(chat_model_names)) != stored_models:
        errors.append(_exists("chat_models", "chat models " + ", ".join(stored_models)))
    pool = sorted(evaluation.annotators.values_list("username", flat=True))
    if annotator_names and sorted(set(annotator_names)) != pool:
        errors.append(_exists("annotators", "the pool " + (", ".join(pool) or "empty")))
    per_reply = evaluation.annotators_per_reply
    if annotators_per_reply is not None and annotators_per_reply != per_reply:
        errors.append(_exists("annotators_per_reply", f"{per_reply} per reply"))
    if errors:
        raise ImportFileError(errors)


def _exists(field: str, stored: str) -> LineError:
    return LineError(
        None,
        field,
        f"the evaluation already exists with {stored}; later uploads only add "
        "instructions (change it in the admin, or leave the field empty)",
    )
