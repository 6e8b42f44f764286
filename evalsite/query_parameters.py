"""Query parameters of the REST API: unknown names refused, ``format`` checked.

A misspelt parameter (``intervals`` for ``interval``, ``name`` on a list that
cannot filter) would otherwise leave its default in force without a word; a
``format`` no renderer takes would be DRF's 404, which reads as if the resource
were missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

FORMAT = api_settings.URL_FORMAT_OVERRIDE  # "format"
# The formats DRF's ``format`` override can name: each default renderer's.
FORMATS = tuple(renderer.format for renderer in api_settings.DEFAULT_RENDERER_CLASSES)
FORMAT_PARAMETER = OpenApiParameter(
    FORMAT,
    str,
    enum=list(FORMATS),
    description="The response's format: json, or api (the browsable API); "
    "JSON by default.",
)


def known_parameters(request, allowed: Sequence[str]) -> None:
    """400 naming the first query parameter not in ``allowed``, and listing those."""
    for name in request.query_params:
        if name not in allowed:
            raise ValidationError(
                {"detail": f"{name[:40]}: unknown parameter; use {', '.join(allowed)}"}
            )


class FormatChecked(DefaultContentNegotiation):
    """DRF's content negotiation, with a ``format`` no renderer of the view takes
    answered by a 400 naming it and the formats there are (DRF's is a 404)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(FORMAT)
        formats = [renderer.format for renderer in renderers]
        if wanted and wanted not in formats:
            raise ValidationError(
                {"detail": f"{FORMAT}: no format {wanted[:20]!r}; use "
                           f"{', '.join(formats)}"}
            )  # fmt: skip
        return super().select_renderer(request, renderers, format_suffix)


class PageNumbers(PageNumberPagination):
    """DRF's page numbers, with a ``page`` that is no page number (``abc``, ``0``,
    ``-1``) a 400 naming it; DRF's 404 "Invalid page." read as if the list were
    missing. A page past the last stays a 404, naming the parameter."""

    invalid_page_message = "page: {message}"

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw in (None, "") or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError(
                {"detail": f"{self.page_query_param}: {raw[:20]!r} is not a page "
                           "number; use 1, 2, ... or last"}
            )  # fmt: skip
        return int(raw)


class KnownQueryParameters:
    """A view whose reads take only ``query_parameters`` (its own filters), its
    paginator's and ``format``: any other on a GET is a 400 naming it (a misspelt
    or unsupported filter, ``?name=``, answered the whole list). Mixed in before
    the view class; runs in DRF's ``initial`` hook, after authentication and
    permissions."""

    query_parameters: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            paginator = getattr(self, "paginator", None)
            names = (
                *self.query_parameters,
                getattr(paginator, "page_query_param", None),
                getattr(paginator, "page_size_query_param", None),
                FORMAT,
            )
            known_parameters(request, [name for name in names if name])
