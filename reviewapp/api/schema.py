"""OpenAPI details shared by every operation: the error responses each endpoint can give, with examples."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from questionnaire.rating import Risk


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")


def _error(description: str, example: dict, name: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=ErrorOut, description=description, examples=[OpenApiExample(name, value=example)]
    )


ERROR_RESPONSES: dict[str, OpenApiResponse] = {
    "400": OpenApiResponse(
        response={
            "type": "object",
            "description": "Field name (or non_field_errors) mapped to its messages.",
            "additionalProperties": {},
        },
        description="The request was not valid; nothing was changed.",
        examples=[
            OpenApiExample(
                "Invalid field",
                value={
                    "name": ["This field may not be blank."],
                    "environment": ['"TEST" is not a valid choice.'],
                },
            )
        ],
    ),
    "401": _error(
        "No valid credentials: send `Authorization: Bearer <token>`, or sign in.",
        {"detail": "The token has expired."},
        "Expired token",
    ),
    "403": _error(
        "Signed in, but your role (or a read-only token) does not allow this.",
        {"detail": "Your role does not allow you to edit here."},
        "Not allowed",
    ),
    "404": _error("No such object, or you may not see it.", {"detail": "No such workload"}, "Not found"),
    "429": _error(
        "Too many requests; retry after the number of seconds in Retry-After.",
        {"detail": "Request was throttled. Expected available in 12 seconds."},
        "Throttled",
    ),
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every operation can give, so clients (and schema checks) know them all."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def get_serializer_name(self, serializer, direction):
        # Our serializers are named for their direction (WorkloadOut, WorkloadCreateIn); the schema already
        # says which is which (inputs get a "Request" suffix), so the component names drop ours.
        name = super().get_serializer_name(serializer, direction)
        for suffix in ("Out", "In"):
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name


# The question risks as a choice list, so every field that carries one shares the schema name "RiskEnum".
RISK_CHOICES = [risk.value for risk in Risk]
