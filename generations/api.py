"""REST API of the generations app: chat models and generation jobs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from evalsite.query_parameters import KnownQueryParameters

from . import selectors
from .models import ChatModel, GenerationJob
from .serializers import ChatModelSerializer, GenerationJobSerializer
from .services import chat_models, jobs


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with the view permission required to read."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class ServiceUnavailable(APIException):
    """The broker or a chat model's server is down: try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service the job needs is unavailable."
    default_code = "service_unavailable"


def drf_error(exc: DjangoValidationError) -> ValidationError:
    """A service's ValidationError as DRF's (a 400 naming the fields)."""
    return ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


class ChatModelViewSet(
    KnownQueryParameters,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Chat models; creating one resolves the system-prompt and limit presets. The
    list takes no filter: an unknown query parameter (``name``, say) is a 400, not
    every chat model."""

    queryset = ChatModel.objects.all()
    serializer_class = ChatModelSerializer
    permission_classes = [ModelPermissions]

    def perform_create(self, serializer: ChatModelSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("backend", None)
        try:
            serializer.instance = chat_models.chat_model_create(**data)
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc


class GenerationJobViewSet(
    KnownQueryParameters,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Jobs: POST starts one; ``cancel`` and ``resume`` act on it."""

    queryset = selectors.job_list()
    serializer_class = GenerationJobSerializer
    permission_classes = [ModelPermissions]

    def perform_create(self, serializer: GenerationJobSerializer) -> None:
        data = serializer.validated_data
        try:
            job, _ = jobs.job_create_and_launch(
                prompt_sets=data["prompt_sets"],
                chat_models=data["chat_models"],
                name=data.get("name", ""),
                created_by=self.request.user,
            )
        except DjangoValidationError as exc:
            raise drf_error(exc) from exc
        except jobs.OUTAGES as exc:
            raise ServiceUnavailable(str(exc)) from exc
        serializer.instance = job

    @extend_schema(request=None, responses={200: GenerationJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = jobs.job_cancel(job=self.get_object())
        return Response(self.get_serializer(job).data)

    @extend_schema(request=None, responses={202: GenerationJobSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        try:
            jobs.job_launch(job=job)
        except jobs.OUTAGES as exc:
            raise ServiceUnavailable(str(exc)) from exc
        job = GenerationJob.objects.get(pk=job.pk)
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)
