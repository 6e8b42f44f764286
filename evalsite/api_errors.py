"""The REST API's error bodies: DRF's, with a ``code`` beside a lone ``detail``.

The annotator endpoints document every error as ``{"detail", "code"}``; DRF's own
refusals (a body that is not JSON, no credentials, no permission, not found, too
many requests) said only ``detail``. This handler, the ``EXCEPTION_HANDLER`` setting,
adds the exception's code to such a body and changes nothing else.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(response.data, dict):
        return response
    if set(response.data) != {"detail"}:
        return response
    if isinstance(exc, Http404):  # DRF answers these as its own two
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, dict):  # ValidationError({"detail": message})
            codes = codes.get("detail")
        if isinstance(codes, list) and codes:
            codes = codes[0]
        if isinstance(codes, str):
            response.data["code"] = codes
    return response
