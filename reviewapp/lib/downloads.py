"""Files people uploaded, sent back: always a download, never something the browser renders or sniffs."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse


def attachment_response(content: IO[bytes], filename: str, content_type: str) -> FileResponse:
    response = FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, it runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
