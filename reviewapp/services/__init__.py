"""Every write of the review domain: `<entity>_<verb>(*, ...)` functions that validate, save and audit."""

from .answers import AnswerConflict, answer_record, answer_snapshot, answer_state, items_sync, review_start
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
    "answer_state",
    "items_sync",
    "membership_remove",
    "membership_set",
    "review_start",
    "team_create",
    "workload_create",
    "workload_set_archived",
    "workload_update",
]
