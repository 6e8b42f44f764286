"""REST endpoints for importing ratings, and the name field other endpoints share."""

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


class NameField(serializers.SlugRelatedField):
    """An object by its name; a name no column can hold is refused, not looked up
    (PostgreSQL refuses a NUL character even in a query)."""

    default_error_messages = {
        "blank": "Give a name: this field may not be blank.",
        "not_a_name": "Expected a name (a string), got {kind}.",
    }

    def run_validation(self, data=serializers.empty):
        # DRF's related fields read "" as null ("may not be null"): say what it is.
        if data == "" and not self.allow_null:
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_name", kind=type(data).__name__)
        if "\x00" in data or len(data) > MAX_NAME_CHARS:
            self.fail("invalid")
        return super().to_internal_value(data)
