"""The API's JSON parser: DRF's, with JSON nested too deeply for Python's decoder
answered as the 400 any other malformed body gets, instead of a 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Python's decoder recurses once per level (about a thousand at most).
            raise ParseError("JSON parse error - nested too deeply") from None
