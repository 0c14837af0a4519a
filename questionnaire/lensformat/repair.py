"""The repairs the reader makes to published lenses, each one with a single clear meaning.

* Text: surrounding whitespace is trimmed; `NaN` / `Infinity` (which Python's JSON reader accepts where a
  string should be) count as missing.
* URLs: anything a browser's address bar would open is accepted and written the way the browser would send it
  (the WHATWG URL standard, through `ada_url`): spaces and non-ASCII characters percent-encoded, backslashes
  read as slashes, an international domain name in its ASCII form, and `https://` put in front of a bare
  `docs.aws.amazon.com/...`. A URL no browser would open as a web page (`javascript:`, `ftp:`, junk) is left
  out; the text it belonged to stays.
* A question without a `default` rule gets one: see `implied_default` and docs/lenses.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ada_url import URL
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from ..models import RuleRisk
from .spec import MAX_URL

# A bare host such as "docs.aws.amazon.com/..." (a dot, a letter-only top-level label) is a web address
# without its scheme; anything else without a scheme is not a URL we can guess.
_BARE_HOST = re.compile(r"^(?:[\w-]+\.)+[A-Za-z]{2,63}(?::\d+)?(?:[/?#]|$)")
_SCHEMES = ("http:", "https:")
_VALID = URLValidator(schemes=["http", "https"])
# Most severe first: the implied default is the first risk no rule of the question names.
_SEVERITY = (RuleRisk.HIGH, RuleRisk.MEDIUM, RuleRisk.NONE)


def is_missing_number(value: Any) -> bool:
    """NaN or an infinity: what a JSON writer leaves where a value was missing."""
    return isinstance(value, float) and not math.isfinite(value)


@dataclass(frozen=True)
class UrlRepair:
    url: str  # "" when the URL cannot be used
    note: str  # what was changed or why it was left out; "" when the URL was fine as written


def repair_url(raw: str) -> UrlRepair:
    """`raw` as an http(s) URL a browser would request, or "" with the reason it is left out.

    A URL that is already valid is kept exactly as written (apart from surrounding whitespace).
    """
    text = raw.strip()
    trimmed = "surrounding whitespace removed" if text != raw else ""
    try:
        _VALID(text)
    except ValidationError:
        pass
    else:
        return UrlRepair(text, trimmed)
    candidate = text
    if not candidate.lower().startswith(_SCHEMES) and _BARE_HOST.match(candidate):
        candidate = "https://" + candidate
    try:
        parsed = URL(candidate)
    except ValueError:
        return UrlRepair("", f"{_short(raw)} is not a web address a browser would open; the link is left out")
    if parsed.protocol not in _SCHEMES or not parsed.hostname:
        return UrlRepair("", f"{_short(raw)} is not an http:// or https:// link; the link is left out")
    url = parsed.href
    if len(url) > MAX_URL:
        return UrlRepair(
            "", f"the link is {len(url)} characters once encoded; the limit is {MAX_URL}; left out"
        )
    return UrlRepair(url, f"written as a browser sends it: {url!r}")


def implied_default(named: set[str]) -> str:
    """The risk of the `default` rule a question lacks: the most severe risk none of its rules names.

    A lens that lists when a question is at medium and no risk has said what high risk is: everything else.
    When every risk is named (or none is), an answer no rule covers is rated HIGH: this app never reports
    "no risk" that the lens does not state.
    """
    for risk in _SEVERITY:
        if risk not in named:
            return risk
    return RuleRisk.HIGH


def _short(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
