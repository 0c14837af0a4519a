"""Access table for the dashboard, "my items" and the plan export across workloads (views/dashboard.py)."""

from __future__ import annotations

from . import Route

ROUTES = {
    "dashboard": Route(scope="user"),
    "my_items": Route(scope="user"),
    "plan_export": Route(scope="user", kwargs=lambda world: {"fmt": "xlsx"}),
}
