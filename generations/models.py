"""Prompt sets and prompts, chat models, generations and generation jobs."""

import re
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from evalsite.imports.limits import MAX_INT, MAX_SMALL_INT
from evalsite.imports.record_values import FieldError, value_check
from evalsite.model_fields import CountField, SmallCountField

from . import presets

SERVER_URL_HELP = (
    "Enter an http:// or https:// URL with a host, an optional port (1 to 65535) and "
    "no query or fragment: the server's base, such as http://vllm:8000/v1."
)


def validate_server_url(value: str) -> None:
    """An http(s) URL with a host, as the workers' HTTP client (httpx) can send to:
    unlike URLField, hosts without a dot are fine. A URL it cannot read was stored
    and then failed every job start with a server error (an unclosed IPv6 bracket,
    a port "abc" or 99999, an empty or 70-character host label, a bad "xn--" label);
    a query or fragment was pasted in front of every path the workers add."""
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError: not a number, or out of range
        # InvalidURL; reading the host decodes it, and the idna package's errors
        # are ValueErrors ("xn--zz").
        host = httpx.URL(value).host
        if host and parts.hostname:
            parts.hostname.encode("idna")  # UnicodeError: an empty or long label
    except (ValueError, httpx.InvalidURL):
        raise ValidationError(SERVER_URL_HELP) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or " " in value
        or port == 0
        or parts.query
        or parts.fragment
        or value.endswith(("?", "#"))
    ):
        raise ValidationError(SERVER_URL_HELP)


# The environment variables a chat model may name for its API key. An admin picks
# the name, and the workers send the variable's value to the model's server: any
# name would let them send the site's own secrets (DJANGO_SECRET_KEY, DATABASE_URL)
# to a server of their choosing.
API_KEY_ENV = re.compile(r"[A-Z][A-Z0-9_]*_API_KEY")


def validate_api_key_env(value: str) -> None:
    """An environment variable's name ending in _API_KEY (e.g. OPENAI_API_KEY)."""
    if value and not API_KEY_ENV.fullmatch(value):
        raise ValidationError(
            "Name an environment variable whose name ends in _API_KEY (capitals, "
            "digits and underscores, e.g. OPENAI_API_KEY): only those are sent to "
            "model servers."
        )


class PromptSet(models.Model):
    """A named upload of prompts."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    categories = models.JSONField(
        default=list,
        blank=True,
        help_text="Allowed categories; empty accepts any category in the file.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Prompt(models.Model):
    """One prompt of a set: a dialogue that ends with a user turn."""

    class CollectionMethod(models.TextChoices):
        CHATGPT = "chatgpt", "ChatGPT as interaction model"
        LLAMA2CHAT = "llama2chat", "Llama 2-Chat as interaction model"
        BEST_OF_BOTH = "best_of_both", "Best response of the two at every turn"
        ALTERNATING = "alternating", "Alternating"

    prompt_set = models.ForeignKey(
        PromptSet, on_delete=models.CASCADE, related_name="prompts"
    )
    external_id = models.CharField(max_length=200)
    turns = models.JSONField(help_text='A list of {"role": ..., "content": ...}.')
    categories = models.JSONField(default=list)
    collection_method = models.CharField(
        max_length=20, choices=CollectionMethod.choices, blank=True
    )
    metadata = models.JSONField(default=dict, blank=True)
    num_turns = models.PositiveSmallIntegerField(
        default=1, help_text="Number of user turns."
    )
    word_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["prompt_set", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prompt_set", "external_id"], name="prompt_unique_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(num_turns__gte=1), name="prompt_has_a_user_turn"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt_set} / {self.external_id}"

    @property
    def is_multi_turn(self) -> bool:
        return self.num_turns > 1

    @property
    def final_user_turn(self) -> str:
        return self.turns[-1]["content"] if self.turns else ""

    def clean(self) -> None:
        if not 1 <= len(self.categories or []) <= 2:
            raise ValidationError({"categories": "A prompt has one or two categories."})
        if self.num_turns == 1 and len(self.categories) != 1:
            raise ValidationError(
                {"categories": "A single-turn prompt has exactly one category."}
            )


# What every request sets from the chat model's own fields (or the messages):
# ``decoding`` may add parameters, never replace these.
REQUEST_FIELDS = ("model", "messages", "max_tokens", "temperature", "top_p", "stream")


def validate_decoding(value) -> None:
    """Decoding parameters: a JSON object, none of whose keys is a request's own."""
    if not isinstance(value, dict):
        raise ValidationError('A JSON object of parameters, e.g. {"seed": 1}.')
    taken = sorted(set(value) & set(REQUEST_FIELDS))
    if taken:
        raise ValidationError(
            f"{', '.join(taken)}: set by the chat model's own fields, not here."
        )
    # What no JSON column or request can hold: a NUL character (PostgreSQL's jsonb
    # refuses it), a lone surrogate, NaN, too deep a nesting.
    try:
        value_check(value, "decoding")
    except FieldError as exc:
        raise ValidationError(f"{exc.field}: {exc.message}") from None


