"""REST endpoints for importing prompts and generations: one POST each, multipart.

Large uploads are imported in the background; ``imports/jobs/<id>/`` tells how far.
"""

from dataclasses import asdict

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.imports.api import (
    RESPONSES,
    ImportSerializer,
    ImportView,
    LineErrorSerializer,
)
from evalsite.query_parameters import KnownQueryParameters

from .models import ImportJob
from .services.import_jobs import import_job_create, import_job_status
from .services.imports import generations_import, prompts_import
from .services.preflight import BrokerUnavailable


def background_import(*, kind: str, data: dict, upload, user) -> dict | None:
    """Store the upload, queue its import; the job's id, state and status URL.

    None when the broker is down: the caller imports in the request, as before.
    """
    options = {name: value for name, value in data.items() if name != "file"}
    try:
        job = import_job_create(
            kind=kind, options=options, upload=upload, uploaded_by=user
        )
    except BrokerUnavailable:
        return None
    return {
        "id": job.pk,
        "state": job.state,
        "status_url": reverse("api-import-job", args=[job.pk]),
    }


# Subclasses set ``background_kind``, the kind registered for their imports. No
# docstring: drf-spectacular would show it as each import endpoint's description.
class BackgroundImportView(ImportView):
    background_kind = ""

    def background_start(self, data: dict, upload) -> dict | None:
        return background_import(
            kind=self.background_kind, data=data, upload=upload, user=self.request.user
        )


class PromptImportView(BackgroundImportView):
    required_perm = "generations.add_prompt"
    background_kind = "prompts"
    service = staticmethod(prompts_import)

    def call_service(self, data: dict, upload) -> object:
        return prompts_import(
            prompt_set_name=data["prompt_set"],
            file_name=upload.name,
            data=upload.read(),
            uploaded_by=self.request.user,
        )

    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses=RESPONSES
    )
    def post(self, request):
        return super().post(request)


class GenerationImportView(BackgroundImportView):
    required_perm = "generations.add_generation"
    background_kind = "generations"
    service = staticmethod(generations_import)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses=RESPONSES
    )
    def post(self, request):
        return super().post(request)


class ImportJobStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    file_name = serializers.CharField()
    state = serializers.ChoiceField(choices=ImportJob.State.choices)
    stage = serializers.ChoiceField(choices=ImportJob.Stage.choices)
    percent = serializers.IntegerField()
    records_read = serializers.IntegerField()
    records_total = serializers.IntegerField(help_text="An estimate: the file's lines.")
    result = serializers.DictField(allow_null=True, help_text="The counts, once done.")
    errors = LineErrorSerializer(many=True)


class ImportJobStatusView(KnownQueryParameters, APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=ImportJobStatusSerializer)
    def get(self, request, pk: int):
        """The uploader's own import; any import for those who read every record
        (researchers and admins)."""
        jobs = ImportJob.objects.all()
        if not request.user.has_perm("generations.view_importjob"):
            jobs = jobs.filter(uploaded_by=request.user)
        job = jobs.filter(pk=pk).first()
        if job is None:
            raise Http404
        return Response(asdict(import_job_status(job)))
