"""Every write of the review domain: `<entity>_<verb>(*, ...)` functions that validate, save and audit."""

from ..acceptance.services import expire_risk_acceptances
from .answers import AnswerConflict, answer_record, answer_snapshot, items_sync, review_start
from .data_transfer import data_export, data_import
from .identity import (
    mfa_enrol,
    mfa_recovery_codes_regenerate,
    mfa_reset,
    mfa_verify,
    sessions_revoke_others,
    user_password_change,
)
from .lens_upgrade import review_upgrade
from .milestones import compare_snapshots, milestone_create, milestone_verify, review_snapshot
from .plan import item_update, items_bulk_update, send_item_reminders
from .tokens import api_token_create, api_token_mark_used, api_token_revoke
from .workloads import (
    membership_remove,
    membership_set,
    team_create,
    workload_create,
    workload_set_archived,
    workload_update,
)

__all__ = [
    "AnswerConflict",
    "answer_record",
    "answer_snapshot",
    "api_token_create",
    "api_token_mark_used",
    "api_token_revoke",
    "compare_snapshots",
    "data_export",
    "data_import",
    "expire_risk_acceptances",
    "item_update",
    "items_bulk_update",
    "items_sync",
    "milestone_create",
    "milestone_verify",
    "review_snapshot",
    "review_upgrade",
    "send_item_reminders",
    "membership_remove",
    "membership_set",
    "review_start",
    "team_create",
    "workload_create",
    "workload_set_archived",
    "workload_update",
    "mfa_enrol",
    "mfa_recovery_codes_regenerate",
    "mfa_reset",
    "mfa_verify",
    "sessions_revoke_others",
    "user_password_change",
]