def validate_top_p(value) -> None:
    """Named on the field (the table's check constraint says the same, unnamed)."""
    if not 0 < value <= 1:
        raise ValidationError("top_p is above 0 and at most 1.")


def validate_positive(value) -> None:
    if not value > 0:
        raise ValidationError("Above 0 seconds.")


def validate_request_timeout(value) -> None:
    """Above 0 and at most a generation task's soft time limit: the worker stops a
    task then, so a longer read timeout never takes effect (1e308 once overflowed
    the server slot's lease)."""
    limit = settings.EVALSITE_GENERATION_SOFT_TIME_LIMIT
    if not 0 < value <= limit:
        raise ValidationError(
            f"Above 0 and at most {limit} seconds, a worker's time limit for one "
            "request (EVALSITE_GENERATION_SOFT_TIME_LIMIT)."
        )


class ChatModel(models.Model):
    """A chat model as a researcher set it up: backend, system prompt, limits."""

    class Backend(models.TextChoices):
        OPENAI = "openai", "OpenAI-compatible chat completions"
        IMPORTED = "imported", "None (responses imported)"

    class SystemPromptPreset(models.TextChoices):
        NONE = "none", "No system prompt"
        LLAMA2 = "llama2", "Llama 2-Chat (also ChatGPT, PaLM, Falcon)"
        MPT = "mpt", "MPT"
        VICUNA = "vicuna", "Vicuna"
        CUSTOM = "custom", "Custom text"

    class Limits(models.TextChoices):
        OPEN = "open", "Open models: 1000 context / 1000 new tokens"
        CLOSED = "closed", "Closed models: 2000 context / 2000 new tokens"
        CUSTOM = "custom", "Custom"

    name = models.CharField(max_length=200, unique=True)
    backend = models.CharField(
        max_length=20, choices=Backend.choices, default=Backend.OPENAI
    )
    base_url = models.CharField(
        blank=True,
        max_length=500,
        validators=[validate_server_url],
        help_text="http(s) URL of the server; hosts such as vllm:8000 are fine.",
    )
    model_id = models.CharField(
        max_length=200, blank=True, help_text="The model's name at the backend."
    )
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_api_key_env],
        help_text="Name of the environment variable holding the API key; it must "
        "end in _API_KEY.",
    )
    system_prompt_preset = models.CharField(
        max_length=20,
        choices=SystemPromptPreset.choices,
        default=SystemPromptPreset.NONE,
    )
    system_prompt = models.TextField(
        blank=True, help_text="The system prompt sent; empty sends none."
    )
    limits = models.CharField(
        max_length=10, choices=Limits.choices, default=Limits.OPEN
    )
    context_limit = CountField(
        default=1000, validators=[MinValueValidator(1), MaxValueValidator(MAX_INT)]
    )
    generation_limit = CountField(
        default=1000, validators=[MinValueValidator(1), MaxValueValidator(MAX_INT)]
    )
    temperature = models.FloatField(
        default=0.0,
        help_text="Sampling temperature, 0 (greedy) to 2 (the OpenAI API's range).",
        validators=[MinValueValidator(0.0), MaxValueValidator(2.0)],
    )
    top_p = models.FloatField(default=1.0, validators=[validate_top_p])
    decoding = models.JSONField(
        default=dict,
        blank=True,
        help_text="Further decoding parameters sent as is (a JSON object).",
        validators=[validate_decoding],
    )
    tokenizer = models.CharField(
        max_length=300,
        default="backend",
        help_text='"backend", a tokenizer file path, or "tiktoken:ENCODING".',
    )
    max_concurrency = SmallCountField(
        default=8,
        help_text="Requests in flight at once to this server.",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SMALL_INT)],
    )
    request_timeout = models.FloatField(
        default=120.0,
        help_text="Read timeout, seconds; at most a worker's time limit for one "
        "request (EVALSITE_GENERATION_SOFT_TIME_LIMIT, 900 by default).",
        validators=[validate_request_timeout],
    )
    organisation = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(context_limit__gte=1, generation_limit__gte=1),
                name="chat_model_limits_positive",
                violation_error_message="The context and generation limits are at "
                "least 1 token.",
            ),
            models.CheckConstraint(
                condition=models.Q(top_p__gt=0, top_p__lte=1),
                name="chat_model_top_p_range",
                violation_error_message="top_p is above 0 and at most 1.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A browser's text box sends its lines ended by CRLF: the presets' texts
        # (and what a server is sent) end them by LF. Unnormalised, no model with a
        # multi-line preset (Llama 2, MPT) could be saved again in the admin.
        self.system_prompt = self.system_prompt.replace("\r\n", "\n")
        if self.system_prompt_preset == self.SystemPromptPreset.CUSTOM:
            if not self.system_prompt.strip():
                # Stored "", it sent no system prompt while saying "custom".
                raise ValidationError({"system_prompt": (
                    "'Custom text' sends this text: write it, or choose 'No "
                    "system prompt' to send none."
                )})  # fmt: skip
        else:
            expected = presets.SYSTEM_PROMPTS[self.system_prompt_preset]
            own = (
                *presets.SYSTEM_PROMPTS.values(),
                *presets.FORMER_SYSTEM_PROMPTS.values(),
            )
            if self.system_prompt in own:
                # Empty, or another preset's own text (the model switched presets):
                # the chosen preset's, as the API and the command fill it in. Left
                # as it was, "No system prompt" kept sending the old preset's text,
                # and a switch between presets was refused as "differs".
                self.system_prompt = expected
            elif self.system_prompt != expected:
                message = (
                    "'No system prompt' sends none: clear this text, or choose "
                    "'custom' to send it."
                    if self.system_prompt_preset == self.SystemPromptPreset.NONE
                    else "Differs from the preset; choose 'custom'."
                )
                raise ValidationError({"system_prompt": message})
        if self.limits != self.Limits.CUSTOM:
            context, generation = presets.LIMITS[self.limits]
            untouched = (self.context_limit, self.generation_limit) in (
                (
                    self._meta.get_field("context_limit").default,
                    self._meta.get_field("generation_limit").default,
                ),
                *presets.LIMITS.values(),  # another preset's: the model switched
            )
            if untouched:  # the form's defaults: the preset chosen sets them
                self.context_limit, self.generation_limit = context, generation
            elif (self.context_limit, self.generation_limit) != (context, generation):
                field = (
                    "context_limit"
                    if self.context_limit != context
                    else "generation_limit"
                )
                raise ValidationError(
                    {field: "Differs from the preset; choose 'custom'."}
                )
        if self.backend == self.Backend.OPENAI and not self.base_url:
            raise ValidationError(
                {"base_url": "An OpenAI-compatible model needs a URL."}
            )
        if self.backend == self.Backend.OPENAI and not self.model_id.strip():
            # Every request names it ("model"); the admin saved "" and sent that.
            raise ValidationError(
                {"model_id": "An OpenAI-compatible model needs the server's model id."}
            )
        from .tokenizers import TokenizerError, validate_spec

        try:  # the admin's form saved any tokenizer (a new-user pass)
            validate_spec(self.tokenizer)
        except TokenizerError as exc:
            raise ValidationError({"tokenizer": str(exc)}) from exc


class GenerationJob(models.Model):
    """A set of prompts x chat models submitted together."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CANCELLED = "cancelled", "Cancelled"
        FINISHED = "finished", "Finished"

    name = models.CharField(max_length=200, blank=True)
    prompt_sets = models.ManyToManyField(PromptSet, related_name="jobs")
    chat_models = models.ManyToManyField(ChatModel, related_name="jobs")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or f"Job {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("generations:job-detail", args=[self.pk])


class Generation(models.Model):
    """The response of one chat model to one prompt."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        FILTERED = "filtered", "Filtered (over the context limit)"

    class Source(models.TextChoices):
        GENERATED = "generated", "Generated"
        IMPORTED = "imported", "Imported"

    prompt = models.ForeignKey(
        Prompt, on_delete=models.CASCADE, related_name="generations"
    )
    chat_model = models.ForeignKey(
        ChatModel, on_delete=models.CASCADE, related_name="generations"
    )
    jobs = models.ManyToManyField(GenerationJob, related_name="generations", blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.GENERATED
    )
    text = models.TextField(blank=True)
    word_count = models.PositiveIntegerField(
        default=0, help_text="Words of the text, stored whenever the text is written."
    )
    html = models.TextField(
        blank=True,
        help_text="The text rendered as safe HTML, stored when a long text is written.",
    )
    html_version = models.PositiveSmallIntegerField(
        default=0,
        help_text="Renderer version of the stored HTML; 0 for none (render on view).",
    )
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=50, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)
    request = models.JSONField(
        default=dict,
        blank=True,
        help_text="The exact request: system prompt, limits, decoding, model id.",
    )
    backend_model_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a transient error's retry is due; empty once it ends.",
    )
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["prompt", "chat_model"]
        constraints = [
            models.UniqueConstraint(
                fields=["prompt", "chat_model"], name="generation_unique_per_model"
            ),
        ]
        indexes = [models.Index(fields=["chat_model", "status"])]

    def __str__(self) -> str:
        return f"{self.chat_model} on {self.prompt}"


