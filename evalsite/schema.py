"""OpenAPI schema: the refusals every endpoint can answer, where a view says none.

A drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``,
after its own enum hook). A new-user pass found 400s on every create endpoint and on
the report endpoints' options, and 404s on paths with an id, that the schema did not
list. An operation that takes a body or query parameters gets a 400, and one whose path
holds a parameter a 404, unless the view documents its own.
"""

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
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            }
        }
    },
}


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
