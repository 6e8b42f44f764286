"""Preference data for reward-model training: TRL's conversational preference format
with an explicit prompt, written as JSON Lines or as a Hugging Face dataset folder.

Each row: ``prompt`` (the prompt's dialogue as stored, as ``{"role", "content"}``
messages; a system turn the prompt itself carries stays, the chat models' own system
prompts do not: the two responses may come from models with different ones, and
the reward model scores the dialogue), ``chosen`` and ``rejected`` (one assistant
message each), ``margin`` (Table 27, by the chosen options), ``strength`` (the
preference level's name), ``chosen_safety``, ``rejected_safety`` and
``safety_category`` (Table 29's meta category; null without labels),
``chosen_model``, ``rejected_model``, ``evaluation`` (its name), ``comparison_id``,
``prompt_id``, and per rating ``annotator_id`` (a pseudonym: the user's id, never the
name, so a shared dataset names nobody while one annotator's rows stay together) and
``rating_id``, or per pair ``ratings`` and ``votes``.

Texts are read once per response and prompt and spread over the rows by position
(``reports.preference_writers``), never built as one Python dict per row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from annotations import scales
from annotations.evaluation_selectors import evaluation_by_key
from annotations.models import Comparison, Evaluation
from generations.models import Generation, Prompt

from . import preference_writers as writers
from .preference_options import ExportOptions
from .preference_rows import pair_majority, preference_ratings, safety_categories
from .selectors import frame_of

PREFERENCE_SCALES = (Evaluation.Scale.PREFERENCE, Evaluation.Scale.SEVEN)
ABOUT_THE_SAME = "about the same"
STRENGTH_NAMES = {**scales.STRENGTH_LABELS, 0: ABOUT_THE_SAME}
RATING_COLUMNS = ("annotator_id", "rating_id")
PAIR_COLUMNS = ("ratings", "votes")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its rows, the "about the same" rows written apart (None
    when not asked for) and the paths."""

    rows: int
    about_same_rows: int | None
    paths: tuple[Path, ...]


def evaluation_keys_of(values: Sequence[str]) -> list[str]:
    """The evaluation names or ids a query's ``evaluation`` values hold: each value
    one key or several separated by commas; blanks dropped."""
    return [key.strip() for value in values for key in value.split(",") if key.strip()]


def preference_evaluations(keys: Sequence[str | int]) -> list[Evaluation]:
    """The evaluations named (or given by id), in order; ValueError naming
    ``evaluation`` for one that does not exist or is on a scale without a
    preference (three-point, Likert)."""
    if not keys:
        raise ValueError("evaluation: name at least one evaluation")
    found = []
    for key in keys:
        text = str(key).strip()
        evaluation = evaluation_by_key(text)
        if evaluation is None:
            raise ValueError(f"evaluation: no evaluation {text!r}")
        if evaluation.scale not in PREFERENCE_SCALES:
            raise ValueError(
                f"evaluation: {evaluation.name!r} is on the "
                f"{evaluation.scale_name} scale; preferences come "
                "from preference and seven-point evaluations"
            )
        if evaluation not in found:
            found.append(evaluation)
    return found


def export_check(evaluations: Sequence[Evaluation], options: ExportOptions) -> None:
    """ValueError naming ``about_same`` when it asks for a file none of the
    evaluations can fill: only the seven-point scale has "about the same" (a
    preference evaluation's download was a zip holding an empty file)."""
    seven = Evaluation.Scale.SEVEN
    if options.about_same == "separate" and all(e.scale != seven for e in evaluations):
        raise ValueError(
            'about_same: "separate" writes the seven-point scale\'s "about the '
            'same" ratings apart, and these evaluations have none (the preference '
            'scale has no such answer): use "omit"'
        )


