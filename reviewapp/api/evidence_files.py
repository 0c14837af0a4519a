"""Evidence files of a review: list, upload (multipart), read one's details, download its bytes, remove it.

The same service as the question page (services/evidence_files.py): an oversize or mistyped file is a 400 that
says why, and nothing is stored. Downloads are attachments with X-Content-Type-Options: nosniff."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from ..access import Action, get_evidence_file_for_user, get_review_for_user
from ..lib.downloads import attachment_response
from ..lib.filetypes import download_name
from ..models import EVIDENCE_TYPES
from ..selectors.evidence_files import evidence_files
from ..services.evidence_files import DESCRIPTION_MAX_LENGTH, evidence_file_attach, evidence_file_delete
from . import examples as ex
from .base import ApiRequest, ApiView


class EvidenceFileOut(serializers.Serializer):
    id = serializers.UUIDField()
    review = serializers.UUIDField(source="review_id")
    question_code = serializers.CharField()
    bp_code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=list(EVIDENCE_TYPES), help_text="The type its content was checked to be."
    )
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    description = serializers.CharField()
    valid_until = serializers.DateField(allow_null=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True, default=None)
    uploaded_at = serializers.DateTimeField()


class EvidenceFileIn(serializers.Serializer):
    bp_code = serializers.CharField(max_length=40, help_text="A best practice of the review's lens.")
    file = serializers.FileField(
        help_text="PDF, PNG, JPEG, TXT, CSV or JSON, at most EVIDENCE_FILE_MAX_BYTES."
    )
    valid_until = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)


class EvidenceFileQuery(serializers.Serializer):
    question = serializers.CharField(required=False, max_length=20, help_text="Only this question's files.")


FILE_EXAMPLE = {
    "id": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
    "review": ex.REVIEW_ID,
    "question_code": "SEC1",
    "bp_code": "SEC01-BP02",
    "name": "root-mfa-screenshot.png",
    "kind": "PNG",
    "size": 48213,
    "sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "description": "Root user MFA in the account settings",
    "valid_until": "2025-09-30",
    "uploaded_by": ex.USERNAME,
    "uploaded_at": ex.WHEN,
}


class EvidenceFileList(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="evidence_files_list",
        summary="A review's evidence files",
        parameters=[EvidenceFileQuery],
        responses=EvidenceFileOut(many=True),
        examples=[OpenApiExample("Files", value=FILE_EXAMPLE, response_only=True)],
        tags=["evidence files"],
    )
    def get(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id)
        query = self.query(EvidenceFileQuery)
        return self.paginated(evidence_files(review, question_code=query.get("question")), EvidenceFileOut)

    @extend_schema(
        operation_id="evidence_files_create",
        summary="Attach a file to a best practice of a review",
        request={"multipart/form-data": EvidenceFileIn},
        responses={
            201: EvidenceFileOut,
            400: OpenApiResponse(description="Oversize, mistyped or bad input."),
        },
        examples=[
            OpenApiExample(
                "A screenshot",
                value={
                    "bp_code": "SEC01-BP02",
                    "file": "root-mfa-screenshot.png",
                    "valid_until": "2025-09-30",
                    "description": "Root user MFA in the account settings",
                },
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample("Attached", value=FILE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["evidence files"],
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id, Action.EDIT)
        data = EvidenceFileIn(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = evidence_file_attach(
            review=review,
            bp_code=data.validated_data["bp_code"],
            upload=data.validated_data["file"],
            valid_until=data.validated_data.get("valid_until"),
            description=data.validated_data.get("description", ""),
            actor=request.user,
        )
        return Response(EvidenceFileOut(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceFileDetail(ApiView):
    @extend_schema(
        operation_id="evidence_files_retrieve",
        summary="One evidence file's details",
        responses=EvidenceFileOut,
        examples=[OpenApiExample("File", value=FILE_EXAMPLE, response_only=True)],
        tags=["evidence files"],
    )
    def get(self, request: ApiRequest, review_id, file_id) -> Response:
        evidence = get_evidence_file_for_user(request.user, file_id, review_id=review_id)
        return Response(EvidenceFileOut(evidence).data)

    @extend_schema(
        operation_id="evidence_files_delete",
        summary="Remove an evidence file (the audit trail keeps its name and SHA-256)",
        responses={204: None},
        tags=["evidence files"],
    )
    def delete(self, request: ApiRequest, review_id, file_id) -> Response:
        evidence = get_evidence_file_for_user(request.user, file_id, Action.EDIT, review_id=review_id)
        evidence_file_delete(evidence=evidence, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceFileContent(ApiView):
    @extend_schema(
        operation_id="evidence_files_download",
        summary="Download an evidence file's bytes (always as an attachment)",
        # The type the content was checked to be when it was attached (attachments.models.EVIDENCE_TYPES).
        responses={
            (200, media_type.split(";")[0]): OpenApiTypes.BINARY for media_type in EVIDENCE_TYPES.values()
        },
        examples=[
            OpenApiExample(
                "A JSON evidence file (an exported policy)",
                value={"Version": "2012-10-17", "Statement": []},
                media_type="application/json",
                response_only=True,
            )
        ],
        tags=["evidence files"],
    )
    def get(self, request: ApiRequest, review_id, file_id) -> FileResponse:
        evidence = get_evidence_file_for_user(request.user, file_id, review_id=review_id)
        return attachment_response(
            evidence.file.open("rb"), download_name(evidence.name, evidence.kind), evidence.content_type
        )