class RewardScore(models.Model):
    """A reward model's score of one generation, uploaded by a researcher."""

    class Kind(models.TextChoices):
        LOGIT = "logit", "Logit"
        PROBABILITY = "probability", "Probability"

    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="reward_scores"
    )
    reward_model = models.CharField(max_length=200)
    score = models.FloatField()
    kind = models.CharField(
        max_length=12,
        choices=Kind.choices,
        help_text="What the score is, as said on upload: a logit or a probability.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reward_model", "generation"]
        constraints = [
            models.UniqueConstraint(
                fields=["reward_model", "generation"],
                name="reward_score_once_per_generation",
            ),
            models.CheckConstraint(
                condition=Q(kind="logit") | Q(score__gte=0, score__lte=1),
                name="reward_score_probability_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward_model} on generation {self.generation_id}: {self.score}"


class ImportedFile(models.Model):
    """A file imported in full into a prompt set, known by the SHA-256 of its bytes.

    Re-importing the same bytes is answered from here, without parsing, while the
    digest of the stored rows that import depends on is still the one recorded
    (any change to them, in the admin or elsewhere, sends the file the full way).
    """

    class Kind(models.TextChoices):
        PROMPTS = "prompts", "Prompts"
        GENERATIONS = "generations", "Generations"

    prompt_set = models.ForeignKey(
        PromptSet, on_delete=models.CASCADE, related_name="imported_files"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sha256 = models.CharField(max_length=64)
    rows_digest = models.CharField(max_length=64)
    result = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prompt_set", "kind", "sha256"], name="imported_file_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt_set} / {self.kind} {self.sha256[:12]}"


def import_storage():
    """Uploads waiting for a background import: under the var dir, never served."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.EVALSITE_IMPORT_DIR)


class ImportJob(models.Model):
    """An upload over ``EVALSITE_BACKGROUND_IMPORT_BYTES``, imported by a Celery task.

    ``kind`` names the import (prompts, generations, ratings; see
    services/import_jobs.py); ``options`` are its form fields. The file is deleted
    once the import has ended.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Stage(models.TextChoices):
        STORED = "stored"
        READING = "reading"
        IMPORTING = "importing"
        DONE = "done"

    kind = models.CharField(max_length=50)
    options = models.JSONField(default=dict, blank=True)
    file = models.FileField(storage=import_storage, upload_to="%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(max_length=10, choices=State.choices, default="queued")
    stage = models.CharField(max_length=10, choices=Stage.choices, default="stored")
    total_bytes = models.PositiveBigIntegerField(default=0)
    records_total = models.PositiveIntegerField(
        default=0, help_text="An estimate: the file's lines."
    )
    records_read = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    errors = models.JSONField(
        default=list, blank=True, help_text="[{line, field, message}, ...]"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.file_name} ({self.state})"


from .authoring_models import (  # noqa: E402 (registered with the app's models)
    AuthoringPreference,
    AuthoringSetup,
    Draft,
)

__all__ = [
    "AuthoringPreference",
    "AuthoringSetup",
    "ChatModel",
    "Draft",
    "Generation",
    "GenerationJob",
    "ImportJob",
    "ImportedFile",
    "Prompt",
    "PromptSet",
    "RewardScore",
]
