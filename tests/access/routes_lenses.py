"""Access table for the custom-lens import page (reviewapp/views/lenses.py): organisation administrators only."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from . import Route


def _upload(world) -> dict:
    from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT

    document = json.loads(json.dumps(CUSTOM_LENS_DOCUMENT))
    document["name"] = "Access page lens"
    return {"file": SimpleUploadedFile("lens.json", json.dumps(document).encode(), "application/json")}


ROUTES = {
    # The owner's "write" is an upload that is previewed: 200, nothing stored until confirmed.
    "lens_import": Route(scope="admin", write="post", data=_upload, write_ok=(200,)),
}
