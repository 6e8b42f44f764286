"""Serializers of the annotator API; they carry no trace of the chat models."""

from functools import lru_cache

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evalsite.serializers import KnownFields, NumberField

from .models import Assignment, Evaluation, Rating
from .services.answer_values import MAX_SECONDS
from .services.assignment_errors import AssignmentError, InvalidAnswer
from .services.assignments import MAX_COMMENT


def enum_schema(choices: list[tuple[str, str]]) -> dict:
    """A string enum's schema, for ``extend_schema_field(..., component_name=...)``.

    drf-spectacular's enum hook names a field's choices after the field (``state``:
    StateEnum), and where two sets of choices share a field name it renames both
    components (a client's types) with a warning. A set named here keeps its name
    and leaves the others theirs."""
    return {
        "type": "string",
        "enum": [value for value, _ in choices],
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices),
    }


@extend_schema_field(
    enum_schema(Assignment.State.choices), component_name="AssignmentStateEnum"
)
class AssignmentStateField(serializers.CharField):
    """An assignment's state (``Assignment.State``)."""


class TurnSerializer(serializers.Serializer):
    role = serializers.CharField()
    content = serializers.CharField()


class LabelSerializer(serializers.Serializer):
    key = serializers.IntegerField(
        help_text="The keyboard key that picks it, 1 to 7 (preference scale: 1 to 8)."
    )
    value = serializers.IntegerField(
        help_text="3 = A is much better ... -3 = B is much better; preference scale: "
        "4 = A is significantly better ... 1 = A is negligibly better / unsure, -1 "
        "... -4 the same for B"
    )
    label = serializers.CharField()


class PairSerializer(serializers.Serializer):
    """One leased item (a pair, or a quality check shown as one) as the annotator
    sees it."""

    assignment = serializers.IntegerField(
        source="assignment_id",
        allow_null=True,
        help_text="The assignment's id while the evaluation mixes in no quality "
        "checks; else null (answer through ``answer_url``).",
    )
    item = serializers.CharField(
        source="token", help_text="Opaque name of the item (a pair or a check)."
    )
    answer_url = serializers.SerializerMethodField(
        help_text="POST the answer here: ``action`` (rate, skip, flag) and the "
        "rating's fields."
    )
    evaluation = serializers.IntegerField(source="evaluation_id")
    scale = serializers.ChoiceField(
        choices=Evaluation.Scale.choices,
        help_text="The scale of ``labels``; likert for a single-response evaluation: "
        "one response (response_a), rated 1 worst to 7 best.",
    )
    turns = TurnSerializer(many=True)
    response_a = serializers.CharField()
    response_b = serializers.CharField(
        allow_null=True, help_text="null on the Likert scale (one response)"
    )
    question = serializers.CharField()
    labels = serializers.SerializerMethodField()
    safety_labels = serializers.BooleanField(
        help_text="Whether a rating must also label each response safe or unsafe "
        "(``safety_a``, ``safety_b``)."
    )
    expires_at = serializers.DateTimeField(
        help_text="When the lease runs out (while ``state`` is leased)."
    )
    state = AssignmentStateField(
        help_text="Where the item stands: leased (waiting for your answer at "
        "``answer_url`` until ``expires_at``); submitted, skipped or flagged "
        "(answered: another answer is refused, 409); expired (its lease ran out "
        "or was released: an answer is stored only while the pair has room)."
    )

    @extend_schema_field(LabelSerializer(many=True))
    def get_labels(self, view) -> list[dict]:
        return _labels(tuple(view.keys))

    def get_answer_url(self, view) -> str:
        return item_answer_url(view.token)


def item_answer_url(token: str) -> str:
    """The API address answering the item named ``token`` ("" for a view built
    without one)."""
    return reverse("api-item-answer", args=[token]) if token else ""


_DATETIME = serializers.DateTimeField()


def pair_data(view) -> dict:
    """``PairSerializer(view).data``, built without the per-instance copies DRF makes
    of a serializer's fields: every click answers with a pair, and those copies cost
    more than the rest of the response. tests/annotations/test_answering.py keeps the
    two equal."""
    return {
        "assignment": view.assignment_id,
        "item": view.token,
        "answer_url": item_answer_url(view.token),
        "evaluation": view.evaluation_id,
        "scale": view.scale,
        "turns": [{"role": t["role"], "content": t["content"]} for t in view.turns],
        "response_a": view.response_a,
        "response_b": view.response_b,
        "question": view.question,
        "labels": _labels(tuple(view.keys)),
        "safety_labels": view.safety_labels,
        "expires_at": _DATETIME.to_representation(view.expires_at),
        "state": view.state,
    }


