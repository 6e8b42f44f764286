"""REST endpoints for importing prompts and generations: one POST each, multipart."""

from drf_spectacular.utils import extend_schema

from evalsite.imports.api import RESPONSES, ImportSerializer, ImportView

from .services.imports import generations_import, prompts_import


class PromptImportView(ImportView):
    required_perm = "generations.add_prompt"
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


class GenerationImportView(ImportView):
    required_perm = "generations.add_generation"
    service = staticmethod(generations_import)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses=RESPONSES
    )
    def post(self, request):
        return super().post(request)
