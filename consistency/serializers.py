"""DRF serializers of the consistency API."""

from django.conf import settings
from rest_framework import serializers

from evalsite.imports.limits import MAX_NAME_CHARS
from evalsite.serializers import KnownFields

from .models import MAX_ANNOTATORS, Answer
from .report import DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES, MAX_SEED


class ConsistencyUploadSerializer(KnownFields, serializers.Serializer):
    evaluation = serializers.CharField(max_length=MAX_NAME_CHARS)
    chat_models = serializers.CharField(required=False, allow_blank=True, default="")
    annotators = serializers.CharField(required=False, allow_blank=True, default="")
    annotators_per_reply = serializers.IntegerField(
        min_value=1, max_value=MAX_ANNOTATORS, required=False
    )
    file = serializers.FileField()

    def validate_file(self, upload):
        limit = settings.EVALSITE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"The file is over the size limit of {limit} bytes."
            )
        return upload


class ConsistencyAnswerSerializer(KnownFields, serializers.Serializer):
    judgement = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    answer = serializers.ChoiceField(choices=Answer.choices)


class ConsistencyTurnSerializer(serializers.Serializer):
    user = serializers.CharField()
    reply = serializers.CharField()


class ConsistencyShownReplySerializer(serializers.Serializer):
    judgement_id = serializers.IntegerField()
    system_message = serializers.CharField()
    history = ConsistencyTurnSerializer(many=True)
    user_text = serializers.CharField()
    reply_text = serializers.CharField()
    turn = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class ConsistencyOutcomeSerializer(serializers.Serializer):
    stored = serializers.BooleanField()
    next = ConsistencyShownReplySerializer(allow_null=True)
    notice = serializers.CharField(help_text="Why the answer was not stored, if not.")


class ConsistencyTurnRowSerializer(serializers.Serializer):
    chat_model = serializers.CharField()
    turn = serializers.IntegerField()
    replies = serializers.IntegerField()
    complete = serializers.IntegerField()
    respecting = serializers.IntegerField()
    not_respecting = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    no_majority = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)


class ConsistencyReportSerializer(serializers.Serializer):
    evaluation = serializers.CharField()
    chat_models = serializers.ListField(child=serializers.CharField())
    turns = serializers.IntegerField()
    annotators_per_reply = serializers.IntegerField()
    resamples = serializers.IntegerField()
    seed = serializers.IntegerField()
    rules = serializers.CharField()
    rows = ConsistencyTurnRowSerializer(many=True)


class ConsistencyReportQuerySerializer(KnownFields, serializers.Serializer):
    resamples = serializers.IntegerField(
        min_value=1, max_value=MAX_RESAMPLES, default=DEFAULT_RESAMPLES
    )
    seed = serializers.IntegerField(
        min_value=0, max_value=MAX_SEED, default=DEFAULT_SEED
    )


class ConsistencyEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    annotators_per_reply = serializers.IntegerField()
    instructions = serializers.IntegerField()
    dialogues = serializers.DictField(child=serializers.DictField())
    replies = serializers.IntegerField()
    complete = serializers.IntegerField(help_text="Replies with all N answers.")


class ConsistencyImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Instructions stored.")
    unchanged = serializers.IntegerField(
        help_text="Instructions already stored as they are."
    )
    evaluation = serializers.CharField(help_text="The evaluation's name.")
    evaluation_id = serializers.IntegerField(
        help_text="Its id, for its start, next, answers and report endpoints."
    )


class ConsistencyStartedSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Dialogues queued for the workers.")