@lru_cache(maxsize=8)
def _labels(keys: tuple[tuple[int, int, str], ...]) -> list[dict]:
    """A scale's labels, serialized once: they are the same on every pair."""
    return LabelSerializer(
        [{"key": k, "value": v, "label": label} for k, v, label in keys], many=True
    ).data


MAX_CHOICE_CHARS = 100


@extend_schema_field(
    {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": MAX_CHOICE_CHARS}]}
)
class ChoiceField(serializers.Field):
    """A choice as an integer or as text (``a:slightly``, a label); the scale of the
    evaluation reads it (``scales.parse_choice``)."""

    default_error_messages = {
        "type": "expected an integer, or text such as 'a:slightly' or '-2'",
        "long": f"at most {MAX_CHOICE_CHARS} characters",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("type")
        if isinstance(data, str) and len(data) > MAX_CHOICE_CHARS:
            self.fail("long")
        return data

    def to_representation(self, value):
        return value


class RatingInSerializer(KnownFields, serializers.Serializer):
    choice = ChoiceField(
        help_text="As shown: 3 = A is much better, 0 = about the same, "
        "-3 = B is much better (three-point scale: 1, 0, -1). Preference scale: 4 "
        "... 1 = A is significantly / better / slightly / negligibly better, -1 ... "
        "-4 the same for B (no 0), or as text: a:significantly, a:better, "
        "a:slightly, a:negligibly (or a:unsure), b:... ."
    )
    safety_a = serializers.ChoiceField(
        choices=Rating.Safety.choices,
        required=False,
        help_text="Safety of the response shown as Model A; required when the "
        "pair's ``safety_labels`` is true, refused otherwise.",
    )
    safety_b = serializers.ChoiceField(
        choices=Rating.Safety.choices,
        required=False,
        help_text="Safety of Model B's response; as ``safety_a``.",
    )
    seconds = NumberField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_SECONDS,
        help_text="Seconds spent on the pair; the lease's age when left out.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_COMMENT,
        help_text="Why this answer (optional): the rating's rationale.",
    )


class ItemAnswerInSerializer(RatingInSerializer):
    """One answer to any item (a pair or a check), at its ``answer_url``."""

    action = serializers.ChoiceField(
        choices=["rate", "skip", "flag"], default="rate", help_text="The answer."
    )
    choice = ChoiceField(required=False, help_text="Required to rate; as a rating's.")

    def validate(self, data: dict) -> dict:
        if data["action"] == "rate" and data.get("choice") is None:
            raise serializers.ValidationError({"choice": "required to rate"})
        if data["action"] != "rate":
            # A skip or flag stores no answer: a choice sent with one was dropped.
            for name in ("choice", "safety_a", "safety_b"):
                if data.get(name) is not None:
                    raise serializers.ValidationError(
                        {name: f"only to rate, not to {data['action']}"}
                    )
        return data


class AnswerSerializer(serializers.Serializer):
    """An answer as stored now, and the next pair: one request per click."""

    assignment = serializers.IntegerField(help_text="The assignment answered.")
    state = serializers.CharField(help_text="Its state now.")
    notice = serializers.CharField(
        help_text="What to tell the annotator; blank when all went as asked."
    )
    next = PairSerializer(
        allow_null=True,
        help_text="The next pair, leased to you (or the one you hold); null when "
        "nothing is left for you.",
    )
    stopped = serializers.CharField(
        help_text="Why no next pair came although pairs may be left: 'paused', "
        "'quota_done' (then see completion_code and completion_url), 'closed', "
        "'stopped' (the evaluation's stopping rule was met), 'not_in_pool'; blank "
        "otherwise."
    )
    completion_code = serializers.CharField(
        help_text="With 'quota_done': the code to hand to the crowd platform."
    )
    completion_url = serializers.CharField(
        help_text="With 'quota_done': the crowd platform's completion address."
    )


class RatingAnswerSerializer(AnswerSerializer):
    choice = serializers.IntegerField()
    safety_a = serializers.CharField(help_text="safe, unsafe, or blank when none.")
    safety_b = serializers.CharField(help_text="safe, unsafe, or blank when none.")
    seconds = serializers.FloatField(allow_null=True)
    created = serializers.BooleanField(
        help_text="False when this assignment had already been submitted: "
        "the first answer stands."
    )


class _ItemFields(serializers.Serializer):
    """What an item's answer says in place of the assignment: the item's token.
    ``assignment`` is null, so that a quality check's answer reads as a pair's."""

    item = serializers.CharField(help_text="The item answered (its token).")
    assignment = serializers.IntegerField(
        allow_null=True, help_text="Always null: an item is named by its token."
    )


class ItemAnswerSerializer(_ItemFields, AnswerSerializer):
    pass


class ItemRatingAnswerSerializer(_ItemFields, RatingAnswerSerializer):
    pass


class RefusalSerializer(serializers.Serializer):
    """An answer refused (nothing stored), and the next pair all the same."""

    detail = serializers.CharField()
    code = serializers.CharField()
    next = PairSerializer(allow_null=True)


class FlagInSerializer(KnownFields, serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="With code 'invalid' (a body that fails validation, or a value "
        "the evaluation refuses, such as a choice off its scale): each bad field's "
        "messages; detail names them too.",
    )
    completion_code = serializers.CharField(
        required=False,
        help_text="With code 'quota_done': the code to hand on to the crowd "
        "platform (empty when the evaluation has none).",
    )
    completion_url = serializers.CharField(
        required=False,
        help_text="With code 'quota_done': where to send the annotator (empty "
        "when none).",
    )


NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def invalid_body(errors: dict) -> dict:
    """A body that fails validation in ErrorSerializer's shape: ``detail`` names
    each bad field ("choice: This field is required."), ``code`` "invalid",
    ``fields`` DRF's messages by field ("non_field_errors": the body as a whole)."""
    fields = {
        name: [str(message) for message in messages]
        if isinstance(messages, list)
        else [str(messages)]
        for name, messages in errors.items()
    }
    detail = "; ".join(
        f"{'body' if name == 'non_field_errors' else name}: {' '.join(messages)}"
        for name, messages in fields.items()
    )
    return {"detail": detail, "code": "invalid", "fields": fields}


def refusal_body(error: AssignmentError) -> dict:
    """A refused request in ErrorSerializer's shape; a bad value in an answer
    (InvalidAnswer, code "invalid") also names its field in ``fields``, as a body
    that fails validation does."""
    body = {"detail": error.message, "code": error.code}
    if isinstance(error, InvalidAnswer):
        body["fields"] = {error.field: [error.reason]}
    return body


class RatingChangeInSerializer(KnownFields, serializers.Serializer):
    """What an annotator may change in one of their last ratings; a field left out
    is kept."""

    choice = ChoiceField(
        required=False,
        help_text="The new answer as shown on the pair (same A/B sides as when "
        "rated), as in a rating.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_COMMENT,
        help_text="The rationale; blank removes it.",
    )
    safety_a = serializers.ChoiceField(
        choices=Rating.Safety.choices,
        required=False,
        help_text="The safety of the response shown as Model A, as in a rating; "
        "only where the evaluation asks for safety labels (preference scale).",
    )
    safety_b = serializers.ChoiceField(
        choices=Rating.Safety.choices,
        required=False,
        help_text="The safety of Model B's response; as ``safety_a``.",
    )


class AnswerChangeSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="choice, comment, safety_a, safety_b or state."
    )
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    changed_at = serializers.DateTimeField()


class OwnRatingSerializer(serializers.Serializer):
    """One of the annotator's own ratings, as shown (A/B), and whether it can still
    change."""

    id = serializers.IntegerField(source="rating_id")
    assignment = serializers.IntegerField(source="assignment_id", allow_null=True)
    choice = serializers.IntegerField()
    label = serializers.CharField()
    comment = serializers.CharField()
    safety_a = serializers.CharField(help_text="safe, unsafe, or blank when none.")
    safety_b = serializers.CharField(help_text="safe, unsafe, or blank when none.")
    created_at = serializers.DateTimeField()
    editable = serializers.BooleanField(
        help_text="Among your last ratings (the evaluation's edit window) and the "
        "pair not yet complete."
    )


class RatingChangedSerializer(serializers.Serializer):
    rating = OwnRatingSerializer()
    changes = AnswerChangeSerializer(
        many=True, help_text="What this request changed; empty when nothing differed."
    )
