"""What a file is, read from its bytes: the evidence-file types (PDF, PNG, JPEG, TXT, CSV, JSON).

The name a file arrives with says nothing we trust. Binary types are known by their signature; text types must
be UTF-8 without control characters, and JSON and CSV must parse as such. The name's extension only chooses
between the readings of one content (a valid JSON file may be named .txt), and must not claim another type.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import PurePath

# Extension (lower case) -> the type a file with that name must be.
EXTENSIONS = {
    ".pdf": "PDF",
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".txt": "TXT",
    ".log": "TXT",
    ".md": "TXT",
    ".csv": "CSV",
    ".json": "JSON",
}
_SIGNATURES = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
)
_TEXT_CONTROL_OK = {"\t", "\n", "\r", "\f"}
# Enough of a file to find a signature or decide it is not text.
SNIFF_BYTES = 8192


class UnsupportedFile(ValueError):
    """The content is none of the accepted types, or not the type its name claims; the message says which."""


def _binary_kind(head: bytes) -> str | None:
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _text(chunks: Iterable[bytes]) -> str:
    try:
        text = b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedFile(
            "This file is not a PDF, PNG or JPEG, nor UTF-8 text (TXT, CSV or JSON)."
        ) from None
    if any(char < " " and char not in _TEXT_CONTROL_OK for char in text):
        raise UnsupportedFile(
            "This file holds binary data: it is not a PDF, PNG, JPEG, TXT, CSV or JSON file."
        )
    return text


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _is_csv(text: str) -> bool:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # A table: at least one row with two or more columns, and no ragged rows beyond the header's width.
    widths = {len(row) for row in rows if row}
    return bool(widths) and max(widths) >= 2


def detect_kind(name: str, chunks: Iterable[bytes]) -> str:
    """The evidence type of the file `name` whose content `chunks` yields, or UnsupportedFile with a reason."""
    chunks = iter(chunks)
    head = next(chunks, b"")
    claimed = EXTENSIONS.get(PurePath(name).suffix.lower())
    kind = _binary_kind(head)
    if kind is None:
        text = _text([head, *chunks])
        if claimed == "JSON" or (claimed is None and _is_json(text)):
            if not _is_json(text):
                raise UnsupportedFile("This file is named .json but its content is not valid JSON.")
            kind = "JSON"
        elif claimed == "CSV":
            if not _is_csv(text):
                raise UnsupportedFile(
                    "This file is named .csv but its content is not a comma-separated table."
                )
            kind = "CSV"
        else:
            kind = "TXT"
    if claimed is not None and claimed != kind:
        raise UnsupportedFile(
            f"This file is named {PurePath(name).suffix} but its content is {_label(kind)}."
        )
    return kind


def download_name(name: str, kind: str) -> str:
    """`name`, with an extension of `kind` added when its own is not one: a .html saved as text downloads as
    .html.txt, so no program opens it as a web page."""
    if EXTENSIONS.get(PurePath(name).suffix.lower()) == kind:
        return name
    return f"{name}.{'jpg' if kind == 'JPEG' else kind.lower()}"


def _label(kind: str) -> str:
    return {"TXT": "plain text", "JSON": "JSON", "CSV": "CSV"}.get(kind, f"a {kind} file")
