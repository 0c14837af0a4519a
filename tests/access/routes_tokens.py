"""Access table for the API token pages (reviewapp/views/tokens.py): users manage only their own tokens."""

from __future__ import annotations

from . import Route, World


def prepare(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from reviewapp.services.tokens import api_token_create

    token, _ = api_token_create(
        user=world.owner, name="Access test", expires_at=timezone.now() + timedelta(days=7)
    )
    world.extra["api_token"] = token


ROUTES = {
    "token_list": Route(scope="user"),
    "token_create": Route(scope="user", write="post", data=lambda world: {"name": "CI", "days": "30"}),
    # Scoped like an object: the token belongs to the owner, so anyone else gets 404.
    "token_revoke": Route(
        scope="object",
        kwargs=lambda world: {"token_id": world.api_token.pk},
        read=False,
        write="post",
        only_its_owner=True,
    ),
}
