"""Evidence routes: per-workload evidence pages, connected accounts, runs, imports and the check coverage."""

from __future__ import annotations

from django.urls import path

from . import import_views, views

urlpatterns = [
    path("workloads/<uuid:workload_id>/evidence/", views.evidence_home, name="evidence_home"),
    path(
        "workloads/<uuid:workload_id>/evidence/schedule/", views.evidence_schedule, name="evidence_schedule"
    ),
    path("workloads/<uuid:workload_id>/evidence/collect/", views.run_start, name="run_start"),
    path("workloads/<uuid:workload_id>/evidence/bp/<str:bp_code>/", views.evidence_bp, name="evidence_bp"),
    path("workloads/<uuid:workload_id>/evidence/accounts/new/", views.target_add, name="target_add"),
    path(
        "workloads/<uuid:workload_id>/evidence/accounts/<uuid:target_id>/",
        views.target_detail,
        name="target_detail",
    ),
    path(
        "workloads/<uuid:workload_id>/evidence/accounts/<uuid:target_id>/role-template.yaml",
        views.target_template,
        name="target_template",
    ),
    path(
        "workloads/<uuid:workload_id>/evidence/accounts/<uuid:target_id>/test/",
        views.target_test,
        name="target_test",
    ),
    path(
        "workloads/<uuid:workload_id>/evidence/accounts/<uuid:target_id>/remove/",
        views.target_remove,
        name="target_remove",
    ),
    path("evidence/runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("evidence/runs/<uuid:run_id>/progress/", views.run_progress, name="run_progress"),
    path("evidence/runs/<uuid:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("evidence/coverage/", views.evidence_coverage, name="evidence_coverage"),
    path(
        "workloads/<uuid:workload_id>/evidence/import/", import_views.evidence_import, name="evidence_import"
    ),
    path(
        "evidence/imports/<uuid:import_id>/",
        import_views.evidence_import_detail,
        name="evidence_import_detail",
    ),
]
