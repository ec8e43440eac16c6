"""The API's JSON parser: DRF's, with a clear 400 for a body nested too deeply for Python's
json module (`[[[[...` 5,000 deep raised RecursionError, a 500, on every JSON endpoint)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
