"""Batch statistics of preference data (Llama 2, appendix A.3.1, Table 26): per batch
and in total, comparisons, turns per dialogue and tokens per example, prompt and
response, and the share of each strength (Figure 25).

A comparison is one rating with a preference (a row of ``preference_ratings``). Its
batch is its evaluation's ``batch`` label, or, where that is empty, the ISO week
(UTC) the rating was made. See ``DEFINITIONS`` for every column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from annotations.evaluation_selectors import evaluation_by_key
from annotations.models import Evaluation
from generations import tokenizers

from . import preference_tokens
from .json_ready import finite
from .preference_export import evaluation_keys_of
from .preference_rows import preference_ratings
from .statistics import batches as st
from .values.batches import (
    STRENGTH_FIELDS,
    BatchDefinitions,
    BatchRow,
    BatchStatistics,
    TokenizerUse,
)

TOTAL = "Total"
DEFINITIONS = BatchDefinitions(
    batch="the evaluation's batch label; where it has none, the ISO week (UTC, "
    "YYYY-Www) the rating was made",
    comparison="one rating with a preference (the chosen and the rejected response "
    "to one prompt); ratings of about the same are left out",
    turns="the prompt's user turns, each answered by a response, the last by the "
    "rated one (Prompt.num_turns)",
    example="the prompt's dialogue and one response; a comparison's two examples "
    "are averaged, so tokens per example = tokens per prompt + tokens per response",
    prompt="the dialogue before the response: the prompt's user and assistant "
    "turns, each counted on its own (no system prompt, chat template or special "
    "tokens) with the tokenizer of the chat model that responded; a comparison's "
    "two counts averaged",
    response="the response's tokens: the server's completion tokens where stored, "
    "else its text counted with the chat model's tokenizer; the chosen and the "
    "rejected response averaged",
    tokenizer="each chat model's own tokenizer (a tiktoken encoding or tokenizer "
    f'file); where it has none usable here ("backend" or empty), '
    f"{tokenizers.FALLBACK}",
)
CSV_SHARES = {4: "significantly_better", 3: "better", 2: "slightly_better",
              1: "negligibly_better_or_unsure"}  # fmt: skip


def batch_statistics(
    evaluation_ids: Sequence[int], *, use_cache: bool = True
) -> BatchStatistics:
    """Table 26 over the preference and seven-point ratings of the evaluations.

    Every statistic is a mean over the batch's comparisons; the total is over all
    of them. Token counts come per distinct generation from
    ``preference_tokens.generation_tokens`` (cached; ``use_cache=False`` counts
    afresh).
    """
    ids = list(dict.fromkeys(int(pk) for pk in evaluation_ids))
    evaluations = {
        pk: (name, batch)
        for pk, name, batch in Evaluation.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "name", "batch")
    }
    rows = preference_ratings(list(evaluations))
    frame, uses = _with_tokens(rows, use_cache=use_cache)
    labels = {pk: batch for pk, (_, batch) in evaluations.items()}
    frame["batch"] = _batches(frame, labels)
    table, total = st.batch_table(frame), st.total_row(frame, TOTAL)
    return BatchStatistics(
        evaluation_ids=tuple(evaluations),
        evaluations=tuple(name for name, _ in evaluations.values()),
        rows=tuple(_row(item) for item in table.to_dict("records")),
        total=_row(total.to_dict("records")[0]),
        tokenizers=uses,
        fallback_tokenizer=tokenizers.FALLBACK,
        definitions=DEFINITIONS,
    )


def _batches(frame: pd.DataFrame, labels: dict[int, str]) -> np.ndarray:
    """Each row's batch: its evaluation's label, else the ISO week of the rating."""
    label = frame["evaluation_id"].map(labels).fillna("").to_numpy(dtype=object)
    unlabelled = label == ""
    if unlabelled.any():
        label[unlabelled] = st.iso_weeks(frame["created_at"][unlabelled])
    return label


def _with_tokens(
    rows: pd.DataFrame, *, use_cache: bool
) -> tuple[pd.DataFrame, tuple[TokenizerUse, ...]]:
    """The rows with their prompt's turns and the tokens of their examples; how
    each chat model's tokens were counted."""
    chosen = rows["chosen_generation_id"].to_numpy(dtype=np.int64)
    rejected = rows["rejected_generation_id"].to_numpy(dtype=np.int64)
    evaluation = rows["evaluation_id"].to_numpy(dtype=np.int64)
    wanted = (
        pd.DataFrame({"evaluation_id": np.concatenate([evaluation, evaluation]),
                      "generation_id": np.concatenate([chosen, rejected])})
        .drop_duplicates()
        .groupby("evaluation_id")["generation_id"]
    )  # fmt: skip
    counts, models = preference_tokens.generation_tokens(
        {int(pk): ids.to_numpy() for pk, ids in wanted}, use_cache=use_cache
    )
    index = pd.Index(counts["generation_id"])
    first, second = index.get_indexer(chosen), index.get_indexer(rejected)
    found = (first >= 0) & (second >= 0)  # a generation never counted: none here
    first, second = first[found], second[found]

    def both(column: str) -> np.ndarray:
        values = counts[column].to_numpy(dtype=float)
        return (values[first] + values[second]) / 2

    frame = rows.loc[found, ["evaluation_id", "strength", "created_at"]].copy()
    frame["num_turns"] = counts["num_turns"].to_numpy()[first]
    frame["prompt_tokens"] = both("prompt_tokens")
    frame["response_tokens"] = both("response_tokens")
    return frame, _tokenizer_uses(counts, models)


