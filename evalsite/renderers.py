"""The REST API's JSON renderer: DRF's, for every body a client may make it echo."""

from rest_framework import renderers


class _ASCIIJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer (UTF-8). JSON may carry a lone surrogate (``"\\ud800"``)
    that UTF-8 cannot: a 400 echoing such a name or value (``"\\ud800" is not a
    valid choice.``) failed to render, a 500. Such a body is written with ASCII
    escapes instead, the same JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _ASCIIJSONRenderer().render(
                data, accepted_media_type, renderer_context
            )
