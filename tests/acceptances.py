"""Test helper: a risk acceptance the only way there is, a request and someone else's approval."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

WHY = "Network isolation covers it until the rebuild planned for next quarter."


def approved(item, requester, approver=None, *, days=30, why=WHY, today=None):
    """Request and approve the acceptance of `item`'s risk; returns the item as stored afterwards."""
    from reviewapp.acceptance.services import acceptance_decide, acceptance_request
    from reviewapp.models import ImprovementItem, User

    if approver is None:
        approver = User.objects.filter(username="lena_lead").first() or User.objects.create_user(
            username="lena_lead", email="lena_lead@example.test", org_role="SECURITY_LEAD"
        )
    today = today or timezone.localdate()
    acceptance = acceptance_request(
        item=item,
        actor=requester,
        justification=why,
        compensating_controls="Security group allows only the load balancer.",
        expires_on=today + timedelta(days=days),
        today=today,
    )
    acceptance_decide(acceptance=acceptance, actor=approver, approve=True, comment="Agreed, revisit then.")
    return ImprovementItem.objects.select_related("workload", "owner", "accepted_by").get(pk=item.pk)
