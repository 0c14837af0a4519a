"""Access table for evidence files (reviewapp/views/evidence_files.py, reviewapp/api/evidence_files.py): reading
and downloading need VIEW, attaching and removing EDIT. prepare() attaches one text file to the world's review."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from . import Route, World


def prepare(world: World) -> None:
    from reviewapp.services.evidence_files import evidence_file_attach

    world.extra["evidence_file"] = evidence_file_attach(
        review=world.review,
        bp_code="SEC01-BP01",
        upload=SimpleUploadedFile("accounts.txt", b"Workloads are split across three accounts.\n"),
        actor=world.owner,
    )


def _question(world: World) -> dict:
    return {"review_id": world.review.pk, "question_code": "SEC1"}


def _file(world: World) -> dict:
    return {"review_id": world.review.pk, "file_id": world.evidence_file.pk}


def _upload(world: World) -> dict:
    return {"bp_code": "SEC01-BP02", "file": SimpleUploadedFile("notes.txt", b"Access test evidence.\n")}


ROUTES = {
    "review_question_files": Route(scope="object", kwargs=_question, write="post", data=_upload),
    "evidence_file_download": Route(scope="object", kwargs=_file),
    "evidence_file_delete": Route(scope="object", kwargs=_file, read=False, write="post"),
    "api_evidence_file_list": Route(
        scope="object",
        api=True,
        kwargs=lambda world: {"review_id": world.review.pk},
        write="post",
        data=_upload,
        write_ok=(201,),
    ),
    "api_evidence_file_detail": Route(
        scope="object", api=True, kwargs=_file, write="delete", write_ok=(204,)
    ),
    "api_evidence_file_content": Route(scope="object", api=True, kwargs=_file),
}
