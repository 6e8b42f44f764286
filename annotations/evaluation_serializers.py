"""Serializers of the evaluations API: an evaluation as its list shows it (an
annotator's view blind to the chat models), and the body that creates one."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evalsite.imports.limits import (
    MAX_ANNOTATORS_PER_PAIR,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_USERNAME_CHARS,
)
from evalsite.serializers import KnownFields, NameField, NumberField
from generations.models import ChatModel, PromptSet

from .evaluation_selectors import (
    annotators_named,
    evaluation_by_key,
    sees_every_evaluation,
)
from .models import Evaluation
from .selectors import annotator_title
from .sequential_fields import (
    MAX_ADAPTIVE_TOP,
    MAX_MIN_PAIRS,
    SEQUENTIAL_FIELDS,
    sequential_errors,
)
from .serializers import enum_schema

MAX_POOL = 10_000
# The scales of a pairwise evaluation, the only kind this endpoint creates.
CREATE_SCALES = [
    (value, label)
    for value, label in Evaluation.Scale.choices
    if value != Evaluation.Scale.LIKERT
]


@extend_schema_field(OpenApiTypes.STR)
class EvaluationKeyField(serializers.Field):
    """An evaluation by its name, or else by its id (a name first: an evaluation
    may be called "7"), as the preference endpoints take it."""

    default_error_messages = {
        "blank": "Give an evaluation's name or id: this field may not be blank.",
        "invalid": "Expected an evaluation's name or id, got {kind}.",
        "no_evaluation": "No evaluation named or with the id {name!r}.",
    }

    def to_internal_value(self, data) -> Evaluation:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid", kind=type(data).__name__)
        if not str(data).strip():
            self.fail("blank")
        evaluation = evaluation_by_key(str(data))
        if evaluation is None:
            self.fail("no_evaluation", name=str(data)[:40])
        return evaluation

    def to_representation(self, value: Evaluation) -> str:
        return value.name


@extend_schema_field(enum_schema(CREATE_SCALES), component_name="PairwiseScaleEnum")
class CreateScaleField(serializers.ChoiceField):
    default_error_messages = {
        "invalid_choice": '"{input}" is not a scale of a pairwise evaluation (seven, '
        "three, preference). The Likert scale rates one response: create a "
        "single-response evaluation (the New evaluation page, or create_evaluation "
        "--kind single)."
    }


@extend_schema_field(
    enum_schema(Evaluation.Kind.choices), component_name="EvaluationKindEnum"
)
class KindField(serializers.ChoiceField):
    pass


class EvaluationCreateSerializer(KnownFields, serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME_CHARS)
    prompt_set = NameField(slug_field="name", queryset=PromptSet.objects.all())
    candidate = NameField(
        slug_field="name", queryset=ChatModel.objects.all(), required=False
    )
    baseline = NameField(
        slug_field="name", queryset=ChatModel.objects.all(), required=False
    )
    chat_models = NameField(
        slug_field="name", queryset=ChatModel.objects.all(), many=True, required=False
    )
    scale = CreateScaleField(
        choices=CREATE_SCALES,
        default=Evaluation.Scale.SEVEN,
        help_text="The answer scale. (Likert rates one response: a single-response "
        "evaluation, made on the New evaluation page or by create_evaluation "
        "--kind single.)",
    )
    safety_labels = serializers.BooleanField(
        default=False,
        help_text="Preference scale: each response also gets a safe / unsafe label.",
    )
    batch = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=Evaluation._meta.get_field("batch").max_length,
        help_text="The preference data's batch label; blank: the week of each rating.",
    )
    annotators_per_pair = serializers.IntegerField(
        min_value=1, max_value=MAX_ANNOTATORS_PER_PAIR, default=3
    )
    pairs_per_prompt = serializers.IntegerField(min_value=1, required=False)
    guidelines = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=MAX_TEXT_CHARS
    )
    allocation = serializers.ChoiceField(
        choices=Evaluation.Allocation.choices,
        default=Evaluation.Allocation.UNIFORM,
        help_text="Tournaments: uniform, or adaptive (docs/sequential.md).",
    )
    adaptive_top = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ADAPTIVE_TOP,
        default=10,
        help_text="Adaptive: narrow the scores of this many best models first.",
    )
    adaptive_width = NumberField(
        min_value=0,
        default=1.0,
        help_text="Adaptive: the 95 % interval width (log-score) that is narrow "
        "enough for a top model.",
    )
    stop_rule = serializers.ChoiceField(
        choices=Evaluation.StopRule.choices,
        default=Evaluation.StopRule.NONE,
        help_text="Head-to-head: stop handing out pairs when the always-valid "
        "sequence has decided (docs/sequential.md).",
    )
    stop_width = NumberField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The width rule's target width, in (0, 1].",
    )
    stop_min_pairs = serializers.IntegerField(
        min_value=0, max_value=MAX_MIN_PAIRS, default=0
    )

    pool = serializers.ListField(
        child=serializers.CharField(max_length=MAX_USERNAME_CHARS),
        required=False,
        max_length=MAX_POOL,
        help_text="Usernames of annotators (users in the annotator role) to put in "
        "its pool; without any, no one can rate it until annotators join (the "
        "admin, add_annotators, or an invitation link).",
    )

    def validate_pool(self, usernames: list[str]) -> list:
        usernames = list(dict.fromkeys(usernames))
        found = annotators_named(usernames)
        known = {user.username for user in found}
        if unknown := [name for name in usernames if name not in known]:
            raise serializers.ValidationError(
                [f"{name[:40]!r} is no annotator's username" for name in unknown]
            )
        return found

    def validate(self, data: dict) -> dict:
        if data.get("chat_models"):
            # A tournament's models are chat_models; a head-to-head's, candidate and
            # baseline. Both at once is a contradiction, not a tournament.
            both = [name for name in ("candidate", "baseline") if data.get(name)]
            if both:
                raise serializers.ValidationError(
                    {
                        name: "give candidate and baseline (a head-to-head) or "
                        "chat_models (a tournament), not both"
                        for name in both
                    }
                )
        kind = (
            Evaluation.Kind.TOURNAMENT
            if data.get("chat_models")
            else Evaluation.Kind.HEAD_TO_HEAD
        )
        values = {name: data.get(name) for name in SEQUENTIAL_FIELDS}
        if errors := sequential_errors(kind=kind, **values):
            raise serializers.ValidationError(errors)
        return data


class EvaluationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    comparisons = serializers.IntegerField()
    left_out = serializers.DictField(child=serializers.IntegerField())


class BlindEvaluationSerializer(serializers.Serializer):
    """An evaluation as an annotator sees it: nothing of the chat models (not its
    name either, which often names them)."""

    id = serializers.IntegerField()
    name = serializers.CharField(
        help_text="Its name; an annotator sees 'Evaluation <id>' instead."
    )
    kind = KindField(choices=Evaluation.Kind.choices)
    scale = serializers.ChoiceField(choices=Evaluation.Scale.choices)
    status = serializers.ChoiceField(choices=Evaluation.Status.choices)
    stopped = serializers.BooleanField(
        help_text="Its stopping rule was met: no new pairs are handed out "
        "(docs/sequential.md)."
    )
    annotators_per_pair = serializers.IntegerField()
    safety_labels = serializers.BooleanField(
        help_text="A rating also labels each response safe or unsafe."
    )
    pairs = serializers.IntegerField(help_text="Its comparisons (pairs to rate).")
    created_at = serializers.DateTimeField()
    next_url = serializers.CharField(
        help_text="POST here for your next pair (annotators in its pool)."
    )


class EvaluationSerializer(BlindEvaluationSerializer):
    """An evaluation, with where to go next: ``next_url`` to rate it, ``report_url``
    to read its report. An annotator sees only those of their pools, without the
    fields on the chat models, the prompt set and the report."""

    candidate = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Head-to-head: the candidate chat model's name; else null. Left "
        "out for annotators, as are the fields below.",
    )
    baseline = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Head-to-head: the baseline's name; else null.",
    )
    chat_models = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The chat models it compares (or rates, single-response), by name.",
    )
    prompt_set = serializers.CharField(
        required=False, help_text="Its prompt set's name."
    )
    report_url = serializers.CharField(required=False, help_text="Its report.")


def _row(evaluation: Evaluation, *, blind: bool) -> dict:
    """EvaluationSerializer's fields; ``blind``: BlindEvaluationSerializer's, as an
    annotator may see them."""
    row = {
        "id": evaluation.pk,
        "name": annotator_title(evaluation) if blind else evaluation.name,
        "kind": evaluation.kind,
        "scale": evaluation.scale,
        "status": evaluation.status,
        "stopped": evaluation.stopped_at is not None,
        "annotators_per_pair": evaluation.annotators_per_pair,
        "safety_labels": evaluation.safety_labels,
        "pairs": evaluation.pairs,
        "created_at": evaluation.created_at,
        "next_url": reverse("api-evaluation-next", args=[evaluation.pk]),
    }
    if blind:
        return row
    return row | {
        "candidate": evaluation.candidate.name if evaluation.candidate else None,
        "baseline": evaluation.baseline.name if evaluation.baseline else None,
        "chat_models": sorted(model.name for model in evaluation.chat_models.all()),
        "prompt_set": evaluation.prompt_set.name,
        "report_url": reverse("api-report", args=[evaluation.pk]),
    }


def evaluations_data(evaluations, *, user) -> list[dict]:
    """EvaluationSerializer's data of each evaluation; an annotator's (who sees
    none of the chat models) BlindEvaluationSerializer's."""
    blind = not sees_every_evaluation(user)
    serializer = BlindEvaluationSerializer if blind else EvaluationSerializer
    return serializer([_row(e, blind=blind) for e in evaluations], many=True).data
