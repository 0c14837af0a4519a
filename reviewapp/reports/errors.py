"""Why a report could not be made, in words a person can act on (shown on the page, the API and the CLI)."""

from __future__ import annotations


class ReportError(Exception):
    """A report that cannot be produced; `message` is safe and useful to show to the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReportTooLarge(ReportError):
    """The review, or the file it would produce, is beyond the configured limits."""


class ReportTimeout(ReportError):
    """Rendering took longer than REPORT_RENDER_TIMEOUT."""


class ReportBusy(ReportError):
    """Every render slot of this process stayed busy for the whole timeout."""
