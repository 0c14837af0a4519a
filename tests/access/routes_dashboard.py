"""Access table for the dashboard, "my items" and the plan export across workloads (views/dashboard.py)."""

from __future__ import annotations

from . import Route

ROUTES = {
    "dashboard": Route(scope="user"),
    "my_items": Route(scope="user"),
    # GET serves the file (or, above EXPORT_INLINE_MAX_ROWS, offers a background job); POST queues that job.
    "plan_export": Route(
        scope="user",
        kwargs=lambda world: {"fmt": "xlsx"},
        write="post",
        data=lambda world: {"environment": "PRODUCTION"},
    ),
}
