"""REST representations of chat models and generation jobs."""

from rest_framework import serializers

from evalsite.imports.limits import MAX_INT
from evalsite.serializers import KnownFields, NameField

from .models import ChatModel, GenerationJob, PromptSet


class ChatModelSerializer(KnownFields, serializers.ModelSerializer):
    system_prompt = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None
    )
    context_limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_INT, default=None
    )
    generation_limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_INT, default=None
    )

    class Meta:
        model = ChatModel
        fields = [
            "id",
            "name",
            "backend",
            "base_url",
            "model_id",
            "api_key_env",
            "system_prompt_preset",
            "system_prompt",
            "limits",
            "context_limit",
            "generation_limit",
            "temperature",
            "top_p",
            "decoding",
            "tokenizer",
            "max_concurrency",
            "request_timeout",
            "created_at",
        ]
        read_only_fields = ["id", "backend", "created_at"]
        # The service needs both (an OpenAI-compatible server and its model).
        extra_kwargs = {
            "base_url": {"required": True, "allow_blank": False},
            "model_id": {"required": True, "allow_blank": False},
        }


class GenerationJobSerializer(KnownFields, serializers.ModelSerializer):
    prompt_sets = NameField(
        many=True, slug_field="name", queryset=PromptSet.objects.all()
    )
    chat_models = NameField(
        many=True, slug_field="name", queryset=ChatModel.objects.all()
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "name",
            "prompt_sets",
            "chat_models",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
        ]
        read_only_fields = ["id", "status", "created_at", "started_at", "finished_at"]

    def get_progress(self, job: GenerationJob) -> dict:
        from .selectors import job_progress

        return job_progress(job=job).as_dict()
