"""The demo: LLMFAO's prompts, responses and crowd votes, through the real imports."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from generations.models import ChatModel, PromptSet
from generations.services.imports import generations_import, prompts_import

from .. import roles
from ..models import Evaluation
from .evaluations import evaluation_create
from .imports import ratings_import

DATA_DIR = Path(settings.BASE_DIR) / "data" / "llmfao"
PROMPT_SET = "llmfao"
CROWD_EVALUATION = "llmfao-crowd"
HEAD_TO_HEAD = "llama2-70b-chat-vs-gpt35-turbo"
CANDIDATE, BASELINE = "LLaMA-2-Chat (70B)", "GPT 3.5 Turbo"
WINNER_TO_CHOICE = {"left": "a", "right": "b", "tie": "tie"}
GUIDELINES = (
    "Read the prompt and both responses. Judge which response is better: helpful "
    "while also being safe and honest. Ignore which side a response is shown on. "
    "Choose 'About the same' only when neither is better. Flag a pair when a "
    "response is broken (empty, cut off mid-word, or not an answer at all)."
)
DEMO_USERS = [
    ("admin", "admin-demo-pw", roles.ADMIN),
    ("researcher", "researcher-demo-pw", roles.RESEARCHER),
    ("annotator", "annotator-demo-pw", roles.ANNOTATOR),
    ("annotator2", "annotator-demo-pw", roles.ANNOTATOR),
    ("annotator3", "annotator-demo-pw", roles.ANNOTATOR),
]


@dataclass
class DemoResult:
    prompts: int
    generations: int
    ratings: int
    comparisons: int
    logins: list[tuple[str, str, str]]


def _jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


def _read_jsonl(name: str) -> list[dict]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def llmfao_files() -> dict[str, bytes]:
    """LLMFAO's files in evalsite's import formats (prompts, generations, ratings)."""
    models = {row["id"]: row for row in _read_jsonl("models.jsonl")}
    prompts = [
        {
            "id": str(row["id"]),
            "prompt": row["text"],
            "category": row["type"],
            "metadata": {"slug": row["slug"], "stop": row["stop"], "note": row["note"]},
        }
        for row in _read_jsonl("prompts.jsonl")
    ]
    generations = [
        {
            "prompt_id": str(row["prompt"]),
            "model": models[row["model"]]["name"],
            "text": row["result"] or "",
            "metadata": {
                "duration_ms": row["duration"],
                "tokens_per_second": row["rate"],
            },
        }
        for row in _read_jsonl("results.jsonl")
    ]
    with (DATA_DIR / "crowd-comparisons.csv").open(encoding="utf-8", newline="") as f:
        ratings = [
            {
                "prompt_id": row["prompt"],
                "model_a": row["left"],
                "model_b": row["right"],
                "candidate": models[int(row["model_x"])]["name"],
                "annotator": f"crowd-{row['worker']}",
                "choice": WINNER_TO_CHOICE[row["winner"]],
                "pair_id": row["id"],
            }
            for row in csv.DictReader(f)
        ]
    return {
        "prompts.jsonl": _jsonl(prompts),
        "generations.jsonl": _jsonl(generations),
        "ratings.jsonl": _jsonl(ratings),
    }


def _users_ensure() -> list[tuple[str, str, str]]:
    User = get_user_model()
    groups = roles.groups_ensure()
    logins = []
    for username, password, role in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.is_staff = role == roles.ADMIN
            user.save()
        user.groups.add(groups[role])
        logins.append((role, username, password))
    return logins


def _chat_models_describe() -> None:
    for row in _read_jsonl("models.jsonl"):
        ChatModel.objects.filter(name=row["name"]).update(
            organisation=row["org"],
            metadata={"api_id": row["api_id"], "api": row["api"], "type": row["type"]},
        )


def demo_load() -> DemoResult:
    """Load the demo; running it again changes nothing.

    Not one transaction: the imports and ``evaluation_create`` are top-level services,
    each in its own durable transaction, so they run one after another. Every step
    is idempotent, so a load that stops half way is completed by running it again.
    """
    files = llmfao_files()
    prompts = prompts_import(
        prompt_set_name=PROMPT_SET,
        file_name="prompts.jsonl",
        data=files["prompts.jsonl"],
    )
    generations = generations_import(
        prompt_set_name=PROMPT_SET,
        file_name="generations.jsonl",
        data=files["generations.jsonl"],
    )
    with transaction.atomic(durable=True):
        _chat_models_describe()
    ratings = ratings_import(
        prompt_set_name=PROMPT_SET,
        evaluation_name=CROWD_EVALUATION,
        scale=Evaluation.Scale.THREE,
        file_name="ratings.jsonl",
        data=files["ratings.jsonl"],
    )
    with transaction.atomic(durable=True):
        logins = _users_ensure()
    evaluation = Evaluation.objects.filter(name=HEAD_TO_HEAD).first()
    if evaluation is None:
        evaluation = evaluation_create(
            name=HEAD_TO_HEAD,
            prompt_set=PromptSet.objects.get(name=PROMPT_SET),
            candidate=ChatModel.objects.get(name=CANDIDATE),
            baseline=ChatModel.objects.get(name=BASELINE),
            guidelines=GUIDELINES,
        ).evaluation
    annotators = get_user_model().objects.filter(groups__name=roles.ANNOTATOR)
    evaluation.pool.add(*annotators.filter(username__startswith="annotator"))
    return DemoResult(
        prompts=prompts.created + prompts.unchanged,
        generations=generations.created + generations.unchanged,
        ratings=ratings.created + ratings.unchanged,
        comparisons=evaluation.comparisons.count(),
        logins=logins,
    )
