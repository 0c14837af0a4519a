"""Which embedded font draws each character of a PDF: the proof that a script printed as letters, not boxes.

A character drawn with a font's glyph 0 (.notdef, the empty box) or by no embedded font at all is missing.
WeasyPrint writes CID fonts (Identity-H) with a ToUnicode map from glyph ids to text; we read that map.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

_HEX = re.compile(r"<([0-9A-Fa-f]+)>")


def _text(hex_digits: str) -> str:
    return bytes.fromhex(hex_digits).decode("utf-16-be", errors="replace")


def _to_unicode(cmap: str) -> dict[int, str]:
    glyphs: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        codes = _HEX.findall(block)
        for source, target in zip(codes[::2], codes[1::2], strict=True):
            glyphs[int(source, 16)] = _text(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for line in block.strip().splitlines():
            codes = _HEX.findall(line)
            if len(codes) == 3:
                start, end, first = int(codes[0], 16), int(codes[1], 16), _text(codes[2])
                for offset in range(end - start + 1):
                    glyphs[start + offset] = first[:-1] + chr(ord(first[-1]) + offset)
    return glyphs


def embedded_fonts(pdf: bytes) -> dict[str, dict[int, str]]:
    """{font name: {glyph id: text}} for every font embedded in the PDF (the subset prefix removed)."""
    fonts: dict[str, dict[int, str]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                continue  # not embedded: the reader would substitute whatever it has
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            if "/ToUnicode" in font:
                cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
                fonts.setdefault(name, {}).update(_to_unicode(cmap))
    return fonts


def fonts_drawing(pdf: bytes, characters: str) -> dict[str, str]:
    """{character: name of the embedded font that draws it with a real glyph}; missing ones are left out."""
    found: dict[str, str] = {}
    for name, glyphs in embedded_fonts(pdf).items():
        for glyph, text in glyphs.items():
            if glyph != 0 and text in characters:
                found.setdefault(text, name)
    return found
