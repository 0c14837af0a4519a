"""AWS custom-lens JSON (schemaVersion "2021-11-01") to and from the neutral `LensDoc`.

spec.py holds the format's facts and the problem/warning types, repair.py the repairs made to published lenses,
reader.py the import, preview.py what an upload would import, writer.py the export.

Our review model always offers "None of these" under the fixed id `<questionId>_no` (reviewapp.risk), so an
imported `_no` choice is not stored as a best practice: conditions that name it are rewritten to that id, and
every exported question gets that choice back.
"""

from __future__ import annotations

from .preview import lens_preview
from .reader import LensRead, custom_lens_problems, parse_custom_lens, read_custom_lens
from .spec import (
    MAX_FILE_CHARS,
    SCHEMA_VERSION,
    LensExportError,
    LensFormatError,
    LensWarning,
    Problem,
)
from .writer import export_custom_lens

__all__ = [
    "MAX_FILE_CHARS",
    "SCHEMA_VERSION",
    "LensExportError",
    "LensFormatError",
    "LensRead",
    "LensWarning",
    "Problem",
    "custom_lens_problems",
    "export_custom_lens",
    "lens_preview",
    "parse_custom_lens",
    "read_custom_lens",
]
