"""The API's JSON parser: refuses documents nested deeper than any of ours go, before decoding them.

Python's decoder recurses once per level, so `[` x 100,000 would end in RecursionError (a 500). Counting the
brackets outside strings first costs one pass over the body and answers 400 with the reason instead.
"""

from __future__ import annotations

import io
import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Our deepest documents (review JSON, lens files) stay under 12 levels; 64 leaves room for any client's extras.
MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def nesting_depth(body: bytes, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `body`, counting no further than `limit` + 1."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read() if stream is not None else b""
        if nesting_depth(body) > MAX_DEPTH:
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_DEPTH} levels; send a flatter document."
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)
