"""Template helpers for showing evidence next to best practices on other areas' pages (the guided review).

{% load evidence %}
{% bp_evidence evidence bp.code workload %}   where evidence = checks.selectors.evidence_by_bp(workload)
"""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import BpEvidence

register = template.Library()


@register.filter
def for_bp(evidence: dict[str, BpEvidence] | None, bp_code: str) -> BpEvidence | None:
    """`{{ evidence|for_bp:bp.code }}`: the summary for one BP, or None."""
    return (evidence or {}).get(bp_code)


@register.inclusion_tag("checks/_bp_evidence.html")
def bp_evidence(evidence: dict[str, BpEvidence] | None, bp_code: str, workload: Any) -> dict[str, Any]:
    """The verdict line for one BP, with counts, age and a link to the failing resources; nothing without
    evidence."""
    return {"summary": (evidence or {}).get(bp_code), "workload": workload}
