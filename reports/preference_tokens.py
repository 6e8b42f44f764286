"""Tokens of the responses in preference data and of the dialogues they answer,
counted once per distinct generation and kept in the cache (for Table 26).

A response's tokens are the server's ``completion_tokens`` when it stored them
(the chat model's own tokenizer); otherwise its text counted with the chat model's
tokenizer where that counts here (a tiktoken encoding or a tokenizer file), else with
``tokenizers.FALLBACK``. A dialogue's tokens are its user and assistant turns (no
system turn, no chat template, no special tokens), each counted on its own with the
tokenizer of the chat model whose response answers it, and summed.

Counts are cached per evaluation under its data version (``reports.invalidation``
gives it a new one whenever a prompt, a generation or a chat model it shows changes),
so a second table reads no texts; generations new to an evaluation are counted and
added to what is kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Case, F, TextField, Value, When

from annotations.models import Comparison, Evaluation
from generations import tokenizers
from generations.models import ChatModel, Generation, Prompt

from .selectors import frame_of

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
CACHE_SECONDS = 30 * 24 * 3600
# Up to this many ids are looked up by id; more are read through the evaluations'
# comparisons (an IN list of a million ids costs more than the join).
ID_LOOKUP_LIMIT = 5_000
COLUMNS = ["generation_id", "chat_model_id", "num_turns", "prompt_tokens",
           "response_tokens", "server_counted"]  # fmt: skip


@dataclass(frozen=True)
class ModelTokenizer:
    """A chat model's tokenizer setting and what counts its texts here."""

    name: str
    setting: str
    tokenizer: str

    @property
    def fallback(self) -> bool:
        return self.tokenizer != self.setting


def generation_tokens(
    generation_ids: Mapping[int, np.ndarray], *, use_cache: bool = True
) -> tuple[pd.DataFrame, dict[int, ModelTokenizer]]:
    """Token counts of the generations each evaluation needs, and the chat models'
    tokenizers.

    ``generation_ids`` maps an evaluation id to the ids of its generations wanted.
    Returns one row per distinct generation, ``COLUMNS``: its ``chat_model_id``,
    its prompt's ``num_turns``, ``prompt_tokens`` (the dialogue),
    ``response_tokens`` and ``server_counted`` (the response's count is the
    server's); and the tokenizer of each chat model in the rows, by id.
    """
    keys = _cache_keys(list(generation_ids)) if use_cache else {}
    kept = _cached(list(keys.values()))
    parts, missing_by_evaluation = [], {}
    for evaluation_id, wanted in generation_ids.items():
        wanted = np.unique(np.asarray(wanted, dtype=np.int64))
        have = kept.get(keys.get(evaluation_id, ""))
        if have is not None:
            parts.append(have)
            wanted = wanted[~np.isin(wanted, have["generation_id"].to_numpy())]
        if len(wanted):
            missing_by_evaluation[evaluation_id] = wanted
    if missing_by_evaluation:
        counted = _count(missing_by_evaluation)
        parts.append(counted)
        for evaluation_id, wanted in missing_by_evaluation.items():
            if evaluation_id in keys:
                mine = counted[counted["generation_id"].isin(wanted)]
                have = kept.get(keys[evaluation_id])
                _store(keys[evaluation_id], pd.concat([have, mine])
                       if have is not None else mine)  # fmt: skip
    if not parts:
        return pd.DataFrame({c: [] for c in COLUMNS}, dtype=np.int64), {}
    frame = pd.concat(parts, ignore_index=True).drop_duplicates("generation_id")
    models = model_tokenizers(np.unique(frame["chat_model_id"]).tolist())
    return frame.reset_index(drop=True), models


def model_tokenizers(chat_model_ids: Sequence[int]) -> dict[int, ModelTokenizer]:
    """What counts each chat model's texts here: its own tokenizer or the fallback."""
    rows = ChatModel.objects.filter(pk__in=list(chat_model_ids)).values_list(
        "pk", "name", "tokenizer"
    )
    return {
        pk: ModelTokenizer(name, setting,
                           tokenizers.offline_spec(setting) or tokenizers.FALLBACK)
        for pk, name, setting in rows
    }  # fmt: skip


def _cache_keys(evaluation_ids: list[int]) -> dict[int, str]:
    """Each evaluation's key: its identity and data version token."""
    rows = Evaluation.objects.filter(pk__in=evaluation_ids).values_list(
        "pk", "created_at", "report_data_version__token"
    )
    return {
        pk: f"evalsite:preference-tokens:{CACHE_VERSION}:{pk}:"
        f"{created.isoformat()}:{token or '-'}"
        for pk, created, token in rows
    }


def _cached(keys: list[str]) -> dict[str, pd.DataFrame]:
    if not keys:
        return {}
    try:
        return cache.get_many(keys)
    except Exception as error:  # any cache failure: count again
        logger.warning("token cache unavailable, counting tokens: %r", error)
        return {}


def _store(key: str, frame: pd.DataFrame) -> None:
    try:
        cache.set(key, frame[COLUMNS].reset_index(drop=True), CACHE_SECONDS)
    except Exception as error:
        logger.warning("token cache unavailable, counts not kept: %r", error)


