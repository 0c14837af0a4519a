"""A review's round trip with the AWS Well-Architected Tool: preview and import answers, or export ours."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from checks.models import AwsTarget

from ..access import Action, get_review_for_user, may
from ..models import AuditEvent, Review
from ..wellarchitected import (
    MILESTONE_NAME_MAX,
    ExportReport,
    ImportReport,
    WaToolError,
    wa_export,
    wa_import,
)
from . import AuthenticatedRequest

ACTIONS = ("preview", "import", "export")


class WaToolForm(forms.Form):
    workload_arn = forms.CharField(
        label="Workload ARN in the Well-Architected Tool",
        max_length=200,
        help_text="From the workload's page in the tool, e.g. "
        "arn:aws:wellarchitected:eu-west-1:111122223333:workload/0123456789abcdef0123456789abcdef",
    )
    milestone_name = forms.CharField(
        label="Save a milestone there (optional, export only)",
        required=False,
        max_length=MILESTONE_NAME_MAX,
    )
    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS], widget=forms.HiddenInput)


def _last_arn(review: Review) -> str:
    """The tool workload this review last went to or came from, read back from the audit trail."""
    arn = (
        AuditEvent.objects.filter(
            object_type="Review", object_id=str(review.pk), action__in=["watool.import", "watool.export"]
        )
        .order_by("-id")
        .values_list("after__workload_arn", flat=True)
        .first()
    )
    return arn or ""


@require_http_methods(["GET", "POST"])
def review_wa_tool(request: AuthenticatedRequest, review_id) -> HttpResponse:
    posting = request.method == "POST"
    review = get_review_for_user(request.user, review_id, Action.EDIT if posting else Action.VIEW)
    form = WaToolForm(request.POST if posting else None, initial={"workload_arn": _last_arn(review)})
    report: ExportReport | ImportReport | None = None
    action = ""
    if posting and form.is_valid():
        action = form.cleaned_data["action"]
        arn = form.cleaned_data["workload_arn"]
        try:
            if action == "export":
                report = wa_export(
                    review=review,
                    actor=request.user,
                    workload_arn=arn,
                    milestone_name=form.cleaned_data["milestone_name"],
                )
            else:
                report = wa_import(
                    review=review, actor=request.user, workload_arn=arn, dry_run=action == "preview"
                )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except WaToolError as exc:
            form.add_error(None, str(exc))
    context = {
        "review": review,
        "workload": review.workload,
        "form": form,
        "report": report,
        "action": action,
        "can_edit": may(request.user, review, Action.EDIT),
        "accounts": AwsTarget.objects.filter(workload_id=review.workload_id).order_by("account_id"),
    }
    return render(request, "watool/review.html", context)


urlpatterns = [
    path("<uuid:review_id>/wa-tool/", review_wa_tool, name="review_wa_tool"),
]
