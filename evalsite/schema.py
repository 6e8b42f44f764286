"""OpenAPI schema: the refusals every endpoint can answer, where a view says none.

A new-user pass found refusals that really come back and that the schema did not list.
``AutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds those DRF answers
before a view runs: 401 where an operation needs credentials, 403 where its view's
permissions go beyond being signed in, 415 where it takes a body. The postprocessing
hook ``add_refusals`` (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``, after
drf-spectacular's enum hook) adds a 400 to an operation that takes a body or query
parameters and a 404 to one whose path holds a parameter. Neither replaces a status
the view documents itself.
"""

import copy

from drf_spectacular import openapi
from rest_framework.permissions import IsAuthenticated

# DRF's own refusals, with the code evalsite.api_errors adds.
DETAIL_BODY = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail", "code"],
}

BAD_INPUT = {
    "description": "Bad input. A body that fails validation names each bad field "
    '({"field": ["message"]}); other refusals say why in detail, with a code '
    '({"detail": "...", "code": "..."}).',
    "content": {
        "application/json": {"schema": {"type": "object", "additionalProperties": True}}
    },
}
NOT_FOUND = {
    "description": "Not found (or not yours).",
    "content": {"application/json": {"schema": DETAIL_BODY}},
}
UNAUTHENTICATED = {
    "description": "No credentials, or bad ones (code not_authenticated or "
    "authentication_failed): send Authorization: Token <key>.",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    "content": {"application/json": {"schema": DETAIL_BODY}},
}
FORBIDDEN = {
    "description": "Signed in, but this user's role may not do this "
    "(code permission_denied).",
    "content": {"application/json": {"schema": DETAIL_BODY}},
}
UNSUPPORTED_MEDIA_TYPE = {
    "description": "A body in a Content-Type the operation does not read "
    "(code unsupported_media_type).",
    "content": {"application/json": {"schema": DETAIL_BODY}},
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        refusals = {}
        security = operation.get("security", [])
        if security and {} not in security:  # {}: anonymous requests allowed
            refusals["401"] = UNAUTHENTICATED
            if not all(
                type(permission) is IsAuthenticated
                for permission in self.view.get_permissions()
            ):
                refusals["403"] = FORBIDDEN
        if "requestBody" in operation:
            refusals["415"] = UNSUPPORTED_MEDIA_TYPE
        responses = operation["responses"]
        for status, refusal in refusals.items():
            response = responses.setdefault(status, copy.deepcopy(refusal))
            # A view's own description of the status stands; DRF's body is the same.
            response.setdefault("content", copy.deepcopy(refusal["content"]))
        return operation


def add_refusals(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            queries = [
                parameter
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "query" and parameter.get("name") != "page"
            ]
            if "requestBody" in operation or queries:
                responses.setdefault("400", BAD_INPUT)
            if "{" in path:
                responses.setdefault("404", NOT_FOUND)
    return result
