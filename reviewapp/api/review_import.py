"""Import a review JSON document (the format GET /api/v1/reviews/<id>/export.json and the web export write,
docs/review-json-schema.md) as a new workload of a team: the same import as the web page, all or nothing."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import Action, get_team_for_user
from ..reports.json_reader import ReviewImportError
from ..reports.review_json import import_review_json
from . import examples as ex
from .base import ApiRequest, ApiView


class ImportQuery(serializers.Serializer):
    name = serializers.CharField(
        required=False,
        max_length=100,
        help_text="The new workload's name instead of the one in the document.",
    )


class ImportOut(serializers.Serializer):
    workload = serializers.UUIDField(source="review.workload_id")
    review = serializers.UUIDField(source="review.pk")
    answers = serializers.IntegerField(help_text="Answers recorded.")
    items = serializers.IntegerField(help_text="Improvement items whose tracking was carried over.")
    warnings = serializers.ListField(child=serializers.CharField())


class ImportRefusedOut(serializers.Serializer):
    detail = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField(), help_text="Each with its JSON path.")


class ReviewImport(ApiView):
    @extend_schema(
        operation_id="team_review_import",
        summary="Import a review JSON document as a new workload of the team",
        description="The body is the document itself. Needs the right to create workloads in the team (its "
        "owners and contributors, administrators). Every problem is listed with its JSON path, and nothing is "
        "written unless everything imports. Accepted risks arrive as pending requests for an approver.",
        parameters=[ImportQuery, OpenApiParameter("team_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=OpenApiTypes.OBJECT,
        responses={201: ImportOut, 400: ImportRefusedOut},
        examples=[
            OpenApiExample(
                "A review document (abridged; see docs/review-json-schema.md)",
                value={
                    "format": "wa-security-review/1",
                    "workload": {
                        "name": "Checkout API",
                        "description": "Takes card payments for the web shop.",
                        "environment": "PRODUCTION",
                        "review_owner": "olivia@example.com",
                        "aws_regions": ["eu-west-1"],
                    },
                    "lens": {"slug": "wellarchitected-security", "version": 1},
                    "answers": [{"question": "SEC3", "selected": ["SEC03-BP01", "SEC03-BP02"]}],
                    "improvement_items": [
                        {"bp_code": "SEC03-BP03", "status": "IN_PROGRESS", "due_date": "2025-09-30"}
                    ],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Imported",
                value={
                    "workload": ex.WORKLOAD_ID,
                    "review": ex.REVIEW_ID,
                    "answers": 10,
                    "items": 2,
                    "warnings": [],
                },
                response_only=True,
            ),
        ],
        tags=["reviews"],
    )
    def post(self, request: ApiRequest, team_id) -> Response:
        team = get_team_for_user(request.user, team_id, Action.EDIT)
        query = self.query(ImportQuery)
        try:
            result = import_review_json(request.data, team, request.user, name=query.get("name"))
        except ReviewImportError as error:
            body = {
                "detail": "The document cannot be imported: nothing was written.",
                "problems": [str(problem) for problem in error.problems],
            }
            return Response(ImportRefusedOut(body).data, status=status.HTTP_400_BAD_REQUEST)
        return Response(ImportOut(result).data, status=status.HTTP_201_CREATED)
