"""Scanner findings as evidence: upload a Prowler (OCSF JSON or CSV) or Security Hub CSPM (ASFF) file for a
workload, list its imports, read what each brought.

Through the same service as the web page (checks.imports.service), so an import is audited, refused whole
when malformed or for an account the workload is not connected to (400 naming the place or the account),
and never partly stored.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from checks.imports.parsers import FORMAT_IDS, FileTooLarge, ImportFileError
from checks.imports.service import Upload, evidence_import_create
from checks.models import EvidenceImport, FindingSource, FindingStatus, Severity
from checks.selectors import import_findings

from ..access import Action, get_evidence_import_for_user, get_workload_for_user
from . import examples as ex
from .base import ApiRequest, ApiView


class EvidenceImportOut(serializers.Serializer):
    id = serializers.UUIDField()
    workload = serializers.UUIDField(source="workload_id")
    # The output key "source" shadows DRF's Field.source attribute, for the type checker only.
    source = serializers.ChoiceField(choices=FindingSource.choices)  # type: ignore[assignment]
    file_format = serializers.ChoiceField(choices=FORMAT_IDS)
    file_name = serializers.CharField()
    file_size = serializers.IntegerField()
    accounts = serializers.ListField(child=serializers.CharField())
    imported_by = serializers.CharField(source="imported_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    total = serializers.IntegerField(help_text="Findings read from the file.")
    mapped = serializers.IntegerField(help_text="Findings that evidence at least one best practice.")
    unmapped = serializers.IntegerField(help_text="Findings kept but mapped to no best practice.")
    skipped = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Findings read but not evidence, by reason (muted, archived).",
    )


class EvidenceImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="The scanner's output file.")
    file_format = serializers.ChoiceField(
        choices=FORMAT_IDS, required=False, help_text="Leave out to recognise the format from the content."
    )


class ImportedFindingOut(serializers.Serializer):
    check_id = serializers.CharField(help_text="The scanner's check id or Security Hub control id.")
    title = serializers.CharField()
    # The output key "source" shadows DRF's Field.source attribute, for the type checker only.
    source = serializers.ChoiceField(choices=FindingSource.choices)  # type: ignore[assignment]
    best_practices = serializers.ListField(child=serializers.CharField(), source="bp_codes")
    status = serializers.ChoiceField(choices=FindingStatus.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    account_id = serializers.CharField()
    region = serializers.CharField()
    resource_arn = serializers.CharField()
    message = serializers.CharField()
    first_seen_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(
        help_text="After this the finding is stale and evidences nothing."
    )
    superseded = serializers.BooleanField(
        help_text="A newer import of the same source and account replaced it."
    )


class EvidenceImportErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    location = serializers.CharField(help_text="A JSON path or CSV line, when the problem has a place.")


class ImportedFindingsQuery(serializers.Serializer):
    unmapped = serializers.BooleanField(required=False, help_text="true: only findings no mapping covers.")


IMPORT_EXAMPLE = {
    "id": "0b8e1d4c-2f6a-4d8e-9c1b-5a7f3e2d1c0b",
    "workload": ex.WORKLOAD_ID,
    "source": "PROWLER",
    "file_format": "prowler-ocsf",
    "file_name": "prowler-output-111122223333.ocsf.json",
    "file_size": 1843210,
    "accounts": ["111122223333"],
    "imported_by": ex.USERNAME,
    "created_at": ex.WHEN,
    "total": 612,
    "mapped": 540,
    "unmapped": 60,
    "skipped": {"muted in Prowler": 12},
}
FINDING_EXAMPLE = {
    "check_id": "s3_bucket_secure_transport_policy",
    "title": "Ensure S3 buckets deny requests without TLS",
    "source": "PROWLER",
    "best_practices": ["SEC09-BP02"],
    "status": "FAIL",
    "severity": "MEDIUM",
    "account_id": "111122223333",
    "region": "eu-west-1",
    "resource_arn": "arn:aws:s3:::shop-assets",
    "message": "Bucket shop-assets does not deny requests without TLS.",
    "first_seen_at": ex.WHEN,
    "last_seen_at": ex.WHEN,
    "valid_until": ex.WHEN,
    "superseded": False,
}
REFUSED = OpenApiResponse(
    EvidenceImportErrorOut,
    description="The file was not imported and nothing was stored: malformed (with where), empty, or with "
    "findings of an account the workload is not connected to.",
    examples=[
        OpenApiExample(
            "Malformed", value={"detail": "The account id is missing.", "location": "$[12].cloud.account.uid"}
        ),
        OpenApiExample(
            "Unknown account",
            value={"detail": "The file has findings for account 444455556666, which ...", "location": ""},
        ),
    ],
)


def _refused(error: ImportFileError) -> Response:
    code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if isinstance(error, FileTooLarge) else 400
    return Response({"detail": error.message, "location": error.location}, status=code)


class ImportList(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="evidence_imports_list",
        summary="A workload's imports of scanner findings, newest first",
        responses=EvidenceImportOut(many=True),
        examples=[OpenApiExample("Imports", value=IMPORT_EXAMPLE, response_only=True)],
        tags=["evidence"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        imports = EvidenceImport.objects.filter(workload=workload).select_related("imported_by")
        return self.paginated(imports.order_by("-created_at", "pk"), EvidenceImportOut)

    @extend_schema(
        operation_id="evidence_imports_create",
        summary="Import a Prowler (OCSF JSON or CSV) or Security Hub CSPM (ASFF) file as evidence",
        request={"multipart/form-data": EvidenceImportIn},
        responses={201: EvidenceImportOut, 400: REFUSED, 413: REFUSED},
        examples=[
            OpenApiExample(
                "Prowler OCSF file",
                value={"file": "prowler-output.ocsf.json", "file_format": "prowler-ocsf"},
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample("Imported", value=IMPORT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["evidence"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
        data = EvidenceImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        try:
            result = evidence_import_create(
                workload=workload,
                actor=request.user,
                upload=Upload(file, file.name, file.size),
                file_format=data.validated_data.get("file_format"),
            )
        except ImportFileError as error:
            return _refused(error)
        return Response(
            EvidenceImportOut(get_evidence_import_for_user(request.user, result.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ImportDetail(ApiView):
    @extend_schema(
        operation_id="evidence_imports_retrieve",
        summary="What one import brought",
        responses=EvidenceImportOut,
        examples=[OpenApiExample("Import", value=IMPORT_EXAMPLE, response_only=True)],
        tags=["evidence"],
    )
    def get(self, request: ApiRequest, import_id) -> Response:
        return Response(EvidenceImportOut(get_evidence_import_for_user(request.user, import_id)).data)


class ImportFindings(ApiView):
    @extend_schema(
        operation_id="evidence_imports_findings",
        summary="The findings of one import, problems first",
        parameters=[ImportedFindingsQuery],
        responses=ImportedFindingOut(many=True),
        examples=[OpenApiExample("Findings", value=FINDING_EXAMPLE, response_only=True)],
        tags=["evidence"],
    )
    def get(self, request: ApiRequest, import_id) -> Response:
        evidence_import = get_evidence_import_for_user(request.user, import_id)
        query = self.query(ImportedFindingsQuery)
        findings = import_findings(evidence_import, unmapped=query.get("unmapped"))
        return self.paginated(
            findings.order_by("status", "check_id", "resource_arn", "pk"), ImportedFindingOut
        )
