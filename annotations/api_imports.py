"""REST endpoints for importing ratings."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from evalsite.imports.api import RESPONSES, ImportSerializer
from evalsite.imports.limits import MAX_NAME_CHARS
from generations.api_imports import BackgroundImportView

from .models import Evaluation
from .services.imports import ratings_import


class RatingImportSerializer(ImportSerializer):
    evaluation = serializers.CharField(max_length=MAX_NAME_CHARS)
    scale = serializers.ChoiceField(choices=Evaluation.Scale.choices)
    candidate = serializers.CharField(max_length=MAX_NAME_CHARS, required=False)


class RatingImportView(BackgroundImportView):
    required_perm = "annotations.add_rating"
    background_kind = "ratings"
    serializer_class = RatingImportSerializer

    def call_service(self, data: dict, upload) -> object:
        return ratings_import(
            prompt_set_name=data["prompt_set"],
            evaluation_name=data["evaluation"],
            scale=data["scale"],
            candidate_name=data.get("candidate"),
            file_name=upload.name,
            data=upload.read(),
            created_by=self.request.user,
        )

    @extend_schema(
        request={"multipart/form-data": RatingImportSerializer}, responses=RESPONSES
    )
    def post(self, request):
        return super().post(request)
