"""Paging for the API: page numbers (50 rows by default, `page_size` up to 200) for lists that stay small, and
keyset cursors for lists that grow with the organisation (improvement items across workloads, evidence
findings): a page then costs the same whether it is the first or the ten-thousandth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@dataclass(frozen=True)
class Key:
    """One column of a keyset ordering: a field or annotation, and its direction. The last key must be unique
    (the primary key) so every row has exactly one place."""

    name: str
    descending: bool = False


CURSOR_SALT = "reviewapp.api.cursor"


class KeysetPagination(pagination.BasePagination):
    """`?cursor=` pages through a queryset ordered by `keys`: each page asks the database for the rows after the
    last one it showed (an index range, not an OFFSET), so deep pages cost what the first one does. The cursor
    is signed: a client cannot forge one, and a damaged one gets a 400."""

    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        self.next_cursor: str | None = None
        self.request: Request | None = None

    def page(
        self,
        queryset: QuerySet,
        keys: Sequence[Key],
        request: Request,
        fetch: Callable[[QuerySet], list[Any]] = list,
        instance: Callable[[Any], Any] = lambda row: row,
    ) -> list[Any]:
        """One page of `queryset` (already filtered) in `keys` order; `fetch` turns the page's slice into rows
        (e.g. selectors.plan_rows) and `instance` finds a row's model instance for the next cursor."""
        self.request = request
        size = self._page_size(request)
        ordered = queryset.order_by(*(f"-{key.name}" if key.descending else key.name for key in keys))
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            ordered = ordered.filter(_after(keys, self._decode(cursor, len(keys))))
        rows = fetch(ordered[: size + 1])
        if len(rows) > size:
            rows = rows[:size]
            last = instance(rows[-1])
            self.next_cursor = signing.dumps(
                [_plain(getattr(last, key.name)) for key in keys], salt=CURSOR_SALT, compress=True
            )
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self._next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page (same filters, a `cursor`), or null on the last page.",
                    "example": "https://reviews.example.com/api/v1/improvement-items/?cursor=eyJhIjoxfQ",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the `next` link of the page before carries it.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, up to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer"},
            },
        ]

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({self.page_size_query_param: "A whole number, please."}) from None
        if size < 1:
            raise ValidationError({self.page_size_query_param: "At least 1."})
        return min(size, self.max_page_size)

    def _decode(self, cursor: str, length: int) -> list[Any]:
        try:
            values = signing.loads(cursor, salt=CURSOR_SALT)
        except signing.BadSignature:
            raise ValidationError({self.cursor_query_param: "This cursor is not one we gave out."}) from None
        if not isinstance(values, list) or len(values) != length:
            raise ValidationError({self.cursor_query_param: "This cursor belongs to another ordering."})
        return values

    def _next_link(self) -> str | None:
        if self.next_cursor is None or self.request is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)


def _plain(value: Any) -> Any:
    """A key's value as JSON keeps it: numbers and text as they are, dates, times and ids as text."""
    if value is None or isinstance(value, int | str | float | bool):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    """Rows that come after `values` in `keys` order: equal on the first keys and beyond on the next one.
    A null sorts only with nulls here (callers order nulls into their own group with a key before)."""
    after = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        if value is not None:
            after |= equal & Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
            equal &= Q(**{key.name: value})
        else:
            equal &= Q(**{f"{key.name}__isnull": True})
    return after
