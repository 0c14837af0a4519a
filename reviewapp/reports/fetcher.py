"""The only way a PDF render may load anything: our own static files, and small images we inline ourselves.

WeasyPrint fetches every URL a document mentions (stylesheets, images, fonts, SVG references) through its URL
fetcher. The default one speaks http(s), ftp, file and data, so a report template or an SVG that mentioned the
wrong URL could read local files or make the server call the network. This fetcher serves files found by
Django's staticfiles finders under one fixed prefix and refuses everything else; every URL it is asked for is
recorded, so tests can prove that user text never reaches it.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The documents' base URL. `.invalid` can never resolve (RFC 2606), so even a fetcher bug cannot reach a host;
# the report template writes its static URLs under STATIC_PREFIX instead of {% static %}, because hashed
# manifest names exist only after collectstatic while the finders read the source files.
BASE_URL = "https://report.invalid/"
STATIC_PREFIX = f"{BASE_URL}static/"

# What a report may embed, by extension; anything else under static/ (JS, source maps...) is refused.
ALLOWED_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
MAX_STATIC_BYTES = 5 * 1024 * 1024
# data: URLs only for images the report code generates itself (charts, badges): small, and only these types.
DATA_TYPES = frozenset({"image/svg+xml", "image/png"})
MAX_DATA_BYTES = 256 * 1024


class FetchRefused(ValueError):
    """A URL outside what reports may load. WeasyPrint logs it and leaves the resource out."""


def _static_roots() -> list[Path]:
    roots = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    return roots


def static_path(url: str) -> Path:
    """The file a STATIC_PREFIX URL names, or FetchRefused. No traversal, no symlink out of a static root."""
    parts = urlsplit(url)
    relative = unquote(parts.path.removeprefix(urlsplit(STATIC_PREFIX).path))
    if parts.query or "\\" in relative or "\x00" in relative or relative.startswith("/") or not relative:
        raise FetchRefused(f"not a plain static file path: {url!r}")
    segments = relative.split("/")
    if any(segment in ("", ".", "..") for segment in segments) or posixpath.normpath(relative) != relative:
        raise FetchRefused(f"path traversal refused: {url!r}")
    suffix = Path(relative).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        raise FetchRefused(f"file type not allowed in reports: {url!r}")
    found = finders.find(relative)
    if not found:
        raise FetchRefused(f"no such static file: {url!r}")
    path = Path(found).resolve()
    if not any(path.is_relative_to(root) for root in _static_roots()):
        raise FetchRefused(f"static file resolves outside the static directories: {url!r}")
    if not path.is_file() or path.stat().st_size > MAX_STATIC_BYTES:
        raise FetchRefused(f"not a regular file of at most {MAX_STATIC_BYTES} bytes: {url!r}")
    return path


def data_image(url: str) -> tuple[str, bytes]:
    """(media type, bytes) of a small data: image we may embed, or FetchRefused."""
    header, comma, payload = url.partition(",")
    if not comma:
        raise FetchRefused("malformed data: URL")
    params = header.removeprefix("data:").split(";")
    media_type = params[0].strip().lower()
    if media_type not in DATA_TYPES:
        raise FetchRefused(f"data: URLs of type {media_type or 'text/plain'!r} are not allowed")
    if len(payload) > MAX_DATA_BYTES * 2:
        raise FetchRefused("data: URL too large")
    try:
        body = (
            base64.b64decode(payload, validate=True) if "base64" in params[1:] else unquote_to_bytes(payload)
        )
    except ValueError as exc:
        raise FetchRefused("malformed data: URL") from exc
    if len(body) > MAX_DATA_BYTES:
        raise FetchRefused("data: URL too large")
    return media_type, body


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that never touches the network or a path outside our static files."""

    def __init__(self) -> None:
        # No protocol allowed and no redirects: should anything reach the parent's opener, it refuses too.
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        try:
            if url.startswith("data:"):
                media_type, body = data_image(url)
                return URLFetcherResponse(url, body, {"Content-Type": media_type})
            if not url.startswith(STATIC_PREFIX):
                raise FetchRefused(f"only the report's own static files may be loaded, not {url[:200]!r}")
            path = static_path(url)
            guessed = ALLOWED_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
            body = path.read_bytes()  # size checked by static_path
            return URLFetcherResponse(url, body, {"Content-Type": guessed or "application/octet-stream"})
        except FetchRefused:
            self.refused.append(url)
            logger.warning("report render refused to load %s", url[:200])
            raise

    # The parent's `open` would bypass `fetch` for Request objects; route everything through the checks.
    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))


__all__ = ["BASE_URL", "STATIC_PREFIX", "FetchRefused", "StaticOnlyFetcher"]
