"""What every API view shares: authentication outside the login middleware, paging, filters and ordering."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import User
from .pagination import PageNumberPagination
from .schema import ApiAutoSchema

if TYPE_CHECKING:

    class ApiRequest(Request):
        """What an API view receives: the authentication classes and IsAuthenticated (settings.REST_FRAMEWORK)
        answer anonymous callers 401 before any view runs, so `user` is always a signed-in User."""

        @property
        def user(self) -> User: ...
        @user.setter
        def user(self, value: User) -> None: ...

else:
    ApiRequest = Request


class ApiView(APIView):
    pagination_class: type[BasePagination] = PageNumberPagination
    schema = ApiAutoSchema()

    @classmethod
    def as_view(cls, **initkwargs):
        # DRF authenticates (token or session) and answers anonymous callers 401; the login middleware would
        # instead redirect API clients to the HTML sign-in page.
        return login_not_required(super().as_view(**initkwargs))

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The request's query parameters, validated by `serializer_class` (unknown ones are ignored)."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(
        self,
        queryset: QuerySet | list,
        serializer_class: type[serializers.Serializer],
        fetch: Callable[[Any], list[Any]] | None = None,
        **context: Any,
    ) -> Response:
        """One page of `queryset`, serialized; `fetch` builds the rows of that page only (e.g. plan_rows)."""
        paginator = self.pagination_class()
        if (
            fetch is not None
            and isinstance(queryset, QuerySet)
            and isinstance(paginator, PageNumberPagination)
        ):
            size = paginator.get_page_size(self.request) or PageNumberPagination.page_size
            number = self.request.query_params.get(paginator.page_query_param) or 1
            page_obj = paginator.django_paginator_class(queryset, size).get_page(number)
            paginator.page, paginator.request = page_obj, self.request
            page: Any = fetch(page_obj.object_list)
        else:
            page = paginator.paginate_queryset(queryset, self.request, view=self)  # type: ignore[arg-type]  # a list pages as well
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return paginator.get_paginated_response(data)


def ordering_field(choices: list[str], default: str, help_text: str = "") -> serializers.ChoiceField:
    """An `ordering` parameter limited to `choices`, each also allowed descending with a leading "-"."""
    allowed = [value for choice in choices for value in (choice, f"-{choice}")]
    return serializers.ChoiceField(
        choices=allowed,
        default=default,
        required=False,
        help_text=help_text or f"Sort by one of: {', '.join(choices)}; prefix with - for descending.",
    )
