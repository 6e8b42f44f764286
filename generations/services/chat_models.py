"""Registering chat models: presets resolved, settings validated, one transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from generations import presets
from generations.models import ChatModel


def resolve_presets(
    *,
    system_prompt_preset: str = "none",
    system_prompt: str | None = None,
    limits: str = "open",
    context_limit: int | None = None,
    generation_limit: int | None = None,
) -> dict[str, Any]:
    """System prompt and limits from presets. An explicit value beside the default
    presets ("none", "open") makes them custom; beside a preset named explicitly
    (``llama2``, say) one that differs from it is a ValidationError naming the
    field: which of the two was meant is not ours to guess (a new-user pass had
    the preset it asked for silently replaced by "custom")."""
    fields: dict[str, Any] = {}
    preset_text = presets.SYSTEM_PROMPTS.get(system_prompt_preset)
    own_texts = (
        *presets.SYSTEM_PROMPTS.values(),
        *presets.FORMER_SYSTEM_PROMPTS.values(),
    )
    named = system_prompt_preset not in ("none", "custom") and preset_text is not None
    if system_prompt is not None and system_prompt != (preset_text or ""):
        if named and system_prompt not in own_texts:
            raise ValidationError({"system_prompt": (
                f"Differs from the {system_prompt_preset!r} preset's text: choose "
                "'custom' to send it, or leave system_prompt out."
            )})  # fmt: skip
        if named:  # another preset's own text: the preset named wins, as in the admin
            fields.update(
                system_prompt_preset=system_prompt_preset, system_prompt=preset_text
            )
        else:
            fields.update(system_prompt_preset="custom", system_prompt=system_prompt)
    elif system_prompt_preset == "custom":
        fields.update(system_prompt_preset="custom", system_prompt=system_prompt or "")
    elif preset_text is None:
        raise ValidationError(
            {"system_prompt_preset": f"Unknown preset {system_prompt_preset!r}."}
        )
    else:
        fields.update(
            system_prompt_preset=system_prompt_preset, system_prompt=preset_text
        )
    if limits != "custom" and limits not in presets.LIMITS:
        raise ValidationError({"limits": f"Unknown limits preset {limits!r}."})
    context, generation = presets.LIMITS.get(limits, (1000, 1000))
    context = context_limit if context_limit is not None else context
    generation = generation_limit if generation_limit is not None else generation
    if limits != "custom" and (context, generation) != presets.LIMITS[limits]:
        if limits != "open":
            field = (
                "context_limit"
                if context != presets.LIMITS[limits][0]
                else "generation_limit"
            )
            raise ValidationError({field: (
                f"Differs from the {limits!r} limits: choose 'custom' for these, or "
                "leave the limits out."
            )})  # fmt: skip
        limits = "custom"
    fields.update(limits=limits, context_limit=context, generation_limit=generation)
    return fields


@transaction.atomic(durable=True)
def chat_model_create(
    *,
    name: str,
    base_url: str,
    model_id: str,
    api_key_env: str = "",
    system_prompt_preset: str = "none",
    system_prompt: str | None = None,
    limits: str = "open",
    context_limit: int | None = None,
    generation_limit: int | None = None,
    tokenizer: str = "backend",
    temperature: float = 0.0,
    top_p: float = 1.0,
    decoding: dict[str, Any] | None = None,
    max_concurrency: int = 8,
    request_timeout: float = 120.0,
) -> ChatModel:
    """Register an OpenAI-compatible chat model; ValidationError names the bad field
    (``ChatModel.clean`` checks the tokenizer)."""
    chat_model = ChatModel(
        name=name,
        backend=ChatModel.Backend.OPENAI,
        base_url=base_url,
        model_id=model_id,
        api_key_env=api_key_env,
        tokenizer=tokenizer,
        temperature=temperature,
        top_p=top_p,
        decoding=decoding or {},
        max_concurrency=max_concurrency,
        request_timeout=request_timeout,
        **resolve_presets(
            system_prompt_preset=system_prompt_preset,
            system_prompt=system_prompt,
            limits=limits,
            context_limit=context_limit,
            generation_limit=generation_limit,
        ),
    )
    chat_model.full_clean()
    chat_model.save()
    return chat_model
