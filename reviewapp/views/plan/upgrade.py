"""Upgrading a review to a newer version of its lens: a preview of what changes, then the upgrade itself.

Reading the page needs VIEW; upgrading needs EDIT, since it rewrites the review's answers onto the new
version.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from questionnaire.models import LensVersion

from ...access import Action, get_review_for_user, may
from ...selectors import lens_upgrade_available
from ...services import review_upgrade
from ...services.lens_upgrade import lens_version_diff
from .. import AuthenticatedRequest


@require_http_methods(["GET", "POST"])
def upgrade_page(request: AuthenticatedRequest, review_id: UUID) -> HttpResponse:
    review = get_review_for_user(
        request.user, review_id, Action.EDIT if request.method == "POST" else Action.VIEW
    )
    if request.method == "POST":
        source = review.lens_version
        url = reverse("review_upgrade", kwargs={"review_id": review.pk})
        try:
            report = review_upgrade(review=review, actor=request.user)
        except ValidationError as exc:
            # Typically a second click after the upgrade went through: say so on the page, change nothing.
            messages.error(request, " ".join(exc.messages))
            return redirect(url)
        messages.success(
            request,
            f"Upgraded to {report.to_version.label}. The review as it was is kept as the milestone "
            f"“{report.milestone.name}”.",
        )
        return redirect(f"{url}?from={source.number}")
    newer = lens_upgrade_available(review)
    done_from = None
    if newer is None and request.GET.get("from", "").isdigit():
        # After an upgrade: show what changed between the version it came from and the one it is on now.
        done_from = LensVersion.objects.filter(
            lens_id=review.lens_id, number=int(request.GET["from"]), number__lt=review.lens_version.number
        ).first()
    diff = None
    if newer is not None:
        diff = lens_version_diff(review.lens_version, newer)
    elif done_from is not None:
        diff = lens_version_diff(done_from, review.lens_version)
    return render(
        request,
        "plan/upgrade.html",
        {
            "review": review,
            "workload": review.workload,
            "newer": newer,
            "done_from": done_from,
            "diff": diff,
            "can_edit": may(request.user, review, Action.EDIT),
        },
    )