def _texts(evaluation_ids: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every response and prompt of the evaluations' comparisons, each read once."""
    comparisons = Comparison.objects.filter(evaluation_id__in=evaluation_ids)
    # One query per side: each IN is a semi-join, where the two OR-ed would make
    # PostgreSQL test every response against a subquery too large to hash.
    responses = pd.concat(
        [
            frame_of(
                Generation.objects.filter(pk__in=comparisons.values(side)).order_by(),
                {"generation_id": "id", "text": "text", "model": "chat_model__name"},
            )
            for side in ("candidate_generation_id", "baseline_generation_id")
        ],
        ignore_index=True,
    ).drop_duplicates("generation_id", ignore_index=True)
    prompts = frame_of(
        Prompt.objects.filter(pk__in=comparisons.values("prompt_id")).order_by(),
        {"prompt_id": "id", "turns": "turns"},
    )
    prompts["messages"] = [
        [{"role": t["role"], "content": t["content"]} for t in turns]
        for turns in (json.loads(t) if isinstance(t, str) else t
                      for t in prompts["turns"])
    ]  # fmt: skip
    return responses, prompts.drop(columns="turns")


def _labels(values: pd.Series) -> np.ndarray:
    """Safety labels and categories with None where there are none."""
    array = values.to_numpy(dtype=object)
    return np.where(array == "", None, array)


def _rows(
    frame: pd.DataFrame,
    options: ExportOptions,
    names: dict[int, str],
    responses: pd.Index,
    prompts: pd.Index,
    extra: tuple[str, ...],
) -> pd.DataFrame:
    """The row-level columns, with the positions of each row's texts."""
    strength = frame["strength"].to_numpy(dtype=np.int64)
    # Looked up by position (strength 0 to 4, the evaluation's place in ``names``).
    margins = {**scales.MARGINS[options.margin], 0: 0.0}
    margin_of = np.array([margins[level] for level in range(5)], dtype=np.float64)
    name_of = np.array([STRENGTH_NAMES[level] for level in range(5)], dtype=object)
    evaluation_of = np.array(list(names.values()), dtype=object)
    evaluation = pd.Index(list(names)).get_indexer(frame["evaluation_id"])
    category = safety_categories(frame["chosen_safety"], frame["rejected_safety"])
    rows = pd.DataFrame({
        "prompt": prompts.get_indexer(frame["prompt_id"]),
        "chosen": responses.get_indexer(frame["chosen_generation_id"]),
        "rejected": responses.get_indexer(frame["rejected_generation_id"]),
        "margin": margin_of[strength],
        "strength": name_of[strength],
        "chosen_safety": _labels(frame["chosen_safety"]),
        "rejected_safety": _labels(frame["rejected_safety"]),
        "safety_category": _labels(category),
        "evaluation": evaluation_of[evaluation],
        "comparison_id": frame["comparison_id"].to_numpy(dtype=np.int64),
        "prompt_id": frame["prompt_id"].to_numpy(dtype=np.int64),
        **{column: frame[column].to_numpy(dtype=np.int64) for column in extra},
    })  # fmt: skip
    # A response or prompt deleted between the reads: leave its rows out.
    keep = (rows[["prompt", "chosen", "rejected"]] >= 0).all(axis=1)
    return rows[keep].reset_index(drop=True)


def preference_export(
    evaluations: Sequence[Evaluation], options: ExportOptions
) -> tuple[writers.ExportData, writers.ExportData | None]:
    """The rows to export and, with ``about_same="separate"``, the "about the same"
    ratings (chosen: the evaluation's candidate, rejected: its baseline, strength
    "about the same", margin 0); None otherwise."""
    ids = [evaluation.pk for evaluation in evaluations]
    names = {evaluation.pk: evaluation.name for evaluation in evaluations}
    separate = options.about_same == "separate"
    # "About the same" ratings too: a pair's ``ratings`` counts them.
    ratings = preference_ratings(ids, include_about_same=True, times=False, names=False)
    preferred = ratings[ratings["strength"] > 0]
    responses, prompts = _texts(ids)
    texts = writers.Texts.of(responses, prompts)
    by_response = pd.Index(responses["generation_id"])
    by_prompt = pd.Index(prompts["prompt_id"])
    if options.per == "pair":
        frame, extra = pair_majority(ratings), PAIR_COLUMNS
    else:
        frame, extra = preferred, RATING_COLUMNS
    data = writers.ExportData(
        _rows(frame, options, names, by_response, by_prompt, extra), texts
    )
    if not separate:
        return data, None
    same = ratings[ratings["strength"] == 0]
    return data, writers.ExportData(
        _rows(same, options, names, by_response, by_prompt, RATING_COLUMNS), texts
    )


def about_same_path(output: Path, fmt: str) -> Path:
    """Where the "about the same" rows go, next to ``output``."""
    if fmt == "jsonl":
        return output.with_name(f"{output.stem}.about_same{output.suffix or '.jsonl'}")
    return output.with_name(f"{output.name}-about-same")


def export_preferences(
    evaluations: Sequence[Evaluation], options: ExportOptions, output: Path
) -> ExportResult:
    """Write the evaluations' preferences to ``output`` (a JSONL file, or a folder
    for ``format="hf"``) and, when asked, the "about the same" ratings beside it
    (``about_same_path``)."""
    data, about_same = preference_export(evaluations, options)
    write = writers.write_jsonl if options.format == "jsonl" else writers.write_hf
    write(data, output)
    paths = [output]
    if about_same is not None:
        paths.append(about_same_path(output, options.format))
        write(about_same, paths[-1])
    return ExportResult(
        rows=len(data.rows),
        about_same_rows=None if about_same is None else len(about_same.rows),
        paths=tuple(paths),
    )
