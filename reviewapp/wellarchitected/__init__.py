"""Round trips with the AWS Well-Architected Tool: link a review to a workload there (or create it), import
its Security pillar answers, and export ours back after a dry run the person confirms.

tool.py: which workload, through which role, retried calls. mapping.py: questions and choices on both sides.
linking.py: link, create, lens-version check and upgrade. importing.py and exporting.py: the two directions.
"""

from __future__ import annotations

from .exporting import (
    MILESTONE_NAME_MAX,
    ExportPlan,
    ExportPlanChanged,
    ExportReport,
    QuestionPlan,
    export_plan,
    wa_export,
)
from .importing import ImportReport, wa_import
from .linking import (
    LensVersionMismatch,
    create_params,
    lens_check,
    lens_upgrade,
    linked_workload,
    wa_create,
    wa_link,
)
from .tool import (
    LENS_ALIAS,
    PAGE_SIZE,
    PILLAR_ID,
    ToolWorkload,
    WaToolError,
    milestone_token,
    parse_workload_arn,
)

__all__ = [
    "LENS_ALIAS",
    "MILESTONE_NAME_MAX",
    "PAGE_SIZE",
    "PILLAR_ID",
    "ExportPlan",
    "ExportPlanChanged",
    "ExportReport",
    "ImportReport",
    "LensVersionMismatch",
    "QuestionPlan",
    "ToolWorkload",
    "WaToolError",
    "create_params",
    "export_plan",
    "lens_check",
    "lens_upgrade",
    "linked_workload",
    "milestone_token",
    "parse_workload_arn",
    "wa_create",
    "wa_export",
    "wa_import",
    "wa_link",
]
