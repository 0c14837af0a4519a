"""Health endpoints: public, so load balancers and orchestrators can probe them without signing in."""

from __future__ import annotations

from . import Route

ROUTES = {
    "healthz": Route(scope="public"),
    "readyz": Route(scope="public", read_ok=(200, 503)),
}