def _tokenizer_uses(
    counts: pd.DataFrame, models: dict[int, preference_tokens.ModelTokenizer]
) -> tuple[TokenizerUse, ...]:
    by_model = counts.groupby("chat_model_id")["server_counted"].agg(["size", "sum"])
    uses = [
        TokenizerUse(
            chat_model=models[pk].name,
            setting=models[pk].setting,
            tokenizer=models[pk].tokenizer,
            fallback=models[pk].fallback,
            responses=int(row["size"]),
            server_counted=int(row["sum"]),
        )
        for pk, row in by_model.iterrows()
        if pk in models
    ]
    return tuple(sorted(uses, key=lambda use: use.chat_model))


def _row(item: dict) -> BatchRow:
    numbers = {key: finite(float(value)) for key, value in item.items()
               if key not in ("batch", "comparisons")}  # fmt: skip
    return BatchRow(
        batch=str(item["batch"]),
        comparisons=int(item["comparisons"]),
        turns_per_dialogue=numbers["turns_per_dialogue"],
        tokens_per_example=numbers["tokens_per_example"],
        tokens_per_prompt=numbers["tokens_per_prompt"],
        tokens_per_response=numbers["tokens_per_response"],
        **{name: numbers[f"share_{value}"] for value, name in STRENGTH_FIELDS.items()},
    )


def batch_rows(statistics: BatchStatistics) -> pd.DataFrame:
    """The table as a frame for the CSV: the batches, then the total; the shares
    named by strength; each chat model's tokenizer in ``tokenizers``."""
    frame = pd.DataFrame(
        [row.to_json() for row in (*statistics.rows, statistics.total)]
    ).rename(columns={STRENGTH_FIELDS[k]: v for k, v in CSV_SHARES.items()})
    frame["tokenizers"] = "; ".join(
        f"{use.chat_model}: {use.tokenizer}"
        + (f" (fallback for {use.setting or 'no tokenizer'})" if use.fallback else "")
        + (f", {use.server_counted} of {use.responses} responses counted by the "
           "server" if use.server_counted else "")
        for use in statistics.tokenizers
    )  # fmt: skip
    return frame


BATCH_SCALES = ("preference", "seven")
MAX_EVALUATIONS = 100


def chosen_evaluations(values: Sequence[str]) -> list[Evaluation]:
    """The evaluations a request names (``evaluation``, repeated or
    comma-separated, as the preference export takes it), in id order.

    Each is named by its name or its id. ValueError, naming the parameter and the
    value, for none, too many, an unknown evaluation, or one on a scale without
    preferences.
    """
    values = evaluation_keys_of(values)
    if not values:
        raise ValueError("evaluation: name at least one evaluation id")
    if len(values) > MAX_EVALUATIONS:
        raise ValueError(f"evaluation: at most {MAX_EVALUATIONS} evaluations at once")
    found = {}
    for text in values:
        # By name or id, as the preference export takes them.
        evaluation = evaluation_by_key(text)
        if evaluation is None:
            raise ValueError(f"evaluation: no evaluation {text[:40]!r}")
        if evaluation.scale not in BATCH_SCALES:
            raise ValueError(
                f"evaluation: {evaluation.name!r} is on the "
                f"{evaluation.scale_name} scale; batch statistics "
                "need preference or seven-point ratings"
            )
        found[evaluation.pk] = evaluation
    return sorted(found.values(), key=lambda item: item.pk)
