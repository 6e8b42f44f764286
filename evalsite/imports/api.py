"""The import REST endpoints' base: one multipart POST with the file, 201 or 400.

An upload over ``EVALSITE_BACKGROUND_IMPORT_BYTES`` is imported in the background
where the view can (``background_start``): 202, with the status URL in ``Location``.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.schema import DETAIL_BODY
from evalsite.serializers import KnownFields

from .limits import MAX_NAME_CHARS
from .reader import ImportConflictError, ImportFileError


class ImportSerializer(KnownFields, serializers.Serializer):
    # DRF passes over a form field the serializer lacks: a misspelt one
    # ("candiate") was left out of the import without a word (a new-user pass).
    also_known = frozenset({"csrfmiddlewaretoken"})

    prompt_set = serializers.CharField(max_length=MAX_NAME_CHARS)
    file = serializers.FileField()

    def validate_file(self, upload):
        """Over the size limit: refused here, before a background import is queued
        (a 60 MB file was queued, stored, and failed in the worker)."""
        limit = settings.EVALSITE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"The file is over the size limit of {limit} bytes; nothing was stored."
            )
        return upload


class ImportResultSerializer(serializers.Serializer):
    """The file's records stored (new or changed) and those already stored as they
    are. Each import adds its own fields; each optional one says which gives it."""

    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    prompt_set = serializers.CharField(
        required=False, help_text="Prompts: the prompt set's name."
    )
    chat_models = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Generations: the chat models the file's generations are by.",
    )
    evaluation = serializers.CharField(
        required=False, help_text="Ratings: the evaluation's name."
    )
    comparisons = serializers.IntegerField(
        required=False, help_text="Ratings: the evaluation's comparisons."
    )
    updated = serializers.IntegerField(
        required=False, help_text="Gold pairs: stored pairs the file changed."
    )
    replaced = serializers.IntegerField(
        required=False,
        help_text="Reward scores: stored scores the file changed (counted in "
        "created too).",
    )
    reward_models = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Reward scores: the reward models the file's scores are by.",
    )


class ImportQueuedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    status_url = serializers.CharField()


class LineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    errors = LineErrorSerializer(many=True)


def form_errors(serializer: serializers.Serializer) -> Response:
    """400 with the form's own errors (a missing file or name) in an import error's
    shape: no line, the field named (None for the form as a whole)."""
    errors = [
        {
            "line": None,
            "field": None if name == "non_field_errors" else name,
            "message": str(message),
        }
        for name, messages in serializer.errors.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


class CanImport(permissions.BasePermission):
    """Admins only: the view's ``required_perm`` decides."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(view.required_perm))


# Subclasses set ``required_perm`` and ``service``, or override ``call_service``. No
# docstring: drf-spectacular would show it as each import endpoint's description.
class ImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [permissions.IsAuthenticated, CanImport]
    serializer_class = ImportSerializer
    required_perm = ""

    def call_service(self, data: dict, upload) -> object:
        return self.service(
            prompt_set_name=data["prompt_set"],
            file_name=upload.name,
            data=upload.read(),
        )

    def background_start(self, data: dict, upload) -> dict | None:
        """Queue the import of a large upload and return ImportQueuedSerializer's
        fields; None imports it in the request."""
        return None

    def post(self, request):
        serializer = self.serializer_class(data=request.data)
        if not serializer.is_valid():
            return form_errors(serializer)
        upload = serializer.validated_data["file"]
        if upload.size > settings.EVALSITE_BACKGROUND_IMPORT_BYTES:
            queued = self.background_start(serializer.validated_data, upload)
            if queued is not None:
                return Response(
                    queued,
                    status=status.HTTP_202_ACCEPTED,
                    headers={"Location": queued["status_url"]},
                )
        try:
            result = self.call_service(serializer.validated_data, upload)
        except ImportFileError as exc:
            return file_errors(exc)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


def file_errors(exc: ImportFileError) -> Response:
    """A refused file's errors: 409 when another upload changed the same rows
    meanwhile (sending it again decides), else 400."""
    conflict = isinstance(exc, ImportConflictError)
    return Response(
        {"errors": [error.as_dict() for error in exc.listed]},
        status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST,
    )


RESPONSES = {
    201: ImportResultSerializer,
    202: OpenApiResponse(
        ImportQueuedSerializer,
        description="A large upload, queued: poll status_url (also in Location).",
    ),
    400: OpenApiResponse(ImportErrorSerializer, description="Line and field errors."),
    409: OpenApiResponse(
        ImportErrorSerializer,
        description="Another upload changed the same rows meanwhile; nothing stored.",
    ),
    415: OpenApiResponse(
        DETAIL_BODY, description="Not multipart/form-data: upload the file."
    ),
}
