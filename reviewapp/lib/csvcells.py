"""CSV cells that a spreadsheet will show as text, never run as a formula (CSV injection)."""

from __future__ import annotations

from typing import Any

# What Excel, LibreOffice and Google Sheets treat as the start of a formula or a command.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def safe_cell(value: Any) -> str:
    """The value as text; one that a spreadsheet would evaluate gets a leading apostrophe, which it displays
    as text. Numbers stay unquoted only when they are real numbers (a negative number stays readable)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class EchoBuffer:
    """A file-like object whose write() returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value
