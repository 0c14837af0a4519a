from __future__ import annotations

from . import Route

ROUTES = {
    "home": Route(scope="user", read_ok=(302,)),
    "login": Route(scope="public"),
    "logout": Route(scope="public", read=False, write="post", write_ok=(302,)),
}