def _generations(missing: Mapping[int, np.ndarray]) -> pd.DataFrame:
    """Id, prompt, chat model, stored completion tokens, and the text only where
    no count was stored."""
    wanted = np.unique(np.concatenate(list(missing.values())))
    if len(wanted) <= ID_LOOKUP_LIMIT:
        querysets = [Generation.objects.filter(pk__in=wanted.tolist())]
    else:
        # One semi-join per side: "IN (a) OR IN (b)" makes PostgreSQL scan a
        # subquery's rows once per generation.
        pairs = Comparison.objects.filter(evaluation_id__in=list(missing)).order_by()
        querysets = [
            Generation.objects.filter(pk__in=pairs.values(f"{side}_generation_id"))
            for side in ("candidate", "baseline")
        ]
    fields = {
        "generation_id": "id", "prompt_id": "prompt_id",
        "chat_model_id": "chat_model_id", "completion_tokens": "completion_tokens",
        "text": "uncounted_text",
    }  # fmt: skip
    uncounted_text = Case(
        When(completion_tokens__isnull=True, then=F("text")),
        default=Value(""),
        output_field=TextField(),
    )
    frame = pd.concat(
        [
            frame_of(
                queryset.order_by().annotate(uncounted_text=uncounted_text), fields
            )
            for queryset in querysets
        ],
        ignore_index=True,
    ).drop_duplicates("generation_id")
    return frame[frame["generation_id"].isin(wanted)].reset_index(drop=True)


def _prompts(prompt_ids: np.ndarray, missing: Mapping[int, np.ndarray]) -> pd.DataFrame:
    if len(prompt_ids) <= ID_LOOKUP_LIMIT:
        queryset = Prompt.objects.filter(pk__in=prompt_ids.tolist())
    else:
        pairs = Comparison.objects.filter(evaluation_id__in=list(missing)).order_by()
        queryset = Prompt.objects.filter(pk__in=pairs.values("prompt_id"))
    frame = frame_of(
        queryset.order_by(),
        {"prompt_id": "id", "turns": "turns", "num_turns": "num_turns"},
    )
    frame = frame[frame["prompt_id"].isin(prompt_ids)].reset_index(drop=True)
    frame["turns"] = [
        json.loads(turns) if isinstance(turns, str | bytes) else turns
        for turns in frame["turns"]
    ]
    return frame


def _count(missing: Mapping[int, np.ndarray]) -> pd.DataFrame:
    """Count the tokens of the generations wanted (and their dialogues)."""
    generations = _generations(missing)
    if generations.empty:
        return pd.DataFrame({c: [] for c in COLUMNS}, dtype=np.int64)
    models = model_tokenizers(np.unique(generations["chat_model_id"]).tolist())
    spec = generations["chat_model_id"].map(
        {pk: model.tokenizer for pk, model in models.items()}
    )
    stored = generations["completion_tokens"]
    server_counted = stored.notna().to_numpy()
    response = np.zeros(len(generations), dtype=np.int64)
    response[server_counted] = stored[server_counted].astype(np.int64)
    prompts = _prompts(np.unique(generations["prompt_id"]), missing)
    where = pd.Index(prompts["prompt_id"]).get_indexer(generations["prompt_id"])
    dialogue = np.zeros(len(generations), dtype=np.int64)
    for name in spec.unique():
        mine = (spec == name).to_numpy()
        counted = mine & ~server_counted
        response[counted] = _count_texts(name, generations["text"][counted])
        needed = np.unique(where[mine])
        per_prompt = np.zeros(len(prompts), dtype=np.int64)
        per_prompt[needed] = _dialogue_tokens(name, prompts["turns"].iloc[needed])
        dialogue[mine] = per_prompt[where[mine]]
    return pd.DataFrame({
        "generation_id": generations["generation_id"].to_numpy(dtype=np.int64),
        "chat_model_id": generations["chat_model_id"].to_numpy(dtype=np.int64),
        "num_turns": prompts["num_turns"].to_numpy(dtype=np.int64)[where],
        "prompt_tokens": dialogue,
        "response_tokens": response,
        "server_counted": server_counted,
    })  # fmt: skip


def _count_texts(spec: str, texts: pd.Series) -> np.ndarray:
    """Each text's tokens, every distinct text counted once."""
    codes, distinct = pd.factorize(texts.astype(object).fillna(""), sort=False)
    counts = np.asarray(tokenizers.count_text_tokens(spec, list(distinct)), np.int64)
    return counts[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def _dialogue_tokens(spec: str, dialogues: pd.Series) -> np.ndarray:
    """Each dialogue's user and assistant turns' tokens, summed."""
    owners, contents = [], []
    for position, turns in enumerate(dialogues):
        for turn in turns or []:
            if turn.get("role") != "system":
                owners.append(position)
                contents.append(str(turn.get("content", "")))
    counts = _count_texts(spec, pd.Series(contents, dtype=object))
    return np.bincount(
        np.asarray(owners, dtype=np.int64), weights=counts, minlength=len(dialogues)
    ).astype(np.int64)
