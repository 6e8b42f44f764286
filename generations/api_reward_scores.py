"""REST endpoint for uploading reward-model scores: one multipart POST, admins only.

Imported in the request whatever the file's size (no background import).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from evalsite.imports.api import RESPONSES, ImportSerializer, ImportView

from .services.reward_scores import KINDS, reward_scores_import


class RewardScoreImportSerializer(ImportSerializer):
    kind = serializers.ChoiceField(
        choices=KINDS, help_text="What the file's scores are: logits or probabilities."
    )


class RewardScoreImportView(ImportView):
    required_perm = "generations.add_rewardscore"
    serializer_class = RewardScoreImportSerializer

    def call_service(self, data: dict, upload) -> object:
        return reward_scores_import(
            prompt_set_name=data["prompt_set"],
            kind=data["kind"],
            file_name=upload.name,
            data=upload.read(),
        )

    @extend_schema(
        request={"multipart/form-data": RewardScoreImportSerializer},
        responses=RESPONSES,
    )
    def post(self, request):
        return super().post(request)
