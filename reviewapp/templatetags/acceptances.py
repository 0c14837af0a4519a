"""{% acceptance_queue %}: the pending risk acceptances the signed-in person may decide, as a small card.

A tag rather than dashboard context, so the dashboard's own selector stays about workloads."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors.acceptances import acceptance_queue as pending_for

register = template.Library()


@register.inclusion_tag("dashboard/_acceptance_queue.html", takes_context=True)
def acceptance_queue(context: template.Context) -> dict[str, Any]:
    rows, total = pending_for(context["request"].user)
    return {"pending": rows, "total": total}
