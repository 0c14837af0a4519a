"""Optimistic concurrency over HTTP: an object's version is its ETag, and a change names the version it was
based on in If-Match (RFC 9110). Answers and improvement items share these rules."""

from __future__ import annotations

import re

_ETAG = re.compile(r'^"(\d{1,10})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def etag_list(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def if_match_versions(if_match: str) -> list[int]:
    """The versions If-Match names; only strong ETags count (a weak one never matches, as RFC 9110 says)."""
    return [int(match.group(1)) for tag in etag_list(if_match) if (match := _ETAG.match(tag))]


def if_match_missing(if_match: str) -> bool:
    """True when the caller did not say what it based its change on ("*" says nothing about a version)."""
    return not if_match.strip() or if_match.strip() == "*"
