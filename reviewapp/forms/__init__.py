"""Web forms, one module per area as in services/: they parse what people type and show errors; services do
the writes (see common.add_service_errors)."""

from __future__ import annotations

from .common import add_service_errors, find_user, owner_choices
from .dashboard import RISK_FILTER_CHOICES, DashboardFilterForm, dashboard_filter_form, describe_filters
from .milestones import MilestoneForm
from .plan import (
    LEVEL_CHOICES,
    AcceptRiskForm,
    BulkForm,
    DateInput,
    DecisionForm,
    ItemForm,
    PlanFilterForm,
    RevokeForm,
)
from .workloads import (
    AT_LEAST_3,
    MemberAddForm,
    MemberRoleForm,
    TeamForm,
    WebLinkField,
    WorkloadFilterForm,
    WorkloadForm,
)

__all__ = [
    "AT_LEAST_3",
    "AcceptRiskForm",
    "DecisionForm",
    "RevokeForm",
    "BulkForm",
    "DashboardFilterForm",
    "dashboard_filter_form",
    "describe_filters",
    "DateInput",
    "ItemForm",
    "LEVEL_CHOICES",
    "MemberAddForm",
    "MemberRoleForm",
    "MilestoneForm",
    "PlanFilterForm",
    "RISK_FILTER_CHOICES",
    "TeamForm",
    "WebLinkField",
    "WorkloadFilterForm",
    "WorkloadForm",
    "add_service_errors",
    "find_user",
    "owner_choices",
]
