"""Improvement plan, milestones and lens upgrades: one module per page group, their URLs gathered here."""

from __future__ import annotations

from django.urls import path

from . import acceptances, exports, items, milestones, upgrade

urlpatterns = [
    path("workloads/<uuid:workload_id>/plan/", items.plan_page, name="workload_plan"),
    path("workloads/<uuid:workload_id>/plan/bulk/", items.bulk_update, name="plan_bulk"),
    path("workloads/<uuid:workload_id>/plan/items/<uuid:item_id>/", items.item_edit, name="plan_item_edit"),
    path(
        "workloads/<uuid:workload_id>/plan/items/<uuid:item_id>/accept/",
        acceptances.accept_risk,
        name="plan_item_accept",
    ),
    path(
        "workloads/<uuid:workload_id>/plan/items/<uuid:item_id>/acceptances/<uuid:acceptance_id>/decide/",
        acceptances.acceptance_decision,
        name="acceptance_decide",
    ),
    path(
        "workloads/<uuid:workload_id>/plan/items/<uuid:item_id>/acceptances/<uuid:acceptance_id>/revoke/",
        acceptances.acceptance_end,
        name="acceptance_revoke",
    ),
    path(
        "workloads/<uuid:workload_id>/plan.<str:fmt>",
        exports.workload_plan_export,
        name="workload_plan_export",
    ),
    path("workloads/<uuid:workload_id>/milestones/", milestones.milestone_list, name="milestone_list"),
    path("workloads/<uuid:workload_id>/milestones/new/", milestones.milestone_new, name="milestone_create"),
    path(
        "workloads/<uuid:workload_id>/milestones/compare/",
        milestones.milestone_compare,
        name="milestone_compare",
    ),
    path(
        "workloads/<uuid:workload_id>/milestones/<uuid:milestone_id>/",
        milestones.milestone_detail,
        name="milestone_detail",
    ),
    path("reviews/<uuid:review_id>/upgrade/", upgrade.upgrade_page, name="review_upgrade"),
]
