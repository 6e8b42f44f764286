"""The demo's judge: LLMFAO's GPT-4 votes on the crowd's pairs, imported through the
verdict import as judge "GPT-4 (LLMFAO)" on the crowd evaluation."""

import csv
import json

from django.db import transaction

from annotations.models import Evaluation
from annotations.services.demo import (
    CROWD_EVALUATION,
    DATA_DIR,
    PROMPT_SET,
    WINNER_TO_CHOICE,
)
from evalsite.imports.reader import ImportResult

from ..models import Judge
from .verdict_imports import verdicts_import

GPT4_JUDGE = "GPT-4 (LLMFAO)"
GPT4_VOTES = DATA_DIR / "gpt4-crowd-comparisons.csv"
GPT4_DESCRIPTION = (
    "GPT-4's votes on the pairs of LLMFAO's crowd comparisons (one per pair; "
    "dustalov/llmfao, CC BY 4.0), imported."
)


def gpt4_verdicts_file() -> bytes:
    """GPT-4's votes as a verdict file: each pair's prompt, the models as shown on
    the left (model_a) and right, and the winner as a, b or tie."""
    with GPT4_VOTES.open(encoding="utf-8", newline="") as f:
        rows = [
            {
                "prompt_id": row["prompt"],
                "model_a": row["left"],
                "model_b": row["right"],
                "choice": WINNER_TO_CHOICE[row["winner"]],
                "pair_id": row["id"],
            }
            for row in csv.DictReader(f)
        ]
    return "\n".join(json.dumps(row) for row in rows).encode()


def judge_demo_load() -> ImportResult:
    """Import GPT-4's votes on the crowd evaluation (loaded by ``demo_load`` first);
    running it again changes nothing."""
    result = verdicts_import(
        judge_name=GPT4_JUDGE,
        prompt_set_name=PROMPT_SET,
        evaluation_name=CROWD_EVALUATION,
        scale=Evaluation.Scale.THREE,
        file_name="gpt4-verdicts.jsonl",
        data=gpt4_verdicts_file(),
    )
    with transaction.atomic(durable=True):
        Judge.objects.filter(name=GPT4_JUDGE, description="").update(
            description=GPT4_DESCRIPTION
        )
    return result
